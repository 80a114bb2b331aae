#!/bin/bash
# e2e: a SYN flood from one internet address (198.51.100.10: 3000 SYNs, in 6 waves of 500) into
# the port forward is limited by a per-source new-connections limit on the public port
# (dport = 80, before DNAT), while a polite client on a second address (198.51.100.11) keeps
# being served: its request during each wave, and one after the flood, all succeed.
# Checked on counts, never on rates: natwarden counted every SYN the kernel saw (accepted +
# limited); the flooder got through at most burst + rate x elapsed (kernel counters after the
# verdict); every other flood SYN was limited and dropped with verdict reason `syn80`; the polite
# client was never limited; EVE has one ratelimit event for the flooding key (event-interval 1h:
# not one per packet), none for the polite client.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
source "$(dirname "$0")/rl_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] || nw_fail "ratelimit plugin not built"
live_topology
rl_polite_addr

PER_MIN=20 # slow enough that time barely matters: one more connection every 3 s
BURST=40
WAVES=6
WAVE=500
rl_conf "[limit syn80]" "proto = tcp" "dport = 80" "direction = inbound" \
	"count = new-connections" "key = src" "rate = $PER_MIN/min" "burst = $BURST" \
	"event-interval = 1h"
live_apply
rl_syn_count flood 198.51.100.10
rl_syn_count polite "$RL_POLITE"
live_start

t0=$(rl_ms)
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward before the flood"
rl_waves 198.51.100.10 "$WAVES" "$WAVE" 750 5737
rl_wait_judged syn80 flood polite
rl_check_flood syn80 "$BURST" "$PER_MIN" $(($(rl_ms) - t0)) flood polite "$WAVES"

flood='e["event_type"] == "ratelimit" and e["ratelimit"]["key"] == "198.51.100.10"'
rl_eve_wait "$flood" || nw_fail "no ratelimit event for the flooding key"
nw_expect_eq "$(rl_eve_count "$flood")" 1 "ratelimit events for the flooding key"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit"')" 1 "ratelimit events in all (the polite client has none)"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit" and e["ratelimit"]["state"] == "start"')" 1 \
	"the event's state"
echo "PASS: SYN flood limited to $RL_FOUT of $RL_FIN connections; polite client served throughout"
