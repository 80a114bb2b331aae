#!/bin/bash
# ban_resync_paged.sh: a gateway's Redis resync reads a large ban list in pages
# (redis_resync_chunk = 500, so ~100 pages): 50k valid bans (IPv4 /32 and /24, IPv6 /128 and
# /64) plus expired and malformed members are written straight into Redis; the gateway starts,
# resyncs, and holds exactly the 50k valid bans (natwardenctl bans --json / stats), the
# malformed ones counted. Then, with the gateway up, 1000 bans are removed from Redis and 1000
# others added behind its back (no stream events); its connection is killed, and the
# reconnect's paged resync lifts the removed ones and applies the new ones. Last, Redis loses
# all its data: the gateway writes its 49,997 bans back, in batches, and Redis holds them all.
# Every process is started here and stopped by its PID.
source "$NW_SRC/tests/e2e/ban_lib.sh"
ban_init banrs redis
NS="nwbr-$BAN_SFX"
ban_netns "$NS"

RSOCK="$DIR/redis.sock"
ban_redis_start "$RSOCK" --appendonly no
rc() { redis-cli -s "$RSOCK" "$@"; }

# write_bans WHAT: RESP commands into Redis (no stream events, as a gateway that was away
# would find them). WHAT: initial | change
write_bans() {
	python3 - "$1" <<'PY' | redis-cli -s "$RSOCK" --pipe >/dev/null
import sys, time
what = sys.argv[1]
now = int(time.time())
out = sys.stdout.buffer
def cmd(*a):
    out.write(b"*%d\r\n" % len(a))
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
def v4(i, pre=32):
    v = 0x0a000000 + i
    return "%d.%d.%d.%d/%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255, pre)
def put(members, exp):
    for s in range(0, len(members), 1000):
        part = members[s:s + 1000]
        z, h = [], []
        for m in part:
            z += [exp, m]
            h += [m, "test gwx drop 1 %d paged" % now]
        cmd("ZADD", "rs:bans", *z)
        cmd("HSET", "rs:meta", *h)
if what == "initial":
    valid = [v4(i) for i in range(45000)]                                   # 10.0.0.0 ..
    valid += ["172.20.%d.0/24" % i for i in range(250)]
    valid += ["172.21.%d.0/24" % i for i in range(250)]
    valid += ["2001:db8:%x::%x/128" % (i // 1000 + 1, i % 1000 + 1) for i in range(4000)]
    valid += ["2001:db8:ff:%x::/64" % (i + 1) for i in range(500)]
    assert len(valid) == 50000
    put(valid, now + 3600)
    put([v4(100000 + i) for i in range(500)], now - 10)                     # expired
    put(["not-an-address-%d" % i for i in range(50)] +                     # malformed
        ["10.9.9.%d/24" % i for i in range(1, 51)], now + 3600)            # host bits set
else:
    gone = [v4(i) for i in range(1000)]
    cmd("ZREM", "rs:bans", *gone)
    cmd("HDEL", "rs:meta", *gone)
    put([v4(200000 + i) for i in range(1000)], now + 3600)
PY
}
write_bans initial
[ "$(rc zcard rs:bans)" = 50600 ] || nw_fail "populating Redis: $(rc zcard rs:bans) members"

gw_conf_head 1 0
cat >>"$DIR/gw1/nw.conf" <<CONF
[ban]
store = redis
redis = unix:$RSOCK
redis_prefix = rs
gateway_id = gwr
redis_resync_chunk = 500
CONF
# listed: the ban count natwardenctl bans --json reports (the full list, or its count when
# the list does not fit in one reply)
listed() {
	ctl 1 bans --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d) if isinstance(d, list) else d["bans"])'
}
resyncs() { grep -c "resynced" "$DIR/gw1/natwarden.log"; }
wait_resyncs() {
	local i
	for i in $(seq 1200); do
		[ "$(resyncs)" -ge "$1" ] && return 0
		kill -0 "${GWPID[1]}" 2>/dev/null || { cat "$DIR/gw1/natwarden.log" >&2; nw_fail "gateway exited"; }
		sleep 0.05
	done
	cat "$DIR/gw1/natwarden.log" >&2
	nw_fail "no resync #$1 within 60 s"
}

gw_start 1 "$NS" 0
wait_resyncs 1
line=$(grep "resynced" "$DIR/gw1/natwarden.log" | head -1)
echo "first resync: ${line#*: }"
pages=$(echo "$line" | sed -n 's/.*(\([0-9]*\) pages.*/\1/p')
[ -n "$pages" ] && [ "$pages" -ge 50 ] || nw_fail "expected a paged resync (>= 50 pages), got '$pages'"
n=$(listed)
[ "$n" = 50000 ] || nw_fail "gateway lists $n bans after the resync, want 50000"
[ "$(counter 1 active_bans)" = 50000 ] || nw_fail "active_bans $(counter 1 active_bans), want 50000"
bad=$(counter 1 redis_bad_entries)
[ "$bad" = 100 ] || nw_fail "redis_bad_entries $bad, want 100 (50 malformed, 50 with host bits)"

# behind the gateway's back: 1000 lifted, 1000 new; then drop its connections
write_bans change
rc client kill type normal >/dev/null
wait_resyncs 2
line=$(grep "resynced" "$DIR/gw1/natwarden.log" | sed -n 2p)
echo "after reconnect: ${line#*: }"
echo "$line" | grep -q "1000 lifted" || nw_fail "the reconnect's resync did not lift the 1000 removed bans"
n=$(listed)
[ "$n" = 50000 ] || nw_fail "gateway lists $n bans after the second resync, want 50000"
# one lifted and one new address, asked through unban (the listing is too long to print)
ctl 1 unban 10.0.0.7 2>&1 | grep -q "not banned" || nw_fail "10.0.0.7 (removed from Redis) still banned"
ctl 1 unban 10.3.13.64 2>&1 | grep -q "unbanned 10.3.13.64" || nw_fail "10.3.13.64 (added to Redis) not banned"
ctl 1 unban 10.0.100.1 2>&1 | grep -q "unbanned 10.0.100.1" || nw_fail "10.0.100.1 (kept) not banned"

# Redis loses everything: the next resync writes every active ban back (in batches)
rc flushall >/dev/null
rc client kill type normal >/dev/null
wait_resyncs 3
grep "resynced" "$DIR/gw1/natwarden.log" | sed -n 3p | grep -q "49998 written back" ||
	nw_fail "write-back after the flush: $(grep resynced "$DIR/gw1/natwarden.log" | sed -n 3p)"
for i in $(seq 200); do
	[ "$(rc zcard rs:bans)" = 49998 ] && break
	sleep 0.05
done
[ "$(rc zcard rs:bans)" = 49998 ] || nw_fail "Redis holds $(rc zcard rs:bans) bans after the write-back, want 49998"
echo "write-back after Redis lost its data: 49998 bans back in Redis"
echo PASS
