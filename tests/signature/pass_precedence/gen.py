# tests/signature/pass_precedence/gen.py: a packet rule `pass` and an application `drop` on the same packet: pass wins, for the flow; without the pass the drop takes the flow.
from siglib import Capture, TcpSession, out_path
cap = Capture()
a = TcpSession(cap, sport=40400).handshake()                                        # 3 accepted
a.send("GET /admin HTTP/1.1\r\nHost: gw.example\r\nX-Trusted: yes\r\n\r\n")       # pass (sid 60) beats drop (sid 61)
a.send("GET /admin/again HTTP/1.1\r\nHost: gw.example\r\n\r\n")                   # the flow is passed: no rule runs
b = TcpSession(cap, sport=40401).handshake()                                        # 3 accepted
b.send("GET /admin HTTP/1.1\r\nHost: gw.example\r\n\r\n")                          # dropped (sid 61), alerts 61 + 62
b.close()                                                                           # 3 dropped: the flow
cap.write(out_path())
