#!/bin/bash
# e2e: a REJECT verdict ([example] reject_port = 8000) answers the client with a TCP RST:
# the connection is refused at once (curl exit 7), not left to time out (exit 28).
source "$(dirname "$0")/live_lib.sh"
live_require
live_topology
live_conf "reject_port = 8000"
live_apply
live_start

in_inet curl -s --max-time 5 http://198.51.100.1/ >/dev/null
rc=$?
nw_expect_eq "$rc" 7 "curl exit status (7 = connection refused, 28 = timeout)"
rej=$(live_stat 'd["verdicts"]["reject"]')
[ "$rej" -ge 1 ] || nw_fail "no reject verdict counted"
# MASQUERADE traffic to another port is unaffected
nw_expect_eq "$(in_priv curl -s --max-time 5 http://198.51.100.10:8080/)" "hello from inet" \
	"other traffic still flows"
echo "PASS: REJECT gives a RST ($rej rejected)"
