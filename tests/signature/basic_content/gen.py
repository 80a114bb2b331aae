# tests/signature/basic_content/gen.py: one request with a traversal and one clean request.
from siglib import Capture, TcpSession, out_path
cap = Capture()
TcpSession(cap, sport=40001).handshake().send("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n").close()
TcpSession(cap, sport=40002).handshake().send("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n").close()
cap.write(out_path())
