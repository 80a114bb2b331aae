#!/bin/bash
# ban_offline_state.sh: `natwarden -r` with a production-like configuration (a ban state file
# holding a ban, store = redis on a real redis-server, ipset = yes, a jail watching a log path)
# touches none of that state: after replaying a brute force, the state directory is unchanged
# (checksums), Redis has the same keys and saw no connection but ours, the kernel ipsets (in a
# namespace of the test) keep their members, and the jail's log files were never read; yet the
# replay banned the attacker (eve.json, stats) from memory, not from the stored ban. With
# --live-state the same run reads and writes the state file, the ipsets and the log files (so the
# checks above can see a change), and refuses store = redis: an offline run has no main loop to
# keep a Redis link in.
: "${NW_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$NW_SRC/tests/e2e/ban_lib.sh"
ban_init offstate redis
command -v ipset >/dev/null || ban_skip "ipset missing"
[ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] || nw_fail "ratelimit plugin not built"
NS="nwoff-$BAN_SFX"
ban_netns "$NS"
ip netns exec "$NS" ipset create "nwprobe-$BAN_SFX" hash:ip 2>/dev/null ||
	ban_skip "no ipset support in the kernel"
ip netns exec "$NS" ipset destroy "nwprobe-$BAN_SFX"

GEN="$NW_SRC/tests/data/gen_ban.py"
python3 "$GEN" attack "$DIR/attack.pcap" >/dev/null || nw_fail generator
SOCK="$DIR/redis.sock"
ban_redis_start "$SOCK"
mkdir -p "$DIR/state"
echo "Jan  1 00:00:00 gw sshd[1]: Failed password for root from 198.51.100.99 port 22 ssh2" >"$DIR/auth.log"
# the jail watches auth.log and, as a probe, /proc/version: a file whose size reads as 0, so a
# watcher reads it from the start at once and counts its line (log_lines) if it runs at all
cat >"$DIR/nw.conf" <<CONF
[natwarden]
plugins = ban ratelimit
state_dir = $DIR/state

[ban]
gateway_id = gw-test
store = redis
redis = unix:$SOCK
redis_prefix = nwoff
ipset = yes
ipset_v4 = nwoff-ban4
ipset_v6 = nwoff-ban6
ipset_net4 = nwoff-bannet4
ipset_net6 = nwoff-bannet6

[jail sshd]
maxretry = 3
findtime = 10m
bantime = 1h
ignoreip = 203.0.113.0/24
logpath = $DIR/auth.log /proc/version
failregex = sshd\[\d+\]: Failed password for \S+ from <HOST> port \d+

[limit ssh-new]
proto = tcp
dport = 22
count = new-connections
key = src
rate = 1/min
burst = 3
action = offense
jail = sshd
CONF

# the same with the local store: what --live-state runs can use
sed 's/^store = redis$/store = local/' "$DIR/nw.conf" >"$DIR/nw-local.conf"

# replay NAME [ARGS...]: the brute force through natwarden -r inside the namespace; out in $DIR/NAME
replay() {
	local out="$DIR/$1"
	shift
	mkdir -p "$out"
	ip netns exec "$NS" "$NATWARDEN" -r "$DIR/attack.pcap" -c "${CONF:-$DIR/nw.conf}" -l "$out" \
		--stats-json "$out/stats.json" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" "$@" \
		2>"$out/stderr" ||
		nw_fail "natwarden -r $*: $(cat "$out/stderr")"
}
rcli() { redis-cli -s "$SOCK" "$@"; }
# snapshot FILE: everything the replay must leave alone, except Redis's connection count
snapshot() {
	{
		echo "== state directory"
		(cd "$DIR/state" && find . -printf '%p %s %m\n' | sort && find . -type f -exec sha256sum {} + | sort)
		echo "== redis"
		rcli dbsize
		rcli --scan | sort
		rcli get nwoff-test:canary
		rcli zrange nwoff:bans 0 -1
		echo "== ipsets (members, without their timeouts)"
		for s in nwoff-ban4 nwoff-ban6 nwoff-bannet4 nwoff-bannet6; do
			echo "$s:"
			ip netns exec "$NS" ipset list "$s" 2>&1 | sed '1,/^Members:/d' | sed 's/ timeout [0-9]*//' | sort
		done
	} >"$1"
}
# conns: connections Redis has accepted so far (this query's own included)
conns() { rcli info stats | sed -n 's/^total_connections_received:\([0-9]*\).*/\1/p'; }
ctr() { nw_json "$DIR/$1/stats.json" "d['plugins']['ban']['counters']['$2']"; }

