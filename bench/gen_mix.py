#!/usr/bin/env python3
# bench/gen_mix.py: a deterministic Ethernet pcap of HTTP-like, SSH-like and random UDP traffic for `natwarden -r`.
# usage: gen_mix.py SESSIONS OUT.pcap   (about 14 packets and 6 KB per session on average)
# Fixed seed and timestamps; addresses 198.51.100.0/24 (clients) -> 172.31.0.0/16 (servers).
import random
import struct
import sys

nsess, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(8)
ts = [1700000000 * 10**6]
WORDS = ["index", "static", "img", "api", "v1", "users", "login", "search", "css", "js", "item",
         "cart", "about", "news", "blog", "page", "assets", "data", "view", "list"]


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def frame(src, dst, proto, l4):
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0,
                     ip4(src), ip4(dst))
    ih = ih[:10] + struct.pack("!H", csum(ih)) + ih[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ih + l4


pkts = []


def emit(fr):
    ts[0] += rnd.randint(5, 40)
    pkts.append((ts[0], fr))


class Tcp:
    def __init__(self, cli, srv, sport, dport):
        self.c, self.s, self.sp, self.dp = cli, srv, sport, dport
        self.cseq, self.sseq = rnd.getrandbits(32), rnd.getrandbits(32)

    def seg(self, to_srv, flags, data=b""):
        if to_srv:
            src, dst, sp, dp, seq, ack = self.c, self.s, self.sp, self.dp, self.cseq, self.sseq
        else:
            src, dst, sp, dp, seq, ack = self.s, self.c, self.dp, self.sp, self.sseq, self.cseq
        hdr = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
        emit(frame(src, dst, 6, hdr + data))
        adv = len(data) + (1 if flags & 0x03 else 0)
        if to_srv:
            self.cseq = (self.cseq + adv) & 0xffffffff
        else:
            self.sseq = (self.sseq + adv) & 0xffffffff

    def open(self):
        self.seg(True, 0x02)
        self.seg(False, 0x12)
        self.seg(True, 0x10)

    def close(self):
        self.seg(True, 0x11)
        self.seg(False, 0x11)
        self.seg(True, 0x10)


TEXT = bytes(b"abcdefghijklmnopqrstuvwxyz <>/=\"\n"[i % 32] for i in range(256))


def text(n):
    return rnd.randbytes(n).translate(TEXT)


def http(i):
    t = Tcp("198.51.100.%d" % (10 + i % 200), "172.31.%d.%d" % (i % 7, 10 + i % 50),
            1024 + i % 60000, rnd.choice([80, 8000, 8080]))
    t.open()
    path = "/" + "/".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4)))
    req = ("GET %s?id=%d HTTP/1.1\r\nHost: www.example.net\r\nUser-Agent: Mozilla/5.0 (X11; "
           "Linux x86_64)\r\nAccept: */*\r\nCookie: s=%x\r\n\r\n" % (path, rnd.randint(1, 99999),
                                                                      rnd.getrandbits(64)))
    t.seg(True, 0x18, req.encode())
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + text(rnd.randint(500, 8000))
    for k in range(0, len(body), 1448):
        t.seg(False, 0x18, body[k:k + 1448])
        if k % 2896 == 0:
            t.seg(True, 0x10)
    t.close()


def ssh(i):
    t = Tcp("198.51.100.%d" % (10 + i % 200), "172.31.%d.%d" % (i % 7, 60 + i % 50),
            1024 + (i * 7) % 60000, 22)
    t.open()
    t.seg(False, 0x18, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    t.seg(True, 0x18, b"SSH-2.0-OpenSSH_9.6\r\n")
    for k in range(rnd.randint(4, 12)):
        t.seg(k % 2 == 0, 0x18, rnd.randbytes(rnd.randint(48, 1400)))
    t.close()


def udp(i):
    n = rnd.randint(2, 6)
    sp, dp = rnd.randint(1024, 65535), rnd.choice([53, 123, 443, 5000, 9000])
    src, dst = "198.51.100.%d" % (10 + i % 200), "172.31.%d.%d" % (i % 7, 110 + i % 50)
    for _ in range(n):
        data = rnd.randbytes(rnd.randint(40, 1200))
        emit(frame(src, dst, 17, struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data))


for i in range(nsess):
    k = rnd.random()
    (http if k < 0.5 else ssh if k < 0.8 else udp)(i)

with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for t, fr in pkts:
        f.write(struct.pack("<IIII", t // 10**6, t % 10**6, len(fr), len(fr)))
        f.write(fr)
print("%d packets, %d bytes" % (len(pkts), sum(len(p) for _, p in pkts)))
