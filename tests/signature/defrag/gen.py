# tests/signature/defrag/gen.py: IPv4 and IPv6 fragments offline reassembly must put together
# (out of order, tiny first fragment, duplicates) or refuse as Linux does (overlap, oversize,
# bad length, timeout).
from siglib import Capture, TcpSession, CLIENT, SERVER, out_path
from scapy.all import IP, IPv6, TCP, UDP, Raw, IPv6ExtHdrFragment

cap = Capture()
C6, S6 = "2001:db8::10", "2001:db8::1"


def v4_frags(l4, pid, pieces, proto=6, src=CLIENT, dst=SERVER):
    """IPv4 fragments of the L4 bytes l4: pieces = [(offset, length, more), ...] in send order."""
    out = []
    for off, n, more in pieces:
        out.append(IP(src=src, dst=dst, id=pid, proto=proto, flags="MF" if more else 0,
                      frag=off // 8) / Raw(l4[off:off + n]))
    return out


def v4_l4(payload, sport, dport=80, seq=1, ack=1):
    """TCP segment bytes (checksum over the whole datagram)."""
    return bytes(IP(src=CLIENT, dst=SERVER) / TCP(sport=sport, dport=dport, flags="PA", seq=seq,
                                                   ack=ack) / Raw(payload))[20:]


# 1. HTTP request in a TCP session whose data segment comes as 3 fragments, last first, the
#    first only 8 bytes (the TCP header itself is split): one alert on the whole datagram.
s = TcpSession(cap, sport=41001).handshake()
req = b"GET /frag-evasion-marker HTTP/1.1\r\nHost: a\r\n\r\n"
l4 = v4_l4(req, 41001, seq=s.cseq, ack=s.sseq)
f = v4_frags(l4, 101, [(0, 8, True), (8, 24, True), (32, len(l4) - 32, False)])
for p in (f[2], f[1], f[1], f[0]):   # out of order, and f[1] again (a plain duplicate)
    cap.add(p)
s.cseq += len(req)
s.close()

# 2. partial overlap: Linux drops the whole datagram (no alert on its content) -> frag_overlap
l4 = v4_l4(b"frag-overlap-marker-" + b"A" * 20, 41002, dport=81)
for p in v4_frags(l4, 102, [(0, 24, True), (16, 16, True), (32, len(l4) - 32, False)]):
    cap.add(p)

# 3. a fragment inside data already held, other bytes: first wins, the datagram goes on
l4 = v4_l4(b"frag-firstwins-marker-" + b"B" * 18, 41003, dport=82)
f = v4_frags(l4, 103, [(0, 24, True), (24, 16, True), (40, len(l4) - 40, False)])
evil = IP(src=CLIENT, dst=SERVER, id=103, proto=6, flags="MF", frag=3) / Raw(b"EVILEVIL")
for p in (f[0], f[1], evil, f[2]):
    cap.add(p)

# 4. over 65535 bytes: the last fragment ends past the maximum
cap.add(IP(src=CLIENT, dst=SERVER, id=104, proto=17, flags=0, frag=8189) / Raw(b"x" * 40))

# 5. timeout: the second half comes 40 s (> defrag_timeout_ipv4 = 30 s) later
l4 = v4_l4(b"frag-timeout-marker-" + b"C" * 20, 41005, dport=83)
f = v4_frags(l4, 105, [(0, 32, True), (32, len(l4) - 32, False)])
cap.add(f[0])
cap.add(f[1], dt=40.0)

# 6. IPv6: a UDP datagram in 3 fragments, then an overlap, then a bad length
u = bytes(IPv6(src=C6, dst=S6) / UDP(sport=5000, dport=9999) / Raw(b"frag6-marker-" + b"D" * 40))[40:]


def v6(pid, off, data, more):
    return IPv6(src=C6, dst=S6) / IPv6ExtHdrFragment(nh=17, offset=off // 8, m=int(more), id=pid) / Raw(data)


cap.add(v6(201, 16, u[16:40], True))
cap.add(v6(201, 40, u[40:], False))
cap.add(v6(201, 0, u[0:16], True))
cap.add(v6(202, 0, u[0:24], True))
cap.add(v6(202, 16, u[16:40], True))   # overlaps [16, 24)
cap.add(v6(203, 0, u[0:20], True))     # 20 bytes, more fragments: not a multiple of 8
cap.write(out_path())
