#!/usr/bin/python3
"""tests/data/gen_core.py: deterministic captures for the core's offline tests.

Usage: gen_core.py OUTDIR [DROP_PORT]
Writes OUTDIR/mix-{eth,vlan,raw,sll,sll2}.pcap (the same IP packets in five link types),
OUTDIR/malformed.pcap, and OUTDIR/expect.json with the counts the tests assert.
"""
import json
import random
import struct
import sys
import warnings

from scapy.all import (IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrDestOpt, Ether, Dot1Q, CookedLinux, Raw, wrpcap, conf)
try:
    from scapy.all import CookedLinuxV2
except ImportError:  # older scapy
    CookedLinuxV2 = None

conf.verb = 0
warnings.filterwarnings("ignore")
out = sys.argv[1]
drop_port = int(sys.argv[2]) if len(sys.argv) > 2 else 2222
rng = random.Random(1234)
T0 = 1700000000.0

pkts = []   # IP-layer packets
to_drop = 0
t = T0
for i in range(400):
    kind = rng.choice(["tcp", "tcp", "udp", "icmp", "tcp6", "udp6", "icmp6"])
    sport = rng.randint(1024, 65000)
    dport = rng.choice([80, 443, 22, drop_port, 53, 8000])
    src4 = "198.51.100.%d" % rng.randint(2, 250)
    dst4 = "172.31.19.%d" % rng.randint(2, 250)
    src6 = "2001:db8:1::%x" % rng.randint(2, 4000)
    dst6 = "2001:db8:2::%x" % rng.randint(2, 4000)
    payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
    if kind == "tcp":
        p = IP(src=src4, dst=dst4) / TCP(sport=sport, dport=dport, flags="PA") / Raw(payload)
    elif kind == "udp":
        p = IP(src=src4, dst=dst4) / UDP(sport=sport, dport=dport) / Raw(payload)
    elif kind == "icmp":
        p = IP(src=src4, dst=dst4) / ICMP(id=i, seq=1) / Raw(payload)
        dport = None
    elif kind == "tcp6":
        p = IPv6(src=src6, dst=dst6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / \
            TCP(sport=sport, dport=dport, flags="S")
    elif kind == "udp6":
        p = IPv6(src=src6, dst=dst6) / UDP(sport=sport, dport=dport) / Raw(payload)
    else:
        p = IPv6(src=src6, dst=dst6) / ICMPv6EchoRequest(id=i, seq=1)
        dport = None
    if dport == drop_port:
        to_drop += 1
    p.time = t
    t += 0.001
    pkts.append(p)


def with_time(p, ref):
    p.time = ref.time
    return p


wrpcap(out + "/mix-raw.pcap", pkts, linktype=101)
wrpcap(out + "/mix-eth.pcap", [with_time(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p, p) for p in pkts])
wrpcap(out + "/mix-vlan.pcap", [with_time(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=10) / Dot1Q(vlan=20) / p, p) for p in pkts])
wrpcap(out + "/mix-sll.pcap", [with_time(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, proto=0x800 if p.version == 4 else 0x86dd) / p, p) for p in pkts])
if CookedLinuxV2 is not None:
    wrpcap(out + "/mix-sll2.pcap", [with_time(CookedLinuxV2(proto=0x800 if p.version == 4 else 0x86dd, ifindex=2, lladdrtype=1, lladdrlen=6) / p, p) for p in pkts])

# malformed: each kind once, with the decoder's reason name
bad = []
reasons = {}


def add(raw, reason):
    bad.append(raw)
    reasons[reason] = reasons.get(reason, 0) + 1


good = bytes(IP(src="198.51.100.9", dst="172.31.19.240") / TCP(sport=1, dport=80, flags="S"))
add(b"\x45\x00", "ip_trunc")
add(b"\x75" + good[1:], "ip_version")
add(b"\x43" + good[1:], "ipv4_hlen")
add(good[:2] + b"\x00\x10" + good[4:], "ipv4_totlen")
add(good[:20] + good[20:32] + b"\x20" + good[33:], "tcp_doff")   # doff 2
add(good[:30], "tcp_trunc")
udp = bytearray(bytes(IP(src="198.51.100.9", dst="172.31.19.240") / UDP(sport=1, dport=53) / Raw(b"abcd")))
udp[24:26] = (400).to_bytes(2, "big")
add(bytes(udp), "udp_len")
v6 = IPv6(src="2001:db8::1", dst="2001:db8::2", nh=0)
chain = b""
for _ in range(12):
    chain += b"\x00\x00" + b"\x01\x04\x00\x00\x00\x00"   # hop-by-hop headers chained
raw6 = bytearray(bytes(v6))
raw6[4:6] = len(chain).to_bytes(2, "big")
add(bytes(raw6) + chain, "ipv6_ext_limit")
malformed = list(bad)
with open(out + "/malformed.pcap", "wb") as f:   # written by hand: scapy re-parses packets
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
    for i, raw in enumerate(malformed):
        f.write(struct.pack("<IIII", int(T0) + i, 0, len(raw), len(raw)) + raw)

json.dump({"packets": len(pkts), "to_drop": to_drop, "drop_port": drop_port,
           "malformed": len(malformed), "reasons": reasons,
           "sll2": CookedLinuxV2 is not None}, open(out + "/expect.json", "w"))
