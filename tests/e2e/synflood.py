#!/usr/bin/python3
"""tests/e2e/synflood.py: bounded SYNs to the lab's port forward (198.51.100.1:80), raw socket.

Usage: synflood.py SRCS COUNT PPS SECONDS SEED
  SRCS     comma-separated source addresses, or "spoof" for random sources in 203.0.113.0/24 and
           198.51.100.0/24 (never the lab's own hosts)
  COUNT    packets at most;  PPS  rate (0 = as fast as possible);  SECONDS  time at most
Prints the number of packets sent. Run inside the internet namespace (needs CAP_NET_RAW).
"""
import random
import socket
import struct
import sys
import time

OWN = {"198.51.100.1", "198.51.100.10", "198.51.100.11"}
DST = socket.inet_aton("198.51.100.1")


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def main():
    srcs_arg, count, pps, seconds, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
        float(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(seed)
    spoof = srcs_arg == "spoof"
    if spoof:
        pool = [a for a in ["203.0.113.%d" % i for i in range(1, 255)] +
                ["198.51.100.%d" % i for i in range(2, 255)] if a not in OWN]
    else:
        pool = srcs_arg.split(",")
    srcs = [socket.inet_aton(a) for a in pool]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    start = time.monotonic()
    end = start + seconds
    sent = 0
    while sent < count:
        now = time.monotonic()
        if now >= end:
            break
        if pps > 0:
            due = start + sent / pps
            if due > now:
                time.sleep(due - now)
        src = rnd.choice(srcs) if spoof else srcs[sent % len(srcs)]
        sport = rnd.randrange(1024, 65536)
        tcp = struct.pack("!HHIIBBHHH", sport, 80, rnd.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
        tcp = tcp[:16] + struct.pack("!H", csum(src + DST + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, sent & 0xffff, 0, 64, 6, 0, src, DST)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        try:
            s.sendto(ip + tcp, ("198.51.100.1", 0))
            sent += 1
        except (BlockingIOError, OSError):  # a full socket buffer: retry, bounded by time
            time.sleep(0.001)
    print(sent)


main()
