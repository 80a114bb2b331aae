#!/usr/bin/env python3
# gen_ban.py: deterministic captures for the ban plugin's offline tests (fixed times, no randomness).
# Usage: gen_ban.py SCENARIO OUT.pcap
#   bruteforce  an SSH brute force (198.51.100.7, a SYN every 2 s for 120 s), the same from an
#               ignored address (203.0.113.9), a slow benign client (198.51.100.20, one SYN a
#               minute), then one SYN from the attacker after the ban ran out (t = 3700 s)
#   attack      the same without the late packet (the capture ends while the ban is on)
#   return      the attacker again at t = 200..210 s (after a restart of the daemon)
# Prints "NAME=VALUE" lines describing the capture (packet counts, times) for the test.
import struct
import sys

T0 = 1700000000 * 10**9
PRIV = "172.31.0.10"
ATTACKER, IGNORED, BENIGN = "198.51.100.7", "203.0.113.9", "198.51.100.20"


def ip2b(s):
    return bytes(int(x) for x in s.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def syn(src, sport, dport=22):
    s, d = ip2b(src), ip2b(PRIV)
    l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000 + sport, 0, 5 << 4, 0x02, 65535, 0, 0)
    c = csum(s + d + struct.pack("!BBH", 0, 6, len(l4)) + l4)
    l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), sport, 0, 64, 6, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def write(path, pkts):
    pkts.sort(key=lambda p: p[0])
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for ts, ip in pkts:
            frame = eth + ip
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(frame), len(frame)))
            f.write(frame)


def bruteforce(path, late=True):
    pkts = []
    for i in range(60):  # t = 0, 2, ..., 118 s
        pkts.append((T0 + i * 2 * 10**9, syn(ATTACKER, 40000 + i)))
        pkts.append((T0 + i * 2 * 10**9 + 1000, syn(IGNORED, 41000 + i)))
    for i in range(5):  # t = 1, 61, ... 241 s
        pkts.append((T0 + (1 + 60 * i) * 10**9, syn(BENIGN, 42000 + i)))
    if late:
        pkts.append((T0 + 3700 * 10**9, syn(ATTACKER, 43000)))
    write(path, pkts)
    print("attacker_packets=%d" % (61 if late else 60))
    print("attacker_late_ts=%d" % (T0 // 10**9 + 3700))
    print("benign_packets=5")


def comeback(path):
    write(path, [(T0 + (200 + i) * 10**9, syn(ATTACKER, 44000 + i)) for i in range(10)] +
          [(T0 + 205 * 10**9, syn(BENIGN, 45000))])
    print("attacker_packets=10")


SCENARIOS = {"bruteforce": bruteforce, "attack": lambda p: bruteforce(p, late=False),
             "return": comeback}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: gen_ban.py {%s} OUT.pcap" % "|".join(SCENARIOS))
    SCENARIOS[sys.argv[1]](sys.argv[2])
