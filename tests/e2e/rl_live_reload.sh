#!/bin/bash
# e2e: natwardenctl reload changes a limit's rate while its traffic flows. One internet address
# opens connections to the port forward at 100/s for 10 s; the per-source new-connections limit
# starts at 20/s (burst 20: limited), is raised by a reload to 1000/s (burst 200: from the moment
# the reload returns nothing is limited, although the key was deep in debt under the old rate),
# then lowered to 5/s (burst 5: limited again, at most burst + 5/s x time gets through, and a new
# ratelimit event says "5/s"). The limit keeps its counters and verdict reason across reloads.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
source "$(dirname "$0")/rl_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] || nw_fail "ratelimit plugin not built"
live_topology

# conf RATE BURST: the lab config with limit "web" at that rate
conf() {
	rl_conf "[limit web]" "proto = tcp" "dport = 80" "direction = inbound" \
		"count = new-connections" "key = src" "rate = $1" "burst = $2" "event-interval = 2s"
}
# reload: natwardenctl reload, which must succeed
reload() {
	"$NATWARDENCTL" -s "$LIVE_SOCK" reload >"$LIVE_DIR/reload.out" 2>&1 ||
		{ cat "$LIVE_DIR/reload.out" >&2; nw_fail "natwardenctl reload"; }
}
# snap: "accepted limited" of limit web now
snap() {
	live_stat 'd' >/dev/null
	echo "$(rl_ctr web.accepted) $(rl_ctr web.limited)"
}
# now_ms: monotonic-enough wall clock in ms
now_ms() { echo $(($(date +%s%N) / 1000000)); }

conf 20/s 20
live_apply
live_start
# one check before the traffic (from the sender's address: a single connection)
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward before the traffic"
rl_send_bg "$LIVE_DIR/sent" 198.51.100.10 1000 100 10 4242

sleep 2
read -r a_acc a_lim <<<"$(snap)"
echo "phase A (20/s, burst 20): accepted $a_acc, limited $a_lim"
[ "$a_lim" -gt 0 ] || nw_fail "100/s against 20/s: nothing limited before the reload"

conf 1000/s 200
reload
read -r b0_acc b0_lim <<<"$(snap)"
sleep 2
read -r b1_acc b1_lim <<<"$(snap)"
echo "phase B (1000/s, burst 200): accepted +$((b1_acc - b0_acc)), limited +$((b1_lim - b0_lim))"
nw_expect_eq "$((b1_lim - b0_lim))" 0 "packets limited after raising the rate to 1000/s"
[ $((b1_acc - b0_acc)) -ge 50 ] || nw_fail "only $((b1_acc - b0_acc)) accepted in 2 s at 100/s"

conf 5/s 5
reload
c0_ms=$(now_ms)
read -r c0_acc c0_lim <<<"$(snap)"
kill -0 "$RL_SEND_PID" 2>/dev/null || nw_fail "the sender ended before phase C (too slow a machine?)"
sleep 2
read -r c1_acc c1_lim <<<"$(snap)"
c_ms=$(($(now_ms) - c0_ms))
echo "phase C (5/s, burst 5): accepted +$((c1_acc - c0_acc)), limited +$((c1_lim - c0_lim)) in $c_ms ms"
[ $((c1_lim - c0_lim)) -gt 0 ] || nw_fail "100/s against 5/s: nothing limited after lowering the rate"
# at most burst + rate x the time between the snapshots (the key's debt carries over, so this is
# an upper bound, not the expected value)
[ $((c1_acc - c0_acc)) -le $((5 + 5 * (c_ms + 999) / 1000 + 1)) ] ||
	nw_fail "$((c1_acc - c0_acc)) accepted in $c_ms ms at 5/s, burst 5"

wait "$RL_SEND_PID" || nw_fail "the SYN sender failed"
hard_wait 100 hard_settled || echo "note: natwarden still busy with the queue"
live_stat 'd' >/dev/null
lim=$(rl_ctr web.limited)
nw_expect_eq "$(rl_reason_drops web)" "$lim" "drops with reason web (kept across reloads) vs. limited"
nw_expect_eq "$(live_stat 'd["reload_failures"] if "reload_failures" in d else 0')" 0 "reload failures"
five='e["event_type"] == "ratelimit" and e["ratelimit"]["rate"] == "5/s" and e["ratelimit"]["state"] == "start"'
rl_eve_wait "$five" || nw_fail "no ratelimit event at the new rate 5/s"
twenty='e["event_type"] == "ratelimit" and e["ratelimit"]["rate"] == "20/s"'
[ "$(rl_eve_count "$twenty")" -ge 1 ] || nw_fail "no ratelimit event at the first rate 20/s"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit" and e["ratelimit"]["rate"] == "1000/s"')" 0 \
	"ratelimit events at 1000/s"
echo "PASS: reloads changed the rate under traffic (20/s limited, 1000/s none, 5/s limited again)"
