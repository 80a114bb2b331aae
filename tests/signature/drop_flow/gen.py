# tests/signature/drop_flow/gen.py: an attack in the 2nd request of a connection; later packets of the flow are dropped too.
from siglib import Capture, TcpSession, out_path
cap = Capture()
s = TcpSession(cap).handshake()                       # 3 packets
s.send("GET / HTTP/1.1\r\n\r\n")                      # 1 accepted
s.send("ok", to_server=False)                         # 1 accepted
s.send("GET /?q=<?php system($_GET[c]); ?> HTTP/1.1\r\n\r\n")  # dropped (rule)
s.send("GET /more HTTP/1.1\r\n\r\n")                  # dropped (flow)
s.send("GET /?q=<?php phpinfo(); ?> HTTP/1.1\r\n\r\n")  # dropped (flow): would match again, no 2nd alert
s.close()                                             # 3 dropped (flow)
TcpSession(cap, sport=40200).handshake().send("GET /clean HTTP/1.1\r\n\r\n").close()  # 7 accepted
cap.write(out_path())
