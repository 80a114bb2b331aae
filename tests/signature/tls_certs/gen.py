# tests/signature/tls_certs/gen.py: TLS 1.2 server flights with two-certificate chains (the DER fixtures of tls_cert) for tls.certs, which inspects each certificate of the chain in turn.
import os
import struct
from siglib import Capture, TcpSession, out_path, u24, tls_hs as hs, tls_rec as rec, tls12_client_hello

HERE = os.path.dirname(os.path.abspath(__file__))


def der(name):
    return open(os.path.join(HERE, "..", "tls_cert", name), "rb").read()


LEAF, CA, WEB, WEB_CA = der("leaf.der"), der("ca.der"), der("web.der"), der("web_ca.der")


def client_hello(sni):
    return tls12_client_hello(sni)


def server_hello():
    body = b"\x03\x03" + bytes([0x11]) * 32 + b"\x00" + struct.pack("!HB", 0xc02f, 0) + b"\x00\x00"
    return hs(2, body)


def certificate(*certs):
    chain = b"".join(u24(len(c)) + c for c in certs)
    return hs(11, u24(len(chain)) + chain)


def flight(*certs):
    return rec(22, server_hello() + certificate(*certs) + hs(14, b""))


cap = Capture()
# 1. leaf (evil.example) then its CA, the flight in 200-byte segments
s = TcpSession(cap, sport=43001, dport=443).handshake()
s.send(client_hello(b"evil.example"))
s.send(flight(LEAF, CA), to_server=False, size=200)
s.close()
# 2. the leaf alone: nothing of the CA to find
s = TcpSession(cap, sport=43002, dport=443).handshake()
s.send(client_hello(b"evil.example"))
s.send(flight(LEAF), to_server=False)
s.close()
# 3. an RSA chain of about 2.9 KB in one segment (the stream's start stays in view)
s = TcpSession(cap, sport=43003, dport=443).handshake()
s.send(client_hello(b"www.example.org"))
s.send(flight(WEB, WEB_CA), to_server=False)
s.close()
cap.write(out_path())
