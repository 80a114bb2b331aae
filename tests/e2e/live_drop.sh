#!/bin/bash
# e2e: a DROP verdict from the example plugin ([example] drop_port = 8080) blocks the private
# host's connections to port 8080; the port forward to 8000 still works.
source "$(dirname "$0")/live_lib.sh"
live_require
live_topology
live_conf "drop_port = 8080"
live_apply
live_start

if in_priv curl -s --max-time 2 http://198.51.100.10:8080/ >/dev/null; then
	nw_fail "traffic to the dropped port got through"
fi
nw_expect_eq "$(live_get /)" "hello from priv" "other traffic still flows"
drops=$(live_stat 'd["verdicts"]["drop"]')
pdrops=$(live_stat 'd["plugins"]["example"]["verdicts"]["drop"]["port"]')
[ "$drops" -ge 1 ] || nw_fail "no drop verdict counted"
nw_expect_eq "$pdrops" "$drops" "drops attributed to the example plugin"
echo "PASS: DROP verdict ($drops packets dropped)"
