#!/usr/bin/env python3
# gen_ratelimit.py: deterministic captures for the ratelimit offline tests (fixed times and seeds).
# Usage: gen_ratelimit.py SCENARIO OUT.pcap   (scenarios: see SCENARIOS at the bottom)
#        gen_ratelimit.py bench:KEYS:PACKETS OUT.pcap   (benchmark capture, bench/ratelimit_bench.sh)
# Packets are built by hand (Ethernet/IPv4/UDP|TCP, valid checksums) so 200k packets take seconds.
import random
import struct
import sys

T0 = 1700000000 * 10**9  # capture start, ns
PRIV = "172.31.0.10"     # the private server behind the gateway


def ip2b(s):
    return bytes(int(x) for x in s.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, l4, ident=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident & 0xFFFF, 0, 64, proto, 0,
                      src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def udp(src, dst, sport, dport, payload):
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(l4))
    c = csum(pseudo + l4) or 0xFFFF
    return ipv4(src, dst, 17, l4[:6] + struct.pack("!H", c) + l4[8:])


def tcp(src, dst, sport, dport, flags, seq=1, ack=0, payload=b""):
    l4 = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(l4))
    c = csum(pseudo + l4)
    return ipv4(src, dst, 6, l4[:16] + struct.pack("!H", c) + l4[18:])


def udp6(src, dst, sport, dport, payload):
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = src + dst + struct.pack("!IxxxB", len(l4), 17)
    c = csum(pseudo + l4) or 0xFFFF
    l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), 17, 64, src, dst) + l4


