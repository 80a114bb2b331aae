#!/bin/bash
# e2e: no packet from the private network reaches the internet with its private source address.
# Packets conntrack finds INVALID (a TCP SYN with a bad checksum, a UDP datagram whose length
# field overruns it) get no NAT; the gateway must drop them rather than forward them unmasqueraded
# - with natwarden inline and with natwarden dead (fail-open). The internet host counts arrivals
# from 172.31.0.0/16 with an iptables rule in its own namespace.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
hard_need_scapy
live_topology
in_inet iptables -A INPUT -s 172.31.0.0/16 -j DROP || live_skip "iptables in the namespace"
leaked() { in_inet iptables -L INPUT -vnx | awk '$8 ~ /^172\.31\./ { print $1 }'; }

LIVE_FAIL_OPEN=yes hard_conf example "[example]"
live_apply
live_start

cat >"$LIVE_DIR/invalid.py" <<'PY'
# invalid.py: conntrack-INVALID packets from the private host to the internet host
from scapy.all import IP, TCP, UDP, Raw, send, conf
conf.verb = 0
ip = IP(src="172.31.19.240", dst="198.51.100.10")
send(ip / TCP(sport=5555, dport=9999, flags="S", chksum=0x1234))
send(ip / UDP(sport=5555, dport=9999, len=200) / Raw(b"12345678"))
send(ip / UDP(sport=5556, dport=9999, chksum=0x1234) / Raw(b"12345678"))
PY
hard_py "$NS_PRIV" 20 "$LIVE_DIR/invalid.py" || nw_fail "generator"
hard_wait 50 hard_settled || nw_fail "natwarden did not judge the queue"
# a well-formed connection afterwards (it arrives masqueraded) also flushes the path
nw_expect_eq "$(in_priv curl -s --max-time 3 http://198.51.100.10:8080/)" "hello from inet" "MASQUERADE works"
n_inline=$(leaked)
echo "natwarden inline: $n_inline packet(s) arrived with a private source"

live_stop KILL
hard_py "$NS_PRIV" 20 "$LIVE_DIR/invalid.py" || nw_fail "generator"
nw_expect_eq "$(in_priv curl -s --max-time 3 http://198.51.100.10:8080/)" "hello from inet" "fail-open"
n_dead=$(($(leaked) - n_inline))
echo "natwarden dead (fail-open): $n_dead packet(s) arrived with a private source"
[ "$n_inline" = 0 ] && [ "$n_dead" = 0 ] ||
	nw_fail "the gateway forwards conntrack-INVALID packets unmasqueraded (private source on the internet)"
echo "PASS: no private source address leaked"
