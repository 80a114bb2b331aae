#!/usr/bin/env python3
# bench/gen_rules_et.py: N deterministic rules shaped like ET Open's (binary contents, one-byte contents, many ports, flowbits, pcre; packet-level or mixed with HTTP/DNS/TLS) for the rule-compile benchmark.
# usage: gen_rules_et.py N OUT.rules [--packet]
#   --packet: only packet-level rules (tcp/udp/icmp/ip headers and payload); default: 60% packet
#   level, 40% application rules (http/dns/tls sticky buffers), like a whole ET Open set.
# The shapes that made natwarden's rule compile superlinear are all here: hundreds of distinct
# destination ports (single, lists, small ranges, variables) next to any-port rules, contents of
# one byte (dsize-guarded protocol probes), binary contents with runs of NULs, nocase strings with
# depth/offset/distance/within. Same N, same file.
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
packet_only = "--packet" in sys.argv[3:]
R = random.Random(2016)
WORDS = ["admin", "login", "shell", "upload", "config", "backup", "invoke", "exec", "cmd", "gate",
         "panel", "beacon", "update", "check", "task", "report", "status", "query", "agent", "bot",
         "keylog", "proxy", "socks", "tunnel", "stage", "loader", "drop", "inject", "dump", "hash"]
CMDS = ["USER ", "PASS ", "RETR ", "STOR ", "SITE ", "HELO ", "MAIL FROM|3a|", "RCPT TO|3a|",
        "NICK ", "JOIN #", "PRIVMSG ", "GET ", "POST ", "AUTHINFO ", "SEARCH ", "VERSION|0a|"]
SERVICE_PORTS = [21, 22, 23, 25, 53, 69, 79, 110, 111, 113, 119, 135, 137, 139, 143, 161, 179, 389,
                 443, 445, 465, 502, 514, 515, 587, 631, 873, 993, 995, 1080, 1433, 1434, 1521,
                 1723, 1755, 1863, 1900, 2049, 2401, 3128, 3306, 3389, 3724, 4000, 5060, 5190,
                 5222, 5432, 5631, 5900, 6112, 6667, 7777, 8000, 8074, 8080, 9100, 10000, 27015]
PORT_VARS = ["$HTTP_PORTS", "$ORACLE_PORTS", "$SSH_PORTS", "$FTP_PORTS", "$FILE_DATA_PORTS",
             "!$HTTP_PORTS"]
CLASSES = ["trojan-activity", "attempted-admin", "attempted-recon", "misc-attack", "bad-unknown",
           "policy-violation", "attempted-dos", "protocol-command-decode"]
TLDS = [".top", ".xyz", ".su", ".tk", ".pw", ".cc", ".ru", ".duckdns.org"]
UAS = ["Mozilla/4.0 (compatible|3b| MSIE 6.0)", "python-requests/", "curl/", "WinHTTP", "AutoIt"]
sid = [2800000]


def w():
    return R.choice(WORDS)


def fbit():
    """a flowbit name; natwarden keeps at most 128 per process, ET Open uses about 100"""
    return "ET.%s%d" % (R.choice(WORDS[:12]), R.randrange(8))


def hexbytes(k, nul_runs=True):
    """|..| bytes as ET writes them: binary, often with runs of 00 or a repeated byte"""
    b = [R.randrange(256) for _ in range(k)]
    if nul_runs and k >= 6 and R.random() < 0.5:
        s = R.randrange(k - 3)
        fill = R.choice([0, 0, 0, 0xff, 0x41, 0xcc])
        for j in range(s, min(k, s + R.randint(3, 8))):
            b[j] = fill
    return "|" + " ".join("%02x" % x for x in b) + "|"


def mixed(k):
    """text with an embedded |hex| part"""
    return "%s%s%s" % (w().capitalize(), hexbytes(R.randint(1, 3), False), w())