class Pcap:
    """Nanosecond pcap, Ethernet link type."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        self.eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
        self.n = 0

    def add(self, ts_ns, ip):
        eth = self.eth if ip[0] >> 4 == 4 else self.eth[:12] + b"\x86\xdd"
        frame = eth + ip
        self.f.write(struct.pack("<IIII", ts_ns // 10**9, ts_ns % 10**9, len(frame), len(frame)))
        self.f.write(frame)
        self.n += 1

    def close(self):
        self.f.close()


def write_sorted(path, pkts):
    pkts.sort(key=lambda p: p[0])
    pc = Pcap(path)
    for ts, ip in pkts:
        pc.add(ts, ip)
    pc.close()
    return pc.n


def steady(src, pps, seconds, dport=5000, size=100, start=0, sport=40000):
    """One source sending UDP at pps for seconds; size = IP length."""
    gap = 10**9 // pps
    s, d = ip2b(src), ip2b(PRIV)
    payload = b"x" * (size - 28)
    return [(T0 + start + i * gap, udp(s, d, sport, dport, payload)) for i in range(pps * seconds)]


def sc_twice(out):
    # 20 pps for 10 s from one source: twice a 10/s limit
    return write_sorted(out, steady("198.51.100.7", 20, 10))


def sc_below(out):
    # 5 pps for 10 s: half a 10/s limit
    return write_sorted(out, steady("198.51.100.7", 5, 10))


def sc_many(out):
    # 500 sources, 5 pps each for 4 s, staggered: every one under a per-source 10/s limit
    pkts = []
    for i in range(500):
        src = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
        pkts += steady(src, 5, 4, start=i * 379_000, sport=20000 + i)
    return write_sorted(out, pkts)


def sc_prefix(out):
    # 200 sources of 203.0.113.0/24, 1 pps each for 5 s (200 pps for the prefix),
    # and one polite source of 198.51.100.0/24 at 2 pps
    pkts = []
    for i in range(200):
        pkts += steady("203.0.113.%d" % (i + 1), 1, 5, start=i * 4_999_000, sport=30000 + i)
    pkts += steady("198.51.100.20", 2, 5, start=123_000)
    return write_sorted(out, pkts)


def sc_prefix6(out):
    # 100 sources of 2001:db8:1:2::/64, 1 pps each for 5 s (100 pps for the /64),
    # and one polite source of 2001:db8:1:3::/64 at 2 pps
    import ipaddress
    d = ipaddress.IPv6Address("2001:db8:ffff::10").packed
    pkts = []
    for i in range(100):
        s = ipaddress.IPv6Address("2001:db8:1:2:%x::%x" % (i * 7919 % 65536, i + 1)).packed
        pkts += [(T0 + i * 9_999_000 + k * 10**9, udp6(s, d, 30000 + i, 5000, b"v" * 40))
                 for k in range(5)]
    s = ipaddress.IPv6Address("2001:db8:1:3::20").packed
    pkts += [(T0 + 77_000 + k * 500_000_000, udp6(s, d, 40000, 5000, b"p" * 40)) for k in range(10)]
    return write_sorted(out, pkts)


def sc_bytes(out):
    # 1000-byte packets at 100 pps for 10 s = 100 kB/s from one source
    return write_sorted(out, steady("198.51.100.7", 100, 10, size=1000))


def sc_syn(out):
    # 20 new TCP connections per second to port 22 for 10 s, each SYN then ACK and 3 data
    s, d = ip2b("198.51.100.9"), ip2b(PRIV)
    pkts = []
    for i in range(200):
        t = T0 + i * 50_000_000
        sp = 10000 + i
        pkts.append((t, tcp(s, d, sp, 22, 0x02, seq=1000)))
        pkts.append((t + 1_000_000, tcp(s, d, sp, 22, 0x10, seq=1001, ack=5001)))
        for j in range(3):
            pkts.append((t + 2_000_000 + j * 1_000_000,
                         tcp(s, d, sp, 22, 0x18, seq=1001 + 10 * j, ack=5001, payload=b"y" * 10)))
    return write_sorted(out, pkts)


def flood(out, n_sources):
    # one heavy hitter at 100 pps for 10 s among n_sources random one-packet sources
    rnd = random.Random(4242)
    d = ip2b(PRIV)
    pkts = steady("198.51.100.66", 100, 10)
    gap = 10 * 10**9 // n_sources
    payload = b"f" * 32
    for i in range(n_sources):
        a = rnd.getrandbits(32) | 0x01000000
        src = struct.pack("!I", a)
        pkts.append((T0 + i * gap + 7, udp(src, d, 1024 + (a & 0x7FFF), 5000, payload)))
    return write_sorted(out, pkts)


def bench(out, keys, n_pkts):
    # benchmark capture: n_pkts 64-byte UDP packets, 1 us apart, from `keys` sources in a
    # shuffled round robin (every key active all the time)
    rnd = random.Random(keys)
    order = list(range(keys))
    rnd.shuffle(order)
    d = ip2b(PRIV)
    payload = b"b" * 36
    pc = Pcap(out)
    for i in range(n_pkts):
        k = order[i % keys]
        src = struct.pack("!I", 0x0A000000 + k)
        pc.add(T0 + i * 1000, udp(src, d, 1024 + (k & 0x7FFF), 5000, payload))
    pc.close()
    return pc.n


SCENARIOS = {
    "twice": sc_twice,
    "below": sc_below,
    "many": sc_many,
    "prefix": sc_prefix,
    "prefix6": sc_prefix6,
    "bytes": sc_bytes,
    "syn": sc_syn,
    "flood20k": lambda out: flood(out, 20000),
    "flood200k": lambda out: flood(out, 200000),
}

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1].startswith("bench:"):
        _, k, n = sys.argv[1].split(":")
        print("%s: %d packets" % (sys.argv[2], bench(sys.argv[2], int(k), int(n))))
        sys.exit(0)
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        sys.stderr.write("usage: %s {%s} OUT.pcap\n" % (sys.argv[0], "|".join(SCENARIOS)))
        sys.exit(2)
    n = SCENARIOS[sys.argv[1]](sys.argv[2])
    print("%s: %d packets" % (sys.argv[2], n))
