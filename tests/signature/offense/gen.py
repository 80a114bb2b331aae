# tests/signature/offense/gen.py: two attacks and a scan from one source.
from siglib import Capture, TcpSession, out_path
cap = Capture()
TcpSession(cap, sport=40500).handshake().send("GET /?a=../../etc/passwd HTTP/1.1\r\n\r\n")
TcpSession(cap, sport=40501).handshake().send("GET /?b=../../etc/shadow HTTP/1.1\r\n\r\n")
TcpSession(cap, sport=40502).handshake().send("GET /?c=<script>x</script> HTTP/1.1\r\n\r\n")
cap.write(out_path())
