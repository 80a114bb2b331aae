#!/bin/bash
# e2e: a BYPASS verdict ([example] bypass_port = 8000) makes the kernel stop queueing the rest
# of the connection: a 2 MB download completes while natwarden's queue counters barely move.
source "$(dirname "$0")/live_lib.sh"
live_require
live_topology
live_conf "bypass_port = 8000"
live_apply
live_start

before=$(live_stat 'd["packets"]')
size=$(in_inet curl -s --max-time 10 -o /dev/null -w '%{size_download}' http://198.51.100.1/big.bin)
nw_expect_eq "$size" 2000000 "downloaded bytes"
after=$(live_stat 'd["packets"]')
byp=$(live_stat 'd["verdicts"]["bypass"]')
[ "$byp" -ge 1 ] || nw_fail "no bypass verdict counted"
queued=$((after - before))
[ "$queued" -le 4 ] || nw_fail "after the bypass verdict $queued packets were still queued"
# the connmark rule saw the rest of the flow
hits=$(in_gw iptables -t filter -L NW-INSPECT -n -v -x | awk '/connmark/ {print $1}')
[ "${hits:-0}" -ge 20 ] || nw_fail "connmark bypass rule matched only ${hits:-0} packets"
echo "PASS: BYPASS ($queued packets queued, $hits bypassed in the kernel)"