# 1. the production state: a gateway that ran with this configuration (--live-state, local
#    store) banned the attacker (state file, ipset); plus a key of the fleet's in Redis and a ban
#    of the kernel set's own
CONF="$DIR/nw-local.conf" replay seed --live-state
[ -n "$(ls -A "$DIR/state")" ] || nw_fail "the seeding run stored no ban state"
rcli set nwoff-test:canary fleet >/dev/null
ip netns exec "$NS" ipset add nwoff-ban4 198.51.100.200 timeout 0 || nw_fail "ipset add"
snapshot "$DIR/before"
grep -qx '198.51.100.200' "$DIR/before" || nw_fail "the test ipset member is not listed: $(cat "$DIR/before")"
[ "$(rcli dbsize)" -ge 1 ] || nw_fail "redis is empty"

# 2. the replay without --live-state
c0=$(conns)
replay plain
c1=$(conns)
snapshot "$DIR/after"
diff -u "$DIR/before" "$DIR/after" >"$DIR/diff" || nw_fail "offline replay changed persistent or shared state:
$(cat "$DIR/diff")"
# c1 - c0: the one redis-cli connection of the second count
nw_expect_eq "$((c1 - c0))" 1 "connections Redis accepted during the replay (the test's own query)"
nw_expect_eq "$(ctr plain log_lines)" 0 "jail log lines read"
nw_expect_eq "$(ctr plain log_errors)" 0 "jail log files that could not be read"
nw_expect_eq "$(ctr plain redis_sent)" 0 "bans written to Redis"
# the detection still ran: the attacker was banned in memory (the stored ban was not loaded, or
# its packets would all have been dropped with no new ban)
E="$DIR/plain/eve.json"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'ban' and e['ban']['action'] == 'ban' and e['ban']['ip'] == '198.51.100.7'")" 1 \
	"ban events for the attacker in eve.json"
[ "$(nw_json "$DIR/plain/stats.json" "d['plugins']['ban']['verdicts']['drop']['banned']")" -gt 30 ] ||
	nw_fail "attacker packets dropped by the in-memory ban: $(nw_json "$DIR/plain/stats.json" "d['plugins']['ban']")"
grep -q 'notice: offline replay: state file .*ban.state, Redis unix:.*, ipsets nwoff-ban4 .*, log files of jail sshd left untouched' \
	"$DIR/plain/stderr" || nw_fail "no notice of what the replay left alone: $(cat "$DIR/plain/stderr")"

# 3. --live-state with store = redis is refused at start, before anything is touched
c0=$(conns)
mkdir -p "$DIR/refused"
if ip netns exec "$NS" "$NATWARDEN" -r "$DIR/attack.pcap" -c "$DIR/nw.conf" -l "$DIR/refused" \
	--set "natwarden.plugin_dir=$(nw_plugin_dirs)" --live-state 2>"$DIR/refused/stderr"; then
	nw_fail "--live-state with store = redis was not refused"
fi
grep -q 'store = redis needs the daemon.s main loop' "$DIR/refused/stderr" ||
	nw_fail "no reason for the refusal: $(cat "$DIR/refused/stderr")"
c1=$(conns)
nw_expect_eq "$((c1 - c0))" 1 "connections Redis accepted during the refused run (the test's own query)"

# 4. the same replay with --live-state (local store) does touch the rest: the stored ban is
#    loaded (the attacker is dropped from its first packet, no new ban), the state file is
#    written, the kernel sets are flushed and refilled, the log files are read
CONF="$DIR/nw-local.conf" replay live --live-state
snapshot "$DIR/live.after"
E="$DIR/live/eve.json"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'ban' and e['ban']['action'] == 'ban'")" 0 \
	"ban events with the stored ban loaded"
nw_expect_eq "$(nw_json "$DIR/live/stats.json" "d['plugins']['ban']['verdicts']['drop']['banned']")" 60 \
	"attacker packets dropped by the stored ban"
[ "$(ctr live log_lines)" -ge 1 ] || nw_fail "--live-state: the jail log files were not read"
if cmp -s <(sed -n '/^== state/,/^== redis/p' "$DIR/before") <(sed -n '/^== state/,/^== redis/p' "$DIR/live.after"); then
	nw_fail "--live-state: the state file was not rewritten"
fi
grep -qx '198.51.100.200' "$DIR/live.after" && nw_fail "--live-state: the kernel set was not flushed"
grep -qx '198.51.100.7' "$DIR/live.after" || nw_fail "--live-state: the stored ban is not in the kernel set"
echo "PASS: offline replay left the state file, Redis, the ipsets and the log files alone" \
	"(and banned in memory); --live-state used them, and refused store = redis"
exit 0
