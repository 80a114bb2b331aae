# tests/signature/plugin_keyword_packet/gen.py: SYNs without payload, even/odd ports, low/normal TTL (the example plugin's packet keywords).
from scapy.all import IP, TCP
from siglib import Capture, CLIENT, SERVER, out_path
cap = Capture()
for i, (dport, ttl) in enumerate([(8080, 3), (8081, 3), (8082, 64), (8083, 64)]):
    cap.add(IP(src=CLIENT, dst=SERVER, ttl=ttl) / TCP(sport=40700 + i, dport=dport, flags="S", seq=1000))
cap.write(out_path())
