# tests/signature/http_limits/gen.py: two concurrent HTTP flows with a cap of one parser; a body marker past the body limit.
from siglib import Capture, TcpSession, out_path

cap = Capture()
a = TcpSession(cap, sport=42001, dport=80).handshake()
b = TcpSession(cap, sport=42002, dport=80).handshake()
a.send("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 600\r\n\r\n" + "early-marker" + "x" * 400 + "late-marker" + "y" * 177)
b.send("GET /b-attack HTTP/1.1\r\nHost: b\r\n\r\n")
a.close()
b.close()
# after flow a ended (timed out) its parser is free again
cap.t += 900
c = TcpSession(cap, sport=42003, dport=80).handshake()
c.send("GET /c-attack HTTP/1.1\r\nHost: c\r\n\r\n")
c.close()
cap.write(out_path())
