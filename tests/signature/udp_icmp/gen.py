# tests/signature/udp_icmp/gen.py: a DNS ANY query, a normal query and ICMP echo requests.
from siglib import Capture, CLIENT, SERVER, out_path
from scapy.all import IP, UDP, ICMP, Raw
import struct
cap = Capture()
def dns(qid, qtype):
    hdr = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return hdr + b"\x07example\x03com\x00" + struct.pack(">HH", qtype, 1)
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=5353, dport=53) / Raw(dns(1, 255)))
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=5354, dport=53) / Raw(dns(2, 1)))
for i in range(3):
    cap.add(IP(src=CLIENT, dst=SERVER) / ICMP(type=8, id=77, seq=i) / Raw(b"ping"))
cap.write(out_path())
