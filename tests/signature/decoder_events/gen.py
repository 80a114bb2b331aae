# tests/signature/decoder_events/gen.py: packets whose IP header decodes but whose IP options or
# TCP/UDP/ICMP header are broken (malformed), plus oddities the decoder only warns about.
from siglib import Capture, SERVER, out_path
from scapy.all import IP, IPv6, TCP, UDP, ICMP, Raw, IPv6ExtHdrFragment, IPv6ExtHdrRouting
from scapy.all import ICMPv6EchoRequest

BAD = "198.51.100.66"   # every packet here comes from BAD
BAD6 = "2001:db8::66"
SRV6 = "2001:db8::1"
cap = Capture()


def raw_ip(ip):
    """The IP packet as bytes, lengths and checksums computed, then left alone."""
    return IP(bytes(ip))


# malformed: each raises one event and gets the malformed verdict
cap.add(IP(src=BAD, dst=SERVER) / TCP(sport=1, dport=80, dataofs=2) / Raw(b"GET /"))   # tcp.hlen_too_small
cap.add(IP(src=BAD, dst=SERVER, proto=6) / Raw(b"0123456789"))                           # tcp.pkt_too_small
cap.add(raw_ip(IP(src=BAD, dst=SERVER) / UDP(sport=1, dport=53, len=4) / Raw(b"abcd")))  # udp.hlen_too_small
cap.add(raw_ip(IP(src=BAD, dst=SERVER) / UDP(sport=1, dport=53, len=200) / Raw(b"abcd")))  # udp.hlen_invalid
cap.add(IP(src=BAD, dst=SERVER, proto=1) / Raw(b"\x08\x00"))                             # icmpv4.pkt_too_small
cap.add(IP(src=BAD, dst=SERVER, ihl=4) / Raw(b"x" * 20))                                 # ipv4.hlen_too_small
cap.add(IP(src=BAD, dst=SERVER, len=12) / Raw(b"x" * 20))                                # ipv4.iplen_smaller_than_hlen
cap.add(IP(src=BAD, dst=SERVER, options=b"\x44\x01\x01\x01") / UDP(sport=2, dport=53))   # ipv4.opt_invalid_len
cap.add(IP(src=BAD, dst=SERVER, options=b"\x01\x01\x07\x08") / UDP(sport=2, dport=53))   # ipv4.opt_malformed
# warnings: the packet stays sound (accepted), the event is raised
cap.add(IP(src=BAD, dst=SERVER, options=b"\x07\x03\x04\x07\x03\x04\x01\x01") / UDP(sport=3, dport=53))  # ipv4.opt_duplicate
cap.add(IP(src=BAD, dst=SERVER, options=b"\x9e\x04\x00\x00") / UDP(sport=4, dport=53))    # ipv4.opt_unknown
cap.add(IP(src=BAD, dst=SERVER) / TCP(sport=5, dport=80, flags="S",
                                      options=[("MSS", 1460), ("MSS", 1400)]))  # tcp.opt_duplicate
cap.add(IP(src=BAD, dst=SERVER, len=400) / UDP(sport=6, dport=53) / Raw(b"q" * 20))      # ipv4.trunc_pkt (+ udp len fine)
cap.add(IP(src=BAD, dst=SERVER, proto=58) / ICMPv6EchoRequest())                           # ipv4.icmpv6
cap.add(IPv6(src=BAD6, dst=SRV6) / IPv6ExtHdrRouting(type=0, addresses=[SRV6]) / UDP(sport=7, dport=53))  # ipv6.rh_type_0
cap.add(IPv6(src=BAD6, dst=SRV6) / IPv6ExtHdrFragment(offset=0, m=0, id=9) / UDP(sport=8, dport=53))  # ipv6.exthdr_useless_fh
cap.add(IPv6(src=BAD6, dst=SRV6, nh=1) / ICMP())                                          # ipv6.icmpv4
cap.add(IPv6(src=BAD6, dst=SRV6, nh=59) / Raw(b"leftover"))                               # ipv6.data_after_none_header
# cut by the capture's snap length: not ipv4.trunc_pkt
p = IP(src=BAD, dst=SERVER) / UDP(sport=9, dport=53) / Raw(b"z" * 300)
cap.add(p)
cap.write(out_path())

# write the last packet again cut to 60 bytes, wire length kept (a snaplen capture)
from scapy.utils import PcapReader, PcapWriter  # noqa: E402
pkts = list(PcapReader(out_path()))
last = pkts[-1]
cut = last.__class__(bytes(last)[:60])
cut.time = last.time
cut.wirelen = len(last)
pkts[-1] = cut
w = PcapWriter(out_path(), sync=True)
for q in pkts:
    w.write(q)
w.close()
