#!/bin/bash
# e2e: natwardenctl reload changes a limit's rate for a key that is already over it. One internet
# address opens connections to the port forward in three rounds, each sent in full and judged
# before the next step; the per-source new-connections limit "web":
#   A. 20/min, burst 20: 100 SYNs, limited beyond the burst;
#   B. raised by a reload to 1000/s, burst 200: the key owed its whole old burst, and a reload
#      re-expresses that debt in the new rate (20 of 200), so 150 SYNs sent at once after the
#      reload returned are all accepted, none limited, however fast they arrive;
#   C. lowered to 5/min, burst 5 (after the key had refilled): 100 SYNs, limited again, at most
#      burst + rate x elapsed get through, and a new ratelimit event says "5/min".
# The limit keeps its counters and verdict reason across reloads. Everything is asserted on counts
# (natwarden's counters, the kernel's SYN counters, EVE events), never on rates per second.
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
# snap: "accepted limited through" of limit web and the kernel's forwarded SYN count, now
snap() {
	echo "$(live_stat "' '.join(str(d['plugins']['ratelimit']['counters'].get(k, 0)) for k in ('web.accepted', 'web.limited'))") $(rl_syns out src)"
}

ACC=0 LIM=0 OUT=0
# round COUNT PPS SEED: COUNT SYNs from 198.51.100.10, judged; D_ACC, D_LIM: what limit web
# accepted and limited since the last round (all of it was forwarded, none of the rest)
round() {
	local acc lim out
	rl_send 198.51.100.10 "$1" "$2" "$3"
	rl_wait_judged web src
	read -r acc lim out <<<"$(snap)"
	D_ACC=$((acc - ACC)) D_LIM=$((lim - LIM))
	nw_expect_eq "$D_ACC" "$((out - OUT))" "SYNs forwarded vs. accepted"
	ACC=$acc LIM=$lim OUT=$out
}
# at_most PHASE BURST PER_MIN SINCE: D_ACC is within burst + rate x the time since SINCE (ms)
at_most() {
	local bound
	bound=$(rl_gcra_max "$2" "$3" $(($(rl_ms) - $4)))
	echo "phase $1: accepted $D_ACC (at most $bound), limited $D_LIM"
	[ "$D_ACC" -le "$bound" ] || nw_fail "phase $1: $D_ACC accepted, more than burst + rate x time ($bound)"
}

conf 20/min 20
live_apply
rl_syn_count src 198.51.100.10
live_start
# one check before the traffic (from the sender's address: it takes from the key's burst)
t0=$(rl_ms)
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward before the traffic"

# A. 20/min, burst 20
round 100 200 4242
at_most "A (20/min, burst 20)" 20 20 "$t0"
[ "$D_LIM" -gt 0 ] || nw_fail "phase A: 100 SYNs against burst 20: nothing limited"

# B. 1000/s, burst 200: nothing limited from the moment the reload returns
conf 1000/s 200
reload
round 150 0 4243
echo "phase B (1000/s, burst 200): accepted $D_ACC, limited $D_LIM"
nw_expect_eq "$D_LIM" 0 "packets limited after raising the rate to 1000/s"
nw_expect_eq "$D_ACC" 150 "packets accepted after raising the rate to 1000/s"
# let the key refill at 1000/s (0.2 s) and the event interval (2 s) pass since phase A's events:
# a minimum wait, which a slow machine only makes longer
sleep 2.5

# C. 5/min, burst 5
conf 5/min 5
reload
c0=$(rl_ms)
round 100 200 4244
at_most "C (5/min, burst 5)" 5 5 "$c0"
[ "$D_ACC" -ge 5 ] || nw_fail "phase C: only $D_ACC accepted, the key had its full burst of 5"
nw_expect_eq "$((D_ACC + D_LIM))" 100 "phase C: SYNs judged"

nw_expect_eq "$(rl_reason_drops web)" "$LIM" "drops with reason web (kept across reloads) vs. limited"
nw_expect_eq "$(live_stat 'd["reload_failures"] if "reload_failures" in d else 0')" 0 "reload failures"
five='e["event_type"] == "ratelimit" and e["ratelimit"]["rate"] == "5/min" and e["ratelimit"]["state"] == "start"'
rl_eve_wait "$five" || nw_fail "no ratelimit event at the new rate 5/min"
twenty='e["event_type"] == "ratelimit" and e["ratelimit"]["rate"] == "20/min"'
[ "$(rl_eve_count "$twenty")" -ge 1 ] || nw_fail "no ratelimit event at the first rate 20/min"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit" and e["ratelimit"]["rate"] == "1000/s"')" 0 \
	"ratelimit events at 1000/s"
echo "PASS: reloads changed the rate of a key over its limit (20/min limited, 1000/s none, 5/min limited again)"
