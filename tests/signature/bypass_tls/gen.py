# tests/signature/bypass_tls/gen.py: bypass = yes with tls-bypass (the default): a TLS 1.3 flow
# is done once both hellos were seen, so a marker in its encrypted records is not inspected;
# a plain TCP flow with the same marker still alerts.
import struct
from siglib import Capture, TcpSession, out_path, tls13_hellos

cap = Capture()
ch, sh = tls13_hellos()
t = TcpSession(cap, sport=41111, dport=443).handshake()
t.send(ch)
t.send(sh, to_server=False)
rec = b"late-marker" + b"z" * 100
t.send(b"\x17\x03\x03" + struct.pack("!H", len(rec)) + rec)
t.close()
u = TcpSession(cap, sport=41112, dport=8080).handshake()
u.send(b"late-marker")
u.close()
cap.write(out_path())
