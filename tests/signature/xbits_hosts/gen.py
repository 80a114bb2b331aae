# tests/signature/xbits_hosts/gen.py: a host marked by one flow (xbits track ip_src, expire 60)
# is seen in its next flow, in the server's reply (track ip_dst), not for another host, and not
# after the mark lapsed.
from siglib import Capture, TcpSession, out_path
cap = Capture()
a = TcpSession(cap, dport=7300, sport=40800).handshake()
a.send("LOGIN FAIL\r\n")                 # marks 198.51.100.10 (no alert: noalert)
b = TcpSession(cap, dport=7300, sport=40801).handshake()
b.send("GET /admin\r\n")                 # marked host: alert 92
b.send("200 OK\r\n", to_server=False)    # reply to the marked host: alert 93
c = TcpSession(cap, client="198.51.100.11", dport=7300, sport=40802).handshake()
c.send("GET /admin\r\n")                 # other host: alert 94 only
c.send("200 OK\r\n", to_server=False)
cap.t += 61                              # the mark lapses (60 s, packet time)
d = TcpSession(cap, dport=7300, sport=40803).handshake()
d.send("GET /admin\r\n")                 # no longer marked: alert 94 only
d.send("200 OK\r\n", to_server=False)
cap.write(out_path())
