# tests/signature/reject_pass/gen.py: a reject rule; a pass rule exempting a trusted client's flow.
from siglib import Capture, TcpSession, out_path
cap = Capture()
TcpSession(cap, client="198.51.100.10", sport=40300).handshake().send("GET /admin HTTP/1.1\r\n\r\n")
TcpSession(cap, client="203.0.113.20", sport=40301).handshake().send("GET /admin HTTP/1.1\r\n\r\n").send("GET /admin2 HTTP/1.1\r\n\r\n")
cap.write(out_path())
