#!/bin/bash
# Offline with a [gateway] and a [forward]: packets from outside the private networks are
# inbound, and an inbound packet to the forward's private side (after DNAT) is seen with the
# forward's public port — a limit on `dport = 80, port = public, direction = inbound` applies to
# traffic captured as 198.51.100.x -> 172.31.19.240:8000, and not to the private host's own
# outbound traffic to port 80.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
[ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] || exit 77
python3 - "$NW_TMP" <<'PY'
import sys
from scapy.all import IP, TCP, wrpcap, conf
conf.verb = 0
pk = []
t = 1700000000.0
for i in range(100):
    # inbound, after DNAT (captured on the private side): public port 80 -> private 8000
    p = IP(src="198.51.100.20", dst="172.31.19.240") / TCP(sport=20000 + i, dport=8000, flags="S")
    p.time = t; pk.append(p)
    # outbound from the private host to some web server on port 80
    q = IP(src="172.31.19.240", dst="203.0.113.80") / TCP(sport=30000 + i, dport=80, flags="S")
    q.time = t; pk.append(q)
    t += 0.01
wrpcap(sys.argv[1] + "/gw.pcap", pk, linktype=101)
PY
cat >"$NW_TMP/gw.conf" <<CONF
[natwarden]
plugins = ratelimit

[gateway]
public_interface = pub0
public_address = 198.51.100.1
private_networks = 172.31.0.0/16

[forward web]
listen = 80/tcp
to = 172.31.19.240:8000

[limit web-in]
proto = tcp
dport = 80
port = public
direction = inbound
count = new-connections
key = src
rate = 1/s
burst = 5
CONF
nw_offline "$NW_TMP/gw.pcap" "$NW_TMP/gw.conf" "$NW_TMP/out" || nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
# 100 inbound SYNs within 0.99 s at 1/s burst 5: the burst of 5 passes, 95 dropped; outbound untouched
drops=$(nw_json "$NW_TMP/out/stats.json" 'd["plugins"]["ratelimit"]["verdicts"]["drop"]["web-in"]')
[ "$drops" -ge 94 ] && [ "$drops" -le 96 ] || nw_fail "inbound SYNs to the forward dropped: $drops, want 95 +-1"
nw_expect_eq "$(nw_json "$NW_TMP/out/stats.json" 'd["verdicts"]["drop"]')" "$drops" "total drops (none outbound)"
echo "ok: $drops inbound SYNs limited through the [forward] table, outbound untouched"
