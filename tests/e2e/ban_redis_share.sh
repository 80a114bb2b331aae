#!/bin/bash
# ban_redis_share.sh: two gateways (gw1, gw2: each a live natwarden in its own network namespace)
# share bans through one redis-server on a unix socket:
#   1. a ban made on gw1 is enforced by gw2 (propagation time printed);
#   2. Redis stopped: a ban on gw1 is in force on gw1 at once; Redis restarted: gw2 gets it;
#   3. gw2 restarted: it comes back with every active ban; an unban on gw2 reaches gw1;
#   4. garbage written into the keys and the stream (bad addresses, /0, huge ttl, unsigned event
#      with HMAC on) is rejected and counted; nothing is banned by it.
# Every process is started here and stopped by its PID.
source "$NW_SRC/tests/e2e/ban_lib.sh"
ban_init ban redis
NS1="nwb1-$BAN_SFX"
NS2="nwb2-$BAN_SFX"
ban_netns "$NS1"
ban_netns "$NS2"

RSOCK="$DIR/redis.sock"
KEY="$DIR/hmac.key"
echo "0123456789abcdef-test-key" >"$KEY"
chmod 600 "$KEY"
rc() { redis-cli -s "$RSOCK" "$@"; }

# gw_conf N: config of gateway N
gw_conf() {
	gw_conf_head "$1" 0
	cat >>"$DIR/gw$1/nw.conf" <<CONF
[ban]
store = redis
redis = unix:$RSOCK
redis_prefix = nwtest
gateway_id = gw$1
redis_hmac_key_file = $KEY
redis_max_ttl = 30d

[jail sshd]
maxretry = 3
findtime = 10m
bantime = 1h
CONF
}
# eve_propagation IP: ms from gw1's EVE ban of IP (origin gw1) to gw2's (origin gw1); bounded 5 s
eve_propagation() {
	python3 - "$DIR/gw1/log/eve.json" "$DIR/gw2/log/eve.json" "$1" <<'PY'
import datetime, json, sys, time
def stamp(path, ip):
    try:
        f = open(path)
    except OSError:
        return None
    for line in f:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        b = e.get("ban") or {}
        if e.get("event_type") == "ban" and b.get("action") == "ban" and \
                b.get("ip") in (ip, ip + "/32") and b.get("origin") == "gw1":
            return datetime.datetime.strptime(e["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
    return None
for _ in range(500):
    t1, t2 = stamp(sys.argv[1], sys.argv[3]), stamp(sys.argv[2], sys.argv[3])
    if t1 and t2:
        print("%.3f" % ((t2 - t1).total_seconds() * 1000))
        sys.exit(0)
    time.sleep(0.01)
sys.exit(1)
PY
}

ban_redis_start "$RSOCK"
gw_conf 1
gw_conf 2
gw_start 1 "$NS1" 0
gw_start 2 "$NS2" 0

# 1. propagation
t0=$(date +%s%N)
ctl 1 ban 198.51.100.77 --jail sshd --time 1h >/dev/null || nw_fail "ban on gw1"
wait_ban 2 198.51.100.77 || nw_fail "gw2 never received the ban"
t1=$(date +%s%N)
# the accurate figure: gw1's EVE ban event to gw2's EVE ban event with origin gw1 (both
# gateways stamp events with the same host clock)
prop=$(eve_propagation 198.51.100.77) || nw_fail "no EVE ban events for the propagation figure"
echo "1. ban gw1 -> enforced on gw2: $prop ms (EVE ban event on gw1 to EVE ban event with origin gw1 on gw2; $(( (t1 - t0) / 1000000 )) ms seen through natwardenctl polling)"
has_ban 1 198.51.100.77 || nw_fail "gw1 lost its own ban"
[ "$(rc zscore nwtest:bans 198.51.100.77/32)" != "" ] || nw_fail "ban not in the sorted set"

# 2. Redis away
ban_redis_stop
ctl 1 ban 203.0.113.0/24 --time 2h >/dev/null || nw_fail "ban on gw1 while Redis is down"
has_ban 1 203.0.113.0/24 || nw_fail "gw1 does not enforce its ban at once"
sleep 0.3
has_ban 2 203.0.113.0/24 && nw_fail "gw2 has a ban it cannot have received"
ban_redis_start "$RSOCK"
wait_ban 2 203.0.113.0/24 || nw_fail "gw2 did not get the ban made while Redis was down"
echo "2. ban made while Redis was down reached gw2 after Redis came back"

# 3. gw2 restart
gw_stop 2
ctl 1 ban 198.51.100.78 --time 1h >/dev/null || nw_fail "ban on gw1"
gw_start 2 "$NS2" 0
for ip in 198.51.100.77 203.0.113.0/24 198.51.100.78; do
	wait_ban 2 "$ip" || nw_fail "gw2 came back without $ip"
done
ctl 2 unban 198.51.100.78 >/dev/null || nw_fail "unban on gw2"
wait_ban 1 198.51.100.78 absent || nw_fail "unban on gw2 did not reach gw1"
echo "3. gw2 restarted with every ban; its unban reached gw1"

# 4. garbage
bad0=$(counter 2 redis_bad_entries)
now=$(date +%s)
rc xadd nwtest:events '*' v 1 a ban ip 198.51.100.99/32 exp $((now + 600)) >/dev/null   # unsigned
rc xadd nwtest:events '*' v 1 a ban ip 0.0.0.0/0 exp $((now + 600)) sig 00 >/dev/null
rc xadd nwtest:events '*' evil yes >/dev/null
rc zadd nwtest:bans $((now + 600)) not-an-address >/dev/null
rc zadd nwtest:bans $((now + 600)) ::/0 >/dev/null
rc zadd nwtest:bans $((now + 999999999)) 198.51.100.98/32 >/dev/null   # ttl too long
rc hset nwtest:meta 198.51.100.98/32 "x y drop 1 1" >/dev/null
rc zadd nwtest:bans $((now + 600)) 198.51.100.97/32 >/dev/null          # no signature
rc hset nwtest:meta 198.51.100.97/32 "x y drop 1 1" >/dev/null
# a restart makes gw2 read the sorted set again
gw_stop 2
gw_start 2 "$NS2" 0
wait_ban 2 198.51.100.77 || nw_fail "gw2 lost a good ban"
sleep 0.5
for ip in 198.51.100.99 198.51.100.98 198.51.100.97 0.0.0.0/0; do
	has_ban 2 "$ip" && nw_fail "gw2 applied a forged ban $ip"
	has_ban 1 "$ip" && nw_fail "gw1 applied a forged ban $ip"
done
bad1=$(counter 1 redis_bad_entries)
bad2=$(counter 2 redis_bad_entries)
echo "4. forged entries rejected: gw1 counted $bad1, gw2 (after restart) $bad2"
[ "$bad1" -ge 3 ] || nw_fail "gw1 counted only $bad1 bad stream events"
[ "$bad2" -ge 4 ] || nw_fail "gw2 counted only $bad2 bad sorted-set entries"

# the engine's own view: gw1's ban set, its stats
gw_stop 1
[ "$(nw_store_rows "$DIR/gw1/state/ban.state" "SELECT count(*) FROM bans WHERE net = '198.51.100.77'")" = 1 ] ||
	nw_fail "gw1 did not keep its bans in its store"
echo "PASS"
exit 0
