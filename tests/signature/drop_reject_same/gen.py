# tests/signature/drop_reject_same/gen.py: one packet matched by a drop, a reject and an alert rule; another by a drop rule only.
from siglib import Capture, TcpSession, out_path
cap = Capture()
TcpSession(cap, sport=40500).handshake().send("GET /both HTTP/1.1\r\n\r\n")       # 3 accepted, 1 rejected (sids 70, 71, 72)
TcpSession(cap, sport=40501).handshake().send("GET /droponly HTTP/1.1\r\n\r\n")   # 3 accepted, 1 dropped (sid 73)
cap.write(out_path())
