# tests/signature/bypass_http_depth/gen.py: bypass = yes, stream-depth = 0 (no depth) and
# http-depth = 4k: an HTTP flow is done after 4 KiB of a direction, a plain TCP flow never is.
from siglib import Capture, TcpSession, out_path

cap = Capture()
body = "x" * 6000 + "late-marker" + "y" * 100
h = TcpSession(cap, sport=42301, dport=80).handshake()
h.send("GET /file HTTP/1.1\r\nHost: a\r\n\r\n")
h.send("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body, to_server=False, size=1000)
h.close()
t = TcpSession(cap, sport=42302, dport=9000).handshake()
t.send("x" * 6000 + "late-marker", to_server=False, size=1000)
t.close()
cap.write(out_path())
