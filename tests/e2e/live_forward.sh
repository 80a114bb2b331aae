#!/bin/bash
# e2e: the port forward gw:80 -> 172.31.19.240:8000 works with natwarden inline, and natwarden's
# counters show the packets were queued and judged.
source "$(dirname "$0")/live_lib.sh"
live_require
live_topology
live_conf
live_apply
live_start

body=$(live_get /)
nw_expect_eq "$body" "hello from priv" "HTTP answer through the port forward"
for i in 1 2 3; do
	[ "$(live_get /)" = "hello from priv" ] || nw_fail "request $i through the forward"
done
pk=$(live_stat 'd["packets"]')
acc=$(live_stat 'd["verdicts"]["accept"]')
[ "$pk" -ge 20 ] || nw_fail "expected the 4 connections to be queued, natwarden saw $pk packets"
[ "$acc" -ge 20 ] || nw_fail "expected accept verdicts, got $acc"
q=$(live_stat 'sum(x["packets"] for x in d["queues"])')
nw_expect_eq "$q" "$pk" "per-queue packets add up"
# stop cleanly: SIGTERM gives verdicts for what it holds and exits 0
kill -TERM "$NW_PID"
wait "$NW_PID"
rc=$?
NW_PID=
nw_expect_eq "$rc" 0 "natwarden exit status after SIGTERM"
echo "PASS: port forward inline ($pk packets queued)"
