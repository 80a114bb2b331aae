# tests/signature/http_records_unanswered/gen.py: HTTP transactions that never get a whole response (no answer, a request natwarden drops, a response cut short, before or after the body limit) still get their EVE http record when the flow ends.
from siglib import Capture, TcpSession, out_path
cap = Capture()
a = TcpSession(cap, sport=43101).handshake()
a.send("GET /answered HTTP/1.1\r\nHost: web.example\r\n\r\n")
a.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", to_server=False)
a.close()
b = TcpSession(cap, sport=43102).handshake()
b.send("GET /unanswered HTTP/1.1\r\nHost: web.example\r\nUser-Agent: probe/1\r\n\r\n")
b.close()
c = TcpSession(cap, sport=43103).handshake()
c.send("GET /blocked?x=EVILQUERY HTTP/1.1\r\nHost: web.example\r\n\r\n")  # dropped: no answer can come
d = TcpSession(cap, sport=43104).handshake()
d.send("GET /partial HTTP/1.1\r\nHost: web.example\r\n\r\n")
d.send("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nonly the start", to_server=False)
e = TcpSession(cap, sport=43105).handshake()
e.send("GET /big HTTP/1.1\r\nHost: web.example\r\n\r\n")
e.send("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + "x" * 600, to_server=False)  # past the body limit: recorded once, then cut
cap.write(out_path())
