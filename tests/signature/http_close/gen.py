# tests/signature/http_close/gen.py: HTTP/1.0 responses whose bodies run to the server's FIN (no Content-Length), in order and after a gap.
from scapy.all import TCP
from siglib import Capture, TcpSession, out_path


def server_close(s):
    """the server closes first (HTTP/1.0), then the client"""
    s.cap.add(s._ip(False) / TCP(sport=s.dport, dport=s.sport, flags="FA", seq=s.sseq, ack=s.cseq))
    s.cap.add(s._ip(True) / TCP(sport=s.sport, dport=s.dport, flags="FA", seq=s.cseq, ack=s.sseq + 1))
    s.cap.add(s._ip(False) / TCP(sport=s.dport, dport=s.sport, flags="A", seq=s.sseq + 1, ack=s.cseq + 1))


cap = Capture()
# 1: body ended by the close: the response body rule fires once the FIN arrives
a = TcpSession(cap, sport=43001, dport=80).handshake()
a.send("GET /old HTTP/1.0\r\nHost: legacy\r\n\r\n")
a.send("HTTP/1.0 200 OK\r\nServer: old\r\n\r\n", to_server=False)
a.send("first part of the body, then close-marker at the end", to_server=False)
server_close(a)
# 2: the FIN comes while a body segment is missing: the body is not complete, no alert
b = TcpSession(cap, sport=43002, dport=80).handshake()
b.send("GET /gap HTTP/1.0\r\nHost: legacy\r\n\r\n")
b.send("HTTP/1.0 200 OK\r\nServer: old\r\n\r\n", to_server=False)
lost = b"this segment is never seen " * 3
b.sseq += len(lost)
b.send("gap-marker after the hole", to_server=False)
server_close(b)
cap.write(out_path())
