# tests/signature/prefilter/gen.py: rules written with Suricata's prefilter keyword load and match (an HTTP request, a UDP datagram).
from siglib import Capture, TcpSession, CLIENT, SERVER, out_path
from scapy.all import IP, UDP, Raw
cap = Capture()
TcpSession(cap, sport=40500).handshake().send("GET /download/setup.exe HTTP/1.1\r\nHost: x.example\r\n\r\n")
cap.add(IP(src=CLIENT, dst=SERVER, ttl=64) / UDP(sport=6100, dport=6200) / Raw(b"beacon-7"))
cap.add(IP(src=CLIENT, dst=SERVER, ttl=63) / UDP(sport=6101, dport=6200) / Raw(b"beacon-7"))
cap.write(out_path())
