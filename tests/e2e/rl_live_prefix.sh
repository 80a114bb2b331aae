#!/bin/bash
# e2e: a src/24 aggregate limit, live: ten addresses of 203.0.113.0/24 on the internet host open
# connections to the port forward at 15/s each (150/s together, 750 SYNs), every one of them under
# the per-source limit (20/s) but together far over the /24's (50/s). The /24 is limited as one key
# (one ratelimit event, key 203.0.113.0/24), no single source is, and a polite client of another
# /24 (198.51.100.11) is served throughout.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
source "$(dirname "$0")/rl_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] || nw_fail "ratelimit plugin not built"
live_topology
rl_polite_addr
srcs=
for i in $(seq 10 19); do
	ip -n "$NS_INET" addr add "203.0.113.$i/24" dev eth0 || nw_fail "address 203.0.113.$i"
	srcs="${srcs:+$srcs,}203.0.113.$i"
done
# the private host's SYN-ACKs to 203.0.113.0/24 go back to the internet host
ip -n "$NS_GW" route add 203.0.113.0/24 via 198.51.100.10 || nw_fail "route"

RATE=50
BURST=50
PKTS=750
rl_conf "[limit per-src]" "proto = tcp" "dport = 80" "direction = inbound" \
	"count = new-connections" "key = src" "rate = 20/s" "burst = 40" "" \
	"[limit per-24]" "proto = tcp" "dport = 80" "direction = inbound" \
	"count = new-connections" "key = src/24" "rate = $RATE/s" "burst = $BURST" \
	"event-interval = 1m"
live_apply
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward before the flood"

t0=$(date +%s%N)
rl_send_bg "$LIVE_DIR/sent" "$srcs" "$PKTS" 150 8 1918
rl_polite "$LIVE_DIR/polite" "$RL_SEND_PID"
wait "$RL_SEND_PID" || nw_fail "the SYN sender failed"
hard_wait 100 hard_settled || echo "note: natwarden still busy with the queue 10 s after the flood"
t1=$(date +%s%N)
sent=$(cat "$LIVE_DIR/sent")
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward after the flood"

live_stat 'd' >/dev/null
acc=$(rl_ctr per-24.accepted)
lim=$(rl_ctr per-24.limited)
keys=$(rl_ctr per-24.keys)
slim=$(rl_ctr per-src.limited)
skeys=$(rl_ctr per-src.keys)
rdrops=$(rl_reason_drops per-24)
during=$(hard_lines "$LIVE_DIR/polite" during)
ok=$(hard_lines "$LIVE_DIR/polite" ok)
fail=$(hard_lines "$LIVE_DIR/polite" fail)
ms=$(((t1 - t0) / 1000000))
# what the /24 got through is at most burst + rate x elapsed; the rest is the polite client and
# our two checks from 198.51.100.10
bound=$((BURST + RATE * (ms + 999) / 1000 + 1 + ok + fail + 2))
echo "sent $sent SYNs from 10 sources; per-24: accepted $acc, limited $lim (reason drops $rdrops)," \
	"$keys keys; per-src: limited $slim, $skeys keys; $ms ms until settled;" \
	"polite: $ok ok, $fail failed ($during during the flood)"

[ "$sent" -ge $((PKTS * 9 / 10)) ] || nw_fail "the sender sent only $sent SYNs"
[ "$fail" -eq 0 ] || nw_fail "$fail of the polite client's requests failed"
[ "$during" -ge 3 ] || nw_fail "only $during polite requests overlapped the flood"
nw_expect_eq "$slim" 0 "packets limited per source (each source is under 20/s)"
[ "$skeys" -ge 10 ] || nw_fail "per-src saw $skeys keys, expected the 10 sources and more"
[ "$lim" -ge $((sent / 4)) ] || nw_fail "the /24 aggregate limited only $lim of $sent"
nw_expect_eq "$rdrops" "$lim" "drops with reason per-24 vs. the limited counter"
[ "$acc" -le "$bound" ] || nw_fail "$acc connections accepted, more than burst + rate x time ($bound)"
nw_expect_eq "$keys" 2 "per-24 keys (203.0.113.0/24 and 198.51.100.0/24)"

agg='e["event_type"] == "ratelimit" and e["ratelimit"]["key"] == "203.0.113.0/24"'
rl_eve_wait "$agg" || nw_fail "no ratelimit event for 203.0.113.0/24"
nw_expect_eq "$(rl_eve_count "$agg")" 1 "ratelimit events for 203.0.113.0/24"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit"')" 1 "ratelimit events in all"
echo "PASS: the /24 was limited as one key ($lim of $sent limited, no source alone); polite client served $ok/$ok"
