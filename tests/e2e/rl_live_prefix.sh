#!/bin/bash
# e2e: a src/24 aggregate limit, live: ten addresses of 203.0.113.0/24 on the internet host open
# connections to the port forward, 75 each (750 SYNs, in 5 waves of 150), every one of them within
# the per-source limit (burst 100: never limited, however fast they arrive) but together far over
# the /24's (burst 50, 50/min). The /24 is limited as one key (one ratelimit event, key
# 203.0.113.0/24), no single source is, and a polite client of another /24 (198.51.100.11) is
# served during each wave and after. Checked on counts: natwarden counted every SYN the kernel saw;
# the /24 got through at most burst + rate x elapsed (kernel counters after the verdict); the
# rest was limited and dropped with verdict reason per-24.
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

PER_MIN=50
BURST=50
WAVES=5
WAVE=150 # 15 per source (the sender takes the sources in turn)
rl_conf "[limit per-src]" "proto = tcp" "dport = 80" "direction = inbound" \
	"count = new-connections" "key = src" "rate = 20/s" "burst = 100" "" \
	"[limit per-24]" "proto = tcp" "dport = 80" "direction = inbound" \
	"count = new-connections" "key = src/24" "rate = $PER_MIN/min" "burst = $BURST" \
	"event-interval = 1h"
live_apply
rl_syn_count agg 203.0.113.0/24
rl_syn_count other 198.51.100.0/24
live_start

t0=$(rl_ms)
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward before the flood"
rl_waves "$srcs" "$WAVES" "$WAVE" 150 1918
nw_expect_eq "$(live_get /)" "hello from priv" "the port forward after the flood"
rl_wait_judged per-24 agg other
# the /24 as one key: what rl_live.sh checks for one flooding source
rl_check_flood per-24 "$BURST" "$PER_MIN" $(($(rl_ms) - t0)) agg other "$WAVES"
# every source stays within its own limit: per-src counts them all and limits none
live_stat 'd' >/dev/null
slim=$(rl_ctr per-src.limited)
skeys=$(rl_ctr per-src.keys)
echo "per-src: accepted $(rl_ctr per-src.accepted), limited $slim, $skeys keys;" \
	"per-24: $(rl_ctr per-24.keys) keys"
nw_expect_eq "$slim" 0 "packets limited per source (each source is within its burst)"
nw_expect_eq "$(rl_ctr per-src.accepted)" "$((RL_FIN + $(rl_syns in other)))" \
	"new connections accepted per source"
[ "$skeys" -ge 10 ] || nw_fail "per-src saw $skeys keys, expected the 10 sources and more"
nw_expect_eq "$(rl_ctr per-24.keys)" 2 "per-24 keys (203.0.113.0/24 and 198.51.100.0/24)"

agg='e["event_type"] == "ratelimit" and e["ratelimit"]["key"] == "203.0.113.0/24"'
rl_eve_wait "$agg" || nw_fail "no ratelimit event for 203.0.113.0/24"
nw_expect_eq "$(rl_eve_count "$agg")" 1 "ratelimit events for 203.0.113.0/24"
nw_expect_eq "$(rl_eve_count 'e["event_type"] == "ratelimit"')" 1 "ratelimit events in all"
echo "PASS: the /24 was limited as one key ($RL_LIM of $RL_FIN limited, no source alone); polite client served throughout"