def port():
    """destination ports: services, C&C ports, lists, small ranges and variables (hundreds of
    distinct ones in a large set, like ET Open)"""
    k = R.random()
    if k < 0.35:
        return "any"
    if k < 0.60:
        return str(R.choice(SERVICE_PORTS))
    if k < 0.80:
        return str(R.randrange(1024, 65535))           # a C&C port
    if k < 0.86:
        a = R.choice(SERVICE_PORTS)
        return "[%d,%d]" % (a, R.choice(SERVICE_PORTS))
    if k < 0.90:
        a = R.randrange(1024, 60000)
        return "%d:%d" % (a, a + R.randint(1, 20))     # a small range: one group per port
    if k < 0.94:
        return "1024:"                                 # too many ports: grouped as any
    return R.choice(PORT_VARS)


def rule(proto, src, sp, dst, dp, body, msg):
    sid[0] += 1
    return ('alert %s %s %s -> %s %s (msg:"ET %s %d"; %s classtype:%s; sid:%d; rev:%d; '
            'metadata:created_at 2024_01_01;)'
            % (proto, src, sp, dst, dp, msg, sid[0], body, R.choice(CLASSES), sid[0],
               R.randint(1, 9)))


def pkt_rule(i):
    k = R.random()
    out_ = R.random() < 0.6
    src, dst = ("$HOME_NET", "$EXTERNAL_NET") if out_ else ("$EXTERNAL_NET", "$HOME_NET")
    dp = port()
    if k < 0.30:   # binary C&C checkin: content with depth, a second one within
        b = ('flow:established,to_server; content:"%s"; depth:%d; content:"%s"; distance:0; '
             'within:%d;' % (hexbytes(R.randint(4, 16)), R.randint(16, 40), mixed(8),
                             R.randint(20, 60)))
        return rule("tcp", src, "any", dst, dp, b, "TROJAN binary checkin")
    if k < 0.45:   # text protocol command, nocase, within, sometimes pcre/isdataat
        c, t = R.choice(CMDS), w() + w()
        b = 'flow:established,to_server; content:"%s"; nocase; depth:%d; content:"%s"; nocase; within:%d;' % (
            c, len(c) + R.randint(0, 4), t, len(t) + R.randint(0, 30))
        if R.random() < 0.4:
            b += ' isdataat:%d,relative; pcre:"/^%s\\s+[^\\n]{%d}/smi";' % (
                R.randint(20, 300), c.split("|")[0].strip() or "X", R.randint(20, 300))
        return rule("tcp", src, "any", dst, dp, b, "EXPLOIT command overflow")
    if k < 0.55:   # dsize-guarded probe with a one- or two-byte content and flowbits
        fb = fbit()
        if R.random() < 0.5:
            c = R.randint(1, 2)
            b = 'flow:established,to_server; dsize:%d; content:"%s"; depth:%d; flowbits:set,%s; flowbits:noalert;' % (
                R.randint(c, 8), hexbytes(c, False), R.randint(c, 4), fb)
        else:
            b = 'flow:established,from_server; flowbits:isset,%s; dsize:<%d; content:"%s"; offset:%d; depth:%d;' % (
                fb, R.randint(10, 90), hexbytes(R.randint(1, 4), False), R.randint(0, 8),
                R.randint(4, 12))
        return rule("tcp", src, "any", dst, dp, b, "TROJAN probe")
    if k < 0.68:   # UDP: offset/depth binary, sometimes byte_test
        b = 'content:"%s"; offset:%d; depth:%d;' % (hexbytes(R.randint(2, 12)), R.randint(0, 16),
                                                    R.randint(12, 40))
        if R.random() < 0.3:
            b += ' byte_test:1,>,%d,0,relative;' % R.randint(1, 200)
        if R.random() < 0.3:
            b += ' threshold:type limit, track by_src, count 1, seconds 60;'
        return rule("udp", src, "any", dst, dp, b, "MISC udp")
    if k < 0.80:   # any-port text content, nocase, pcre
        t = "%s_%s_%s" % (w(), w(), R.randrange(1000))
        b = 'flow:established; content:"%s"; nocase; pcre:"/%s[a-z0-9]{%d,}/i";' % (
            t, t, R.randint(2, 9))
        return rule("tcp", src, "any", dst, "any", b, "ATTACK_RESPONSE string")
    if k < 0.88:   # SMB-ish: |FF|SMB with offsets, relative contents, byte_jump
        b = ('flow:to_server,established; content:"|00|"; depth:1; content:"|FF|SMB%s"; offset:4; '
             'depth:5; content:"%s"; distance:%d; within:%d;' % (
                 hexbytes(1, False), hexbytes(R.randint(2, 12)), R.randint(0, 60),
                 R.randint(12, 40)))
        if R.random() < 0.3:
            b += ' byte_jump:4,12,relative,little;'
        return rule("tcp", "any", "any", "$HOME_NET", R.choice(["139", "445", "[139,445]"]), b,
                    "NETBIOS smb")
    if k < 0.94:   # ICMP
        b = 'itype:%d; icode:0; content:"%s"; depth:%d;' % (
            R.choice([0, 3, 8, 11, 13]), hexbytes(R.randint(4, 32)), R.randint(32, 64))
        return rule("icmp", src, "any", dst, "any", b, "SCAN icmp")
    if k < 0.97:   # header-only: flags, flowbits, ttl, ip_proto
        b = R.choice(['flags:S,12; dsize:0; threshold:type both, track by_dst, count 1, seconds 60;',
                      'flow:established; flowbits:isset,%s; flowbits:unset,%s;' % (fbit(), fbit()),
                      'flags:R; flow:to_server; flowbits:isset,%s;' % fbit()])
        return rule("tcp", src, "any", dst, dp, b, "SCAN header")
    b = R.choice(["ip_proto:%d;" % R.randint(50, 140), "ttl:0;", "ip_proto:2; dsize:>%d;" % R.randint(8, 64)])
    return rule("ip", src, "any", dst, "any", b, "MISC ip")


