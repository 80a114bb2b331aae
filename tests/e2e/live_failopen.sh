#!/bin/bash
# e2e: kill -9 of natwarden. With fail_open = yes (--queue-bypass) traffic keeps flowing; with
# fail_open = no it stops; a restarted natwarden is inline again.
source "$(dirname "$0")/live_lib.sh"
live_require
live_topology

# fail-open
LIVE_FAIL_OPEN=yes live_conf
live_apply
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "inline before the crash"
live_stop KILL
nw_expect_eq "$(live_get / 3)" "hello from priv" "fail-open: traffic flows without natwarden"

# fail-closed
LIVE_FAIL_OPEN=no live_conf
live_apply
in_gw iptables -S NW-INSPECT | grep -q -- '--queue-bypass' && nw_fail "fail-closed ruleset has --queue-bypass"
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "inline (fail-closed)"
live_stop KILL
if live_get / 2 >/dev/null; then
	nw_fail "fail-closed: traffic passed with natwarden dead"
fi

# restart: inline again
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "after restart"
pk=$(live_stat 'd["packets"]')
[ "$pk" -ge 5 ] || nw_fail "restarted natwarden did not see the traffic ($pk)"
echo "PASS: fail-open and fail-closed on kill -9, inline after restart"
