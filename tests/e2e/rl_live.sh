#!/bin/bash
# e2e: a SYN flood from one internet address (198.51.100.10: 3000 SYNs at 750/s) into the port
# forward is limited by a per-source new-connections limit on the public port (dport = 80, before
# DNAT), while a polite client on a second address (198.51.100.11) keeps being served: every one of
# its spaced requests during the flood succeeds. Checked from natwardenctl stats --json: the
# limit's `limited` counter grew and equals the drops with verdict reason `syn80`; what got through
# stays within burst + rate x the time natwarden took; and from EVE: one ratelimit event for the
# flooding key (event-interval 1m: not one per packet), none for the polite client.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
source "$(dirname "$0")/rl_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] || nw_fail "ratelimit plugin not built"
live_topology
rl_polite_addr

RATE=20
BURST=40
PKTS=3000
rl_conf "[limit syn80]" "proto = tcp" "dport = 80" "direction = inbound" \
	"count = new-connections" "key = src" "rate = $RATE/s" "burst = $BURST" \
	"event-interval = 1m"
live_apply
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward before the flood"

t0=$(date +%s%N)
rl_send_bg "$LIVE_DIR/sent" 198.51.100.10 "$PKTS" 750 5 5737
rl_polite "$LIVE_DIR/polite" "$RL_SEND_PID"
wait "$RL_SEND_PID" || nw_fail "the SYN sender failed"
hard_wait 100 hard_settled || echo "note: natwarden still busy with the queue 10 s after the flood"
t1=$(date +%s%N)
sent=$(cat "$LIVE_DIR/sent")
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward after the flood"

live_stat 'd' >/dev/null
acc=$(rl_ctr syn80.accepted)
lim=$(rl_ctr syn80.limited)
rdrops=$(rl_reason_drops syn80)
unins=$(nw_json "$LIVE_DIR/stats.json" 'd.get("uninspected", 0)')
during=$(hard_lines "$LIVE_DIR/polite" during)
ok=$(hard_lines "$LIVE_DIR/polite" ok)
fail=$(hard_lines "$LIVE_DIR/polite" fail)
ms=$(((t1 - t0) / 1000000))
# every new connection natwarden let through: the flooder's, the polite client's and the two
# checks of our own from 198.51.100.10; GCRA lets at most burst + rate x elapsed of one key pass
bound=$((BURST + RATE * (ms + 999) / 1000 + 1 + ok + fail + 2))
echo "flood: $sent SYNs; natwarden: syn80 accepted $acc, limited $lim, drops by reason syn80 $rdrops," \
	"$unins uninspected; $ms ms until settled; polite: $ok ok, $fail failed ($during during the flood)"

[ "$sent" -ge $((PKTS * 9 / 10)) ] || nw_fail "the sender sent only $sent SYNs"
[ "$fail" -eq 0 ] || nw_fail "$fail of the polite client's requests failed"
[ "$during" -ge 3 ] || nw_fail "only $during polite requests overlapped the flood"
[ "$lim" -ge $((sent / 2)) ] || nw_fail "only $lim of $sent SYNs limited"
nw_expect_eq "$rdrops" "$lim" "drops with reason syn80 vs. the limited counter"
[ "$acc" -le "$bound" ] || nw_fail "$acc connections accepted, more than burst + rate x time ($bound)"

flood='e["event_type"] == "ratelimit" and e["ratelimit"]["key"] == "198.51.100.10"'
rl_eve_wait "$flood" || nw_fail "no ratelimit event for the flooding key"
nw_expect_eq "$(rl_eve_count "$flood")" 1 "ratelimit events for the flooding key"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit"')" 1 "ratelimit events in all (the polite client has none)"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit" and e["ratelimit"]["state"] == "start"')" 1 \
	"the event's state"
echo "PASS: SYN flood limited to $acc of $sent connections; polite client served $ok/$ok"
