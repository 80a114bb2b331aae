# tests/signature/tls_cert/gen.py: TLS 1.2 handshakes whose server flight carries leaf.der (issued by ca.der), and a TLS 1.3 one that must not yield certificate fields.
import os
import struct
from siglib import Capture, TcpSession, out_path

HERE = os.path.dirname(os.path.abspath(__file__))
LEAF = open(os.path.join(HERE, "leaf.der"), "rb").read()
CA = open(os.path.join(HERE, "ca.der"), "rb").read()


def u24(n):
    return struct.pack("!I", n)[1:]


def hs(t, body):
    return bytes([t]) + u24(len(body)) + body


def rec(ct, body, ver=0x0303):
    return struct.pack("!BHH", ct, ver, len(body)) + body


def client_hello(sni):
    ext = struct.pack("!HH", 0, len(sni) + 5) + struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!HHH", 4, 0xc02f, 0x1301)
            + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    return rec(22, hs(1, body), 0x0301)


def server_hello(tls13=False):
    ext = struct.pack("!HHH", 43, 2, 0x0304) if tls13 else b""
    body = b"\x03\x03" + bytes([0x11]) * 32 + b"\x00" + struct.pack("!HB", 0xc02f, 0) + struct.pack("!H", len(ext)) + ext
    return hs(2, body)


chain = u24(len(LEAF)) + LEAF + u24(len(CA)) + CA
certificate = hs(11, u24(len(chain)) + chain)
done = hs(14, b"")

cap = Capture()
# 1. port 443, one record for the whole server flight, sent in 200-byte segments
s = TcpSession(cap, sport=42001, dport=443).handshake()
s.send(client_hello(b"evil.example"))
s.send(rec(22, server_hello() + certificate + done), to_server=False, size=200)
s.close()
# 2. port 8443 (detected by content), one record per message, one segment
s = TcpSession(cap, sport=42002, dport=8443).handshake()
s.send(client_hello(b"evil.example"))
s.send(rec(22, server_hello()) + rec(22, certificate) + rec(22, done), to_server=False)
s.close()
# 3. TLS 1.3: the certificate is encrypted; the DER bytes in an application-data record are not parsed
s = TcpSession(cap, sport=42003, dport=443).handshake()
s.send(client_hello(b"evil.example"))
s.send(rec(22, server_hello(tls13=True)) + rec(20, b"\x01") + rec(23, certificate), to_server=False)
s.close()
cap.write(out_path())
