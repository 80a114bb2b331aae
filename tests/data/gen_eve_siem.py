# tests/data/gen_eve_siem.py: a capture with an HTTP, a DNS and a TLS 1.2 (with certificate) flow for the EVE ingest check (eve_siem.sh).
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "signature"))
from siglib import Capture, TcpSession, CLIENT, SERVER  # noqa: E402
from scapy.all import IP, UDP, DNS, DNSQR, DNSRR  # noqa: E402

CERTS = os.path.join(HERE, "..", "signature", "tls_cert")
LEAF = open(os.path.join(CERTS, "leaf.der"), "rb").read()
CA = open(os.path.join(CERTS, "ca.der"), "rb").read()


def u24(n):
    return struct.pack("!I", n)[1:]


def hs(t, body):
    return bytes([t]) + u24(len(body)) + body


def rec(body, ver=0x0303):
    return struct.pack("!BHH", 22, ver, len(body)) + body


def client_hello(sni):
    ext = struct.pack("!HH", 0, len(sni) + 5) + struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!HHH", 4, 0xc02f, 0x1301)
            + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    return rec(hs(1, body), 0x0301)


def server_flight():
    body = b"\x03\x03" + bytes([0x11]) * 32 + b"\x00" + struct.pack("!HB", 0xc02f, 0) + b"\x00\x00"
    chain = u24(len(LEAF)) + LEAF + u24(len(CA)) + CA
    return rec(hs(2, body) + hs(11, u24(len(chain)) + chain) + hs(14, b""))


cap = Capture()
h = TcpSession(cap, sport=43001, dport=80).handshake()
h.send("GET /login.php?user=admin HTTP/1.1\r\nHost: Portal.Example:80\r\n"
       "User-Agent: Mozilla/5.0 (X11; Linux x86_64) natwarden-test\r\nReferer: http://start.example/\r\n\r\n")
h.send("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nhello world", to_server=False)
h.close()
q = DNS(id=0x4242, rd=1, qd=DNSQR(qname="c2.bad.example", qtype="A"))
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=53100, dport=53) / q)
a = DNS(id=0x4242, qr=1, rd=1, ra=1, qd=DNSQR(qname="c2.bad.example", qtype="A"),
        an=DNSRR(rrname="c2.bad.example", type="A", ttl=300, rdata="203.0.113.66"))
cap.add(IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=53100) / a)
t = TcpSession(cap, sport=43002, dport=443).handshake()
t.send(client_hello(b"evil.example"))
t.send(server_flight(), to_server=False)
t.close()
cap.write(sys.argv[1])