def app_rule(i):
    k = R.random()
    if k < 0.55:
        u = "/%s/%s.php" % (w(), w())
        kk = R.randrange(5)
        if kk == 0:
            b = ('flow:established,to_server; http.method; content:"POST"; http.uri; content:"%s"; '
                 'fast_pattern; endswith; http.header_names; content:!"Referer";' % u)
        elif kk == 1:
            b = ('flow:established,to_server; http.uri; content:"/%s?id="; startswith; '
                 'http.user_agent; content:"%s"; startswith;' % (w(), R.choice(UAS)))
        elif kk == 2:
            b = ('flow:established,to_server; content:"GET"; http_method; content:"%s"; http_uri; '
                 'nocase; pcre:"/%s\\?[a-z]+=[0-9a-f]{%d}/Ui";' % (u, u.replace("/", "\\/"),
                                                                 R.randint(8, 32)))
        elif kk == 3:
            b = ('flow:established,to_client; http.stat_code; content:"200"; file.data; '
                 'content:"MZ"; within:2; content:"%s"; distance:0;' % mixed(8))
        else:
            b = ('flow:established,to_server; http.host; content:"%s%s"; endswith; fast_pattern; '
                 'flowbits:set,%s;' % (w(), R.choice(TLDS), fbit()))
        return rule("http", "$HOME_NET", "any", "$EXTERNAL_NET", "any", b, "MALWARE http")
    if k < 0.80:
        d = "%s%d%s" % (w(), R.randrange(100), R.choice(TLDS))
        b = R.choice(['dns.query; content:"%s"; nocase; bsize:%d;' % (d, len(d)),
                      'dns.query; dotprefix; content:".%s"; nocase; endswith;' % d])
        return rule("dns", "$HOME_NET", "any", "any", "any", b, "DNS query")
    d = "%s%d%s" % (w(), R.randrange(1000), R.choice(TLDS))
    b = 'flow:established,to_server; tls.sni; content:"%s"; nocase; endswith;' % d
    return rule("tls", "$HOME_NET", "any", "$EXTERNAL_NET", "any", b, "TLS sni")


with open(out, "w") as f:
    f.write("# generated by bench/gen_rules_et.py %d%s\n" % (n, " --packet" if packet_only else ""))
    for i in range(n):
        f.write((pkt_rule(i) if packet_only or R.random() < 0.6 else app_rule(i)) + "\n")
