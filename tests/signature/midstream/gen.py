# tests/signature/midstream/gen.py: one TCP flow with its handshake, one picked up mid-stream
# (data both ways, no SYN seen) and one whose first packet is the SYN-ACK (the SYN was missed).
from siglib import Capture, TcpSession, CLIENT, SERVER, out_path
from scapy.all import IP, TCP

cap = Capture()
M = "GET /midstream-marker HTTP/1.1\r\n\r\n"
TcpSession(cap, sport=42001).handshake().send(M)
s = TcpSession(cap, sport=42002)   # no handshake
s.send(M).send("HTTP/1.1 200 OK\r\n\r\n", to_server=False).send(M)
s = TcpSession(cap, sport=42003)   # SYN-ACK first
cap.add(IP(src=SERVER, dst=CLIENT) / TCP(sport=80, dport=42003, flags="SA", seq=s.sseq, ack=s.cseq + 1))
s.cseq += 1
s.sseq += 1
cap.add(IP(src=CLIENT, dst=SERVER) / TCP(sport=42003, dport=80, flags="A", seq=s.cseq, ack=s.sseq))
s.send(M)
cap.write(out_path())
