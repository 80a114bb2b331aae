# tests/signature/bypass_tls/gen.py: bypass = yes with tls-bypass (the default): a TLS 1.3 flow
# is done once both hellos were seen, so a marker in its encrypted records is not inspected;
# a plain TCP flow with the same marker still alerts.
import struct
from siglib import Capture, TcpSession, out_path

cap = Capture()
def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


sni = b"secret.login.example"
exts = (ext(0x0a0a, b"")  # GREASE: ignored by JA3
        + ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni)
        + ext(10, struct.pack("!H", 6) + struct.pack("!HHH", 0x1a1a, 29, 23))
        + ext(11, b"\x01\x00")
        + ext(43, b"\x04\x03\x04\x03\x03"))
ciphers = [0x2a2a, 0x1301, 0x1302, 0xc02f]
body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 2 * len(ciphers))
        + b"".join(struct.pack("!H", c) for c in ciphers) + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
ch = b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs
sexts = ext(43, b"\x03\x04")
sbody = b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!H", 0x1301) + b"\x00" + struct.pack("!H", len(sexts)) + sexts
shs = b"\x02" + struct.pack("!I", len(sbody))[1:] + sbody
sh = b"\x16\x03\x03" + struct.pack("!H", len(shs)) + shs
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
