#!/bin/bash
# e2e: the private host reaches an internet host through MASQUERADE with natwarden inline; the
# internet side sees the gateway's public address, and the packets were queued.
source "$(dirname "$0")/live_lib.sh"
live_require
live_topology
live_conf
live_apply
live_start

body=$(in_priv curl -s --max-time 5 http://198.51.100.10:8080/)
nw_expect_eq "$body" "hello from inet" "private host -> internet through MASQUERADE"
grep -q '^198\.51\.100\.1 ' "$LIVE_DIR/inet-http.log" ||
	nw_fail "the internet host should see the public address 198.51.100.1: $(cat "$LIVE_DIR/inet-http.log")"
pk=$(live_stat 'd["packets"]')
[ "$pk" -ge 5 ] || nw_fail "the connection was not queued ($pk packets)"
# the internet host cannot open connections to the private network (FORWARD policy DROP)
in_inet ip route add 172.31.0.0/16 via 198.51.100.1
if in_inet curl -s --max-time 2 http://172.31.19.240:8000/ >/dev/null; then
	nw_fail "a direct connection from the internet to the private host must not pass"
fi
echo "PASS: MASQUERADE inline ($pk packets queued)"
