# tests/signature/http_long_header/gen.py: an HTTP request with a 20 KB header line (over natwarden's 16 KiB field limit) followed by more headers and a second request on the connection; a request with a 10 KB header line (under it).
from siglib import Capture, TcpSession, out_path

cap = Capture()
# 1. keep-alive: the long request, its response, then a plain request
s = TcpSession(cap, sport=45001, dport=80).handshake()
s.send("GET /long-header-page HTTP/1.1\r\nHost: big.example\r\nX-Pad: " + "A" * 20000
       + "\r\nUser-Agent: after-the-long-line\r\nAccept: */*\r\n\r\n", size=1400)
s.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", to_server=False)
s.send("GET /second HTTP/1.1\r\nHost: big.example\r\nUser-Agent: second-request\r\n\r\n")
s.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", to_server=False)
s.close()
# 2. a 10 KB header line: under the limit, no event
s = TcpSession(cap, sport=45002, dport=80).handshake()
s.send("GET /ten-k HTTP/1.1\r\nHost: big.example\r\nCookie: " + "c" * 10000 + "\r\nUser-Agent: ten-k-agent\r\n\r\n",
       size=1400)
s.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", to_server=False)
s.close()
cap.write(out_path())
