# tests/signature/tls_sslv2/gen.py: SSLv2-format ClientHellos (two-byte record header with the high bit set, message type 1): a v2-compatible hello offering TLS 1.0 answered by a TLS ServerHello, and an SSL 2.0 hello answered by an SSLv2 SERVER-HELLO.
import os
import struct
from siglib import Capture, TcpSession, out_path


def v2_record(body):
    return struct.pack("!H", 0x8000 | len(body)) + body


def v2_client_hello(version):
    specs = bytes.fromhex("010080" "0700c0" "000035" "00002f")  # SSL2 and TLS cipher specs
    challenge = bytes(range(16))
    body = b"\x01" + struct.pack("!HHHH", version, len(specs), 0, len(challenge)) + specs + challenge
    return v2_record(body)


def v2_server_hello():
    cert = b"\x30\x03\x02\x01\x00"  # the certificate is not parsed
    specs = bytes.fromhex("010080")
    conn_id = bytes(range(16))
    body = (b"\x04\x00\x01" + struct.pack("!HHHH", 0x0002, len(cert), len(specs), len(conn_id))
            + cert + specs + conn_id)
    return v2_record(body)


LEAF = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tls_cert", "leaf.der"), "rb").read()


def u24(n):
    return struct.pack("!I", n)[1:]


def tls_server_hello(version):
    body = struct.pack("!H", version) + bytes([0x22]) * 32 + b"\x00" + struct.pack("!HB", 0x002f, 0) + b"\x00\x00"
    hs = b"\x02" + u24(len(body)) + body
    chain = u24(len(LEAF)) + LEAF
    hs += b"\x0b" + u24(len(chain) + 3) + u24(len(chain)) + chain
    hs += b"\x0e\x00\x00\x00"
    return struct.pack("!BHH", 22, version, len(hs)) + hs


cap = Capture()
# 1. port 443: a v2-compatible ClientHello offering TLS 1.0, answered in TLS 1.0
s = TcpSession(cap, sport=44001, dport=443).handshake()
s.send(v2_client_hello(0x0301))
s.send(tls_server_hello(0x0301), to_server=False)
s.close()
# 2. port 8443 (detected by content): SSL 2.0 on both sides
s = TcpSession(cap, sport=44002, dport=8443).handshake()
s.send(v2_client_hello(0x0002))
s.send(v2_server_hello(), to_server=False)
s.close()
# 3. not TLS: the high bit set but message type 9
s = TcpSession(cap, sport=44003, dport=443).handshake()
s.send(struct.pack("!H", 0x8000 | 30) + b"\x09" + bytes(29))
s.close()
cap.write(out_path())
