# tests/signature/tls_cert/gen.py: TLS 1.2 handshakes whose server flight carries leaf.der (issued by ca.der) or web.der (issued by web_ca.der), and a TLS 1.3 one that must not yield certificate fields.
# The DER files are fixtures made once with the openssl CLI (`openssl req -x509`, `openssl x509 -req`;
# web.der with string_mask = pkix for its BMPStrings, multi.der with -multivalue-rdn and a negative
# serial); the expected fields are in plugins/signature/tests/test_sig_app.c.
import os
import struct
from siglib import Capture, TcpSession, out_path, u24, tls_hs as hs, tls_rec as rec, tls12_client_hello

HERE = os.path.dirname(os.path.abspath(__file__))
LEAF = open(os.path.join(HERE, "leaf.der"), "rb").read()
CA = open(os.path.join(HERE, "ca.der"), "rb").read()
WEB = open(os.path.join(HERE, "web.der"), "rb").read()
WEB_CA = open(os.path.join(HERE, "web_ca.der"), "rb").read()


def client_hello(sni):
    return tls12_client_hello(sni)


def server_hello(tls13=False):
    ext = struct.pack("!HHH", 43, 2, 0x0304) if tls13 else b""
    body = b"\x03\x03" + bytes([0x11]) * 32 + b"\x00" + struct.pack("!HB", 0xc02f, 0) + struct.pack("!H", len(ext)) + ext
    return hs(2, body)


chain = u24(len(LEAF)) + LEAF + u24(len(CA)) + CA
certificate = hs(11, u24(len(chain)) + chain)
web_chain = u24(len(WEB)) + WEB + u24(len(WEB_CA)) + WEB_CA
web_certificate = hs(11, u24(len(web_chain)) + web_chain)
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
# 4. a v3 RSA certificate with extensions, BMPStrings and a serial with a leading 00 byte
s = TcpSession(cap, sport=42004, dport=443).handshake()
s.send(client_hello(b"www.example.org"))
s.send(rec(22, server_hello() + web_certificate + done), to_server=False, size=1400)
s.close()
cap.write(out_path())
