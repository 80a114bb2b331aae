#!/bin/bash
# ban_ipset.sh: kernel offload (issue 6, e2e 5). With `ipset = yes` in [ban] and the ruleset
# rendered with ban_sets on, a banned source's UDP flood (2000 packets through a port forward) is
# dropped by the kernel (iptables match-set counter) and none of it reaches natwarden's queue
# (its packet count does not grow); unban removes the address from the set and traffic is
# queued again.
source "$(dirname "$0")/live_lib.sh"
live_require
command -v ipset >/dev/null || live_skip "ipset missing"
[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] || nw_fail "ban plugin not built"
live_topology
LIVE_QUEUES=0
live_conf "ipset = yes"
# the lab's config, with the ban plugin in place of the example and the ban sets in the ruleset,
# plus a UDP forward to flood through
sed -i -e 's/^plugins = example$/plugins = ban/' -e 's/^\[example\]$/[ban]/' \
	-e 's/^\[gateway\]$/[gateway]\nban_sets = yes/' "$LIVE_DIR/nw.conf"
cat >>"$LIVE_DIR/nw.conf" <<'CONF'

[jail sshd]
maxretry = 3
findtime = 10m
bantime = 1h

[forward flood]
listen = 5353/udp
to = 172.31.19.240:5353
CONF
live_apply
in_gw ipset list -n | grep -qx natwarden-ban4 || nw_fail "firewall apply did not create natwarden-ban4"
live_start

FLOOD="$LIVE_DIR/flood.py"
cat >"$FLOOD" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
n = int(sys.argv[1])
for i in range(n):
    s.sendto(b"x" * 32, ("198.51.100.1", 5353))
PY
flood() { in_inet timeout 10 python3 "$FLOOD" "$1" || nw_fail "flood sender"; }
# in_set SET ADDR: the kernel set holds ADDR
in_set() { in_gw ipset test "$1" "$2" >/dev/null 2>&1; }
# wait_set SET ADDR [absent]: bounded 10 s
wait_set() {
	local i
	for i in $(seq 1000); do
		if [ -z "$3" ]; then in_set "$1" "$2" && return 0; else in_set "$1" "$2" || return 0; fi
		sleep 0.01
	done
	return 1
}
# wait_pkts N: until natwarden counted at least N packets (bounded 10 s)
wait_pkts() {
	local i
	for i in $(seq 200); do
		[ "$(live_stat 'd["packets"]')" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# set_drops SET: packets dropped by the NW-FORWARD rule matching SET
set_drops() {
	in_gw iptables -w -L NW-FORWARD -v -x -n | awk -v s="$1" '$3 == "DROP" && index($0, "match-set " s " src") {print $1}'
}

# the path is queued before any ban
p0=$(live_stat 'd["packets"]')
flood 20
wait_pkts $((p0 + 20)) || nw_fail "the UDP forward is not queued to natwarden (got $(live_stat 'd["packets"]') packets)"

"$NATWARDENCTL" -s "$LIVE_SOCK" ban 198.51.100.10 --time 1h >/dev/null || nw_fail "ban"
wait_set natwarden-ban4 198.51.100.10 || { cat "$LIVE_DIR/natwarden.log" >&2; nw_fail "the ban never reached the kernel set"; }
"$NATWARDENCTL" -s "$LIVE_SOCK" ban 203.0.113.0/24 --time 1h >/dev/null || nw_fail "prefix ban"
wait_set natwarden-bannet4 203.0.113.7 || nw_fail "the prefix ban never reached the net set"
[ "$(live_stat 'd["plugins"]["ban"]["counters"]["ipset_errors"]')" = 0 ] ||
	{ cat "$LIVE_DIR/natwarden.log" >&2; nw_fail "ipset errors counted"; }
timeout=$(in_gw ipset list natwarden-ban4 | awk '$1 == "198.51.100.10" && $2 == "timeout" {print $3}')
[ -n "$timeout" ] && [ "$timeout" -gt 3000 ] && [ "$timeout" -le 3600 ] ||
	nw_fail "set entry timeout '$timeout' is not the ban's 1h"

d0=$(set_drops natwarden-ban4)
p1=$(live_stat 'd["packets"]')
q1=$(live_stat 'd["plugins"]["ban"]["counters"]["banned_packets"]')
flood 2000
# the kernel counts synchronously on send: once every drop is counted nothing is in flight
for i in $(seq 200); do
	[ "$(set_drops natwarden-ban4)" -ge $((d0 + 2000)) ] && break
	sleep 0.05
done
d1=$(set_drops natwarden-ban4)
sleep 0.5
p2=$(live_stat 'd["packets"]')
q2=$(live_stat 'd["plugins"]["ban"]["counters"]["banned_packets"]')
echo "flood of 2000 packets from a banned source: kernel dropped $((d1 - d0)), natwarden queued $((p2 - p1)) (banned_packets +$((q2 - q1)))"
[ $((d1 - d0)) -ge 2000 ] || nw_fail "the ipset rule dropped only $((d1 - d0)) of 2000 packets"
nw_expect_eq "$((p2 - p1))" 0 "packets queued to natwarden during the banned flood"

"$NATWARDENCTL" -s "$LIVE_SOCK" unban 198.51.100.10 >/dev/null || nw_fail "unban"
wait_set natwarden-ban4 198.51.100.10 absent || nw_fail "unban left the address in the kernel set"
in_set natwarden-bannet4 203.0.113.7 || nw_fail "unban of one address removed the prefix ban"
flood 20
wait_pkts $((p2 + 20)) || nw_fail "after unban the traffic is not queued again"
d2=$(set_drops natwarden-ban4)
nw_expect_eq "$d2" "$d1" "kernel drops after unban"

# a restart starts from natwarden's own bans: the set is flushed and refilled
live_stop
in_gw ipset flush natwarden-bannet4
in_gw ipset add natwarden-ban4 198.51.100.99 timeout 0
live_start
wait_set natwarden-bannet4 203.0.113.7 || nw_fail "restart did not restore the prefix ban to the set"
wait_set natwarden-ban4 198.51.100.99 absent || nw_fail "restart kept a stale set entry"
echo "PASS: banned flood dropped in the kernel ($((d1 - d0)) packets), none queued; unban and restart keep the sets in sync"
