#!/bin/bash
# e2e: a spoofed-source SYN flood into the port forward, with small caps: flow_max = 2048, a
# ratelimit limit (max-keys 128) that turns floods into offenses, a ban jail that bans on the first
# offense, max_bans = 50. Sources are random in 203.0.113.0/24 and 198.51.100.0/24 (not the
# gateway's or the clients' own addresses), source ports random; two floods of at most 50,000
# packets and 20 s each (a raw IPv4 socket with IP_HDRINCL, packets built by hand: scapy's send()
# is far too slow for this). Asserts: natwarden's RSS grows less than 32 MB over both floods and
# less than 8 MB over the second (the caps are full by then), the flow table evicted, the ban table stops at
# max_bans (refusals counted), the ratelimit table stays within its keys, natwarden is alive and
# the polite client (198.51.100.10) is still served.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] && [ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] ||
	nw_fail "ban and ratelimit plugins not built"
live_topology
# replies to the spoofed sources go back to the internet host (which ignores them)
ip -n "$NS_GW" route add 203.0.113.0/24 via 198.51.100.10 || nw_fail "route"

FLOW_MAX=2048
MAX_KEYS=128
MAX_BANS=50
PKTS=50000
RSS_BOUND_KB=$((32 * 1024))
HARD_CORE="flow_max = $FLOW_MAX" hard_conf "ban ratelimit" \
	"[ban]" "store = local" "max_bans = $MAX_BANS" "" \
	"[jail flood]" "maxretry = 1" "findtime = 1m" "bantime = 10m" "" \
	"[ratelimit]" "max-keys = $MAX_KEYS" "" \
	"[limit syn]" "proto = tcp" "count = new-connections" "key = src" "rate = 2/s" "burst = 10" \
	"action = offense" "jail = flood"
live_apply
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "polite client before the flood"


# flood SEED: one bounded flood; prints the number of packets sent
flood() {
	timeout 30 ip netns exec "$NS_INET" python3 "$NW_SRC/tests/e2e/synflood.py" spoof "$PKTS" 0 20 "$1" ||
		nw_fail "flood generator failed"
}
rss0=$(hard_rss "$NW_PID")
ev0=$(live_stat 'd["flows"]["evicted"]')
t0=$(date +%s%N)
sent=$(flood 5737)
t1=$(date +%s%N)
hard_alive || { tail -20 "$LIVE_DIR/natwarden.log" >&2; nw_fail "natwarden died in the flood"; }
hard_wait 100 hard_settled || echo "note: natwarden still busy with the queue 10 s after the flood"
rss1=$(hard_rss "$NW_PID")
sent2=$(flood 1918)
hard_alive || { tail -20 "$LIVE_DIR/natwarden.log" >&2; nw_fail "natwarden died in the second flood"; }
hard_wait 100 hard_settled || echo "note: natwarden still busy with the queue 10 s after the flood"
rss2=$(hard_rss "$NW_PID")
live_stat 'd' >/dev/null
S="$LIVE_DIR/stats.json"
ev1=$(nw_json "$S" 'd["flows"]["evicted"]')
created=$(nw_json "$S" 'd["flows"]["created"]')
pk=$(nw_json "$S" 'd["packets"]')
unins=$(nw_json "$S" 'd["uninspected"]')
bans=$(nw_json "$S" 'd["plugins"]["ban"]["counters"]["active_bans"]')
full=$(nw_json "$S" 'd["plugins"]["ban"]["counters"]["refused_full"]')
banned=$(nw_json "$S" 'd["plugins"]["ban"]["counters"]["banned_packets"]')
keys=$(nw_json "$S" 'd["plugins"]["ratelimit"]["counters"]["syn.keys"]')
rlev=$(nw_json "$S" 'd["plugins"]["ratelimit"]["counters"]["syn.evictions"]')
echo "flood: $sent spoofed SYNs in $(((t1 - t0) / 1000000)) ms, then $sent2 more; natwarden judged $pk packets, $unins let through uninspected"
echo "flows: $created created, $((ev1 - ev0)) evicted (flow_max $FLOW_MAX)"
echo "ban: $bans active (max_bans $MAX_BANS), $full refused as full, $banned packets dropped as banned"
echo "ratelimit: $keys keys (max-keys $MAX_KEYS), $rlev evictions"
echo "RSS: $rss0 kB -> $rss1 kB after the first flood -> $rss2 kB after the second (+$((rss2 - rss0)) kB, bound $RSS_BOUND_KB kB)"

[ "$sent" -gt 1000 ] || nw_fail "the generator sent only $sent packets"
[ $((rss2 - rss0)) -lt "$RSS_BOUND_KB" ] || nw_fail "RSS grew by $((rss2 - rss0)) kB"
[ $((rss2 - rss1)) -lt $((8 * 1024)) ] || nw_fail "RSS still grew by $((rss2 - rss1)) kB in the second flood"
[ "$ev1" -gt "$ev0" ] || nw_fail "the flow table never evicted"
[ "$bans" -le "$MAX_BANS" ] || nw_fail "$bans active bans, more than max_bans $MAX_BANS"
[ "$full" -gt 0 ] || nw_fail "the ban table never filled (refused_full 0): the caps were not exercised"
[ "$keys" -le $((MAX_KEYS + 4)) ] || nw_fail "ratelimit holds $keys keys, more than max-keys $MAX_KEYS"
hard_alive || nw_fail "natwarden died"
nw_expect_eq "$(live_get /)" "hello from priv" "polite client after the flood"
echo "PASS: spoofed flood stayed within the caps"
