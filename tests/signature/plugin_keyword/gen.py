# tests/signature/plugin_keyword/gen.py: requests to an even and an odd port (the example plugin's keyword).
from siglib import Capture, TcpSession, out_path
cap = Capture()
TcpSession(cap, sport=40600, dport=8080).handshake().send("hello even\r\n")
TcpSession(cap, sport=40601, dport=8081).handshake().send("hello odd\r\n")
cap.write(out_path())
