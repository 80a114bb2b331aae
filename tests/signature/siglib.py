# tests/signature/siglib.py: deterministic capture builders (scapy) shared by the signature cases.
import struct
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Raw, wrpcap  # noqa: F401

CLIENT = "198.51.100.10"
SERVER = "172.31.19.240"
T0 = 1700000000.0


class Capture:
    """Packets with fixed, increasing timestamps."""

    def __init__(self, t0=T0, step=0.001):
        self.pkts = []
        self.t = t0
        self.step = step

    def add(self, pkt, dt=None):
        pkt = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / pkt
        self.t += self.step if dt is None else dt
        pkt.time = self.t
        self.pkts.append(pkt)

    def write(self, path):
        wrpcap(path, self.pkts)


class TcpSession:
    """A TCP connection: handshake, data as given segments, FIN."""

    def __init__(self, cap, client=CLIENT, server=SERVER, sport=40000, dport=80):
        self.cap, self.c, self.s, self.sport, self.dport = cap, client, server, sport, dport
        self.cseq, self.sseq = 1000, 5000

    def _ip(self, to_server):
        return IP(src=self.c, dst=self.s, ttl=64) if to_server else IP(src=self.s, dst=self.c, ttl=64)

    def handshake(self):
        self.cap.add(self._ip(True) / TCP(sport=self.sport, dport=self.dport, flags="S", seq=self.cseq))
        self.cap.add(self._ip(False) / TCP(sport=self.dport, dport=self.sport, flags="SA", seq=self.sseq, ack=self.cseq + 1))
        self.cseq += 1
        self.sseq += 1
        self.cap.add(self._ip(True) / TCP(sport=self.sport, dport=self.dport, flags="A", seq=self.cseq, ack=self.sseq))
        return self

    def seg(self, data, to_server=True, seq_off=None, advance=True):
        """One data segment; seq_off places it relative to the next sequence number."""
        if isinstance(data, str):
            data = data.encode()
        if to_server:
            seq = self.cseq + (seq_off or 0)
            p = TCP(sport=self.sport, dport=self.dport, flags="PA", seq=seq, ack=self.sseq)
        else:
            seq = self.sseq + (seq_off or 0)
            p = TCP(sport=self.dport, dport=self.sport, flags="PA", seq=seq, ack=self.cseq)
        self.cap.add(self._ip(to_server) / p / Raw(load=data))
        if advance and seq_off is None:
            if to_server:
                self.cseq += len(data)
            else:
                self.sseq += len(data)
        return self

    def send(self, data, to_server=True, size=None):
        """Data in segments of `size` bytes (all of it in one when None)."""
        if isinstance(data, str):
            data = data.encode()
        size = size or len(data)
        for i in range(0, len(data), size):
            self.seg(data[i:i + size], to_server)
        return self

    def close(self):
        self.cap.add(self._ip(True) / TCP(sport=self.sport, dport=self.dport, flags="FA", seq=self.cseq, ack=self.sseq))
        self.cap.add(self._ip(False) / TCP(sport=self.dport, dport=self.sport, flags="FA", seq=self.sseq, ack=self.cseq + 1))
        self.cap.add(self._ip(True) / TCP(sport=self.sport, dport=self.dport, flags="A", seq=self.cseq + 1, ack=self.sseq + 1))
        return self


# ---- TLS record builders shared by the TLS cases ----
def u24(n):
    return struct.pack("!I", n)[1:]


def tls_hs(t, body):
    """one handshake message: type, 24-bit length, body"""
    return bytes([t]) + u24(len(body)) + body


def tls_rec(ct, body, ver=0x0303):
    """one TLS record of content type ct"""
    return struct.pack("!BHH", ct, ver, len(body)) + body


def tls12_client_hello(sni):
    """a TLS 1.2 ClientHello record with one SNI extension"""
    ext = struct.pack("!HH", 0, len(sni) + 5) + struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!HHH", 4, 0xc02f, 0x1301)
            + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    return tls_rec(22, tls_hs(1, body), 0x0301)


def tls13_hellos(sni=b"secret.login.example"):
    """(ClientHello, ServerHello) records of a TLS 1.3 handshake with GREASE values, the SNI,
    supported groups and versions: a known JA3"""
    def ext(t, body):
        return struct.pack("!HH", t, len(body)) + body
    exts = (ext(0x0a0a, b"")  # GREASE: ignored by JA3
            + ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni)
            + ext(10, struct.pack("!H", 6) + struct.pack("!HHH", 0x1a1a, 29, 23))
            + ext(11, b"\x01\x00")
            + ext(43, b"\x04\x03\x04\x03\x03"))
    ciphers = [0x2a2a, 0x1301, 0x1302, 0xc02f]
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 2 * len(ciphers))
            + b"".join(struct.pack("!H", c) for c in ciphers) + b"\x01\x00"
            + struct.pack("!H", len(exts)) + exts)
    ch = tls_rec(22, tls_hs(1, body), 0x0301)
    sexts = ext(43, b"\x03\x04")
    sbody = (b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!H", 0x1301) + b"\x00"
             + struct.pack("!H", len(sexts)) + sexts)
    return ch, tls_rec(22, tls_hs(2, sbody))


def out_path():
    return sys.argv[1] if len(sys.argv) > 1 else "capture.pcap"
