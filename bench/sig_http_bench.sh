#!/bin/bash
# bench/sig_http_bench.sh: offline throughput of natwarden -r on an HTTP-heavy generated capture with 0, 1 and N generated HTTP rules (sticky buffers).
# The 0-rule run skips the plugin entirely; the 1-rule run adds HTTP parsing (libhtp) and one
# rule; the large runs add the per-buffer prefilter and rule evaluation. Prints pps, Mbit/s,
# alerts and the ratio to the 0-rule run (and to the 1-rule run). Not run by the tests.
# Usage: NW_BUILD=/path/to/build bench/sig_http_bench.sh [CONNECTIONS [RULE-COUNTS...]]
#        (defaults: 1500 connections, rule counts 1000 5000)
set -e
NW_SRC=${NW_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || nw_fail "python3-scapy missing"
[ -x "$NATWARDEN" ] || nw_fail "no $NATWARDEN (set NW_BUILD)"
CONNS=${1:-1500}
shift || true
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(1000 5000)

# keep-alive HTTP/1.1 connections, 1-6 requests each: GETs and POSTs with bodies, varied URIs,
# hosts, user agents and cookies; responses with Content-Length or chunked bodies, 10% of the
# requests cut into 24-byte segments; a few requests carry what some rules look for
$PY - "$NW_TMP/http.pcap" "$CONNS" <<'PY'
import random, sys
from scapy.all import Ether, IP, TCP, Raw, PcapWriter
random.seed(5)
out, n = sys.argv[1], int(sys.argv[2])
w = PcapWriter(out, sync=False)
t = 1700000000.0
def add(p):
    global t
    t += 0.00005
    p = Ether() / p
    p.time = t
    w.write(p)
words = "index login api v1 v2 static img user cart search item admin css js account news media".split()
uas = ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/119.0 Safari/537.36",
       "curl/8.4.0", "python-requests/2.31.0", "okhttp/4.12.0"]
hosts = ["shop.example", "api.example.net", "cdn.example.org", "www.example.com"]
evil = ["/wp-admin/shell7.php", "/cgi-bin/cmd99?exec=1", "/.git/config", "/actuator/env"]
for i in range(n):
    c, s, sp = "198.51.100.%d" % (i % 200 + 1), "172.31.19.%d" % (i % 50 + 1), 10000 + i % 50000
    cs, ss = 1000, 9000
    add(IP(src=c, dst=s) / TCP(sport=sp, dport=80, flags="S", seq=cs))
    add(IP(src=s, dst=c) / TCP(sport=80, dport=sp, flags="SA", seq=ss, ack=cs + 1))
    cs += 1; ss += 1
    add(IP(src=c, dst=s) / TCP(sport=sp, dport=80, flags="A", seq=cs, ack=ss))
    for k in range(random.randint(1, 6)):
        path = "/" + "/".join(random.choice(words) for _ in range(random.randint(1, 4)))
        if random.random() < 0.02:
            path = random.choice(evil)
        q = "?id=%d&q=%s" % (random.randrange(100000), random.choice(words))
        hdr = "Host: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nAccept-Language: en\r\nCookie: sid=%08x\r\n" % (
            random.choice(hosts), random.choice(uas), random.getrandbits(32))
        if random.random() < 0.3:
            body = ("user=%s&pass=%s" % (random.choice(words), random.choice(words))).encode()
            req = ("POST %s HTTP/1.1\r\n%sContent-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: %d\r\n\r\n" % (path, hdr, len(body))).encode() + body
        else:
            req = ("GET %s%s HTTP/1.1\r\n%s\r\n" % (path, q, hdr)).encode()
        seg = 24 if random.random() < 0.1 else 1400
        for o in range(0, len(req), seg):
            d = req[o:o + seg]
            add(IP(src=c, dst=s) / TCP(sport=sp, dport=80, flags="PA", seq=cs, ack=ss) / Raw(d)); cs += len(d)
        page = bytes(random.choice(b"abcdefghijklmnopqrstuvwxyz <>/=\n") for _ in range(random.randint(200, 2400)))
        if random.random() < 0.3:
            resp = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            resp += b"%x\r\n" % len(page) + page + b"\r\n0\r\n\r\n"
        else:
            resp = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page) + page
        for o in range(0, len(resp), 1400):
            d = resp[o:o + 1400]
            add(IP(src=s, dst=c) / TCP(sport=80, dport=sp, flags="PA", seq=ss, ack=cs) / Raw(d)); ss += len(d)
    add(IP(src=c, dst=s) / TCP(sport=sp, dport=80, flags="FA", seq=cs, ack=ss))
    add(IP(src=s, dst=c) / TCP(sport=80, dport=sp, flags="FA", seq=ss, ack=cs + 1))
    add(IP(src=c, dst=s) / TCP(sport=sp, dport=80, flags="A", seq=cs + 1, ack=ss + 1))
w.close()
PY

# N HTTP rules as ET writes them: a fast pattern in a sticky buffer (uri, user agent, host,
# cookie, header, request body, response body, stat code), often a second content or a pcre
gen_rules() {
	$PY - "$1" <<'PY'
import random, sys
random.seed(13)
n = int(sys.argv[1])
parts = "wp admin login shell cmd exec upload phpmyadmin cgi bin config backup debug console manager jmx struts solr actuator env git svn passwd shadow eval base64 union select sleep jndi ldap rmi wget curl chmod tmp dev tcp bash python perl nc".split()
for i in range(n):
    a, b = random.choice(parts), random.choice(parts)
    k = i % 10
    if k < 4:
        opts = 'http.uri; content:"/%s/%s%d"; nocase;' % (a, b, random.randrange(100))
        if i % 3 == 0:
            opts += ' content:"="; distance:0; pcre:"/%s\\d+/Ui";' % b
    elif k == 4:
        opts = 'http.method; content:"POST"; http.uri; content:"/%s.php"; endswith;' % a
    elif k == 5:
        opts = 'http.user_agent; content:"%s-%s/"; startswith;' % (a, b)
    elif k == 6:
        opts = 'http.host; content:"%s%d.example"; http.uri; content:"/%s";' % (a, random.randrange(1000), b)
    elif k == 7:
        opts = 'http.cookie; content:"%s=%s"; nocase;' % (a, b)
    elif k == 8:
        opts = 'http.request_body; content:"%s=%s%d";' % (a, b, random.randrange(100))
    else:
        opts = 'flow:to_client; http.stat_code; content:"200"; file.data; content:"<%s %s"; nocase;' % (a, b)
    print('alert http any any -> any any (msg:"NATWARDEN http bench %d"; %s sid:%d; rev:1;)'
          % (i, opts, 4000000 + i))
# rules that do match the few planted requests
print('alert http any any -> any any (msg:"bench hit"; http.uri; content:"/.git/config"; sid:4999999; rev:1;)')
PY
}

printf '[natwarden]\nplugins = signature\n' >"$NW_TMP/nw.conf"
printf '%-8s %12s %10s %8s %10s %10s\n' rules pps Mbit/s alerts "vs 0" "vs 1"
base=""
one=""
for n in 0 1 "${COUNTS[@]}"; do
	if [ "$n" = 0 ]; then
		: >"$NW_TMP/r$n.rules"
	else
		gen_rules "$((n - 1))" >"$NW_TMP/r$n.rules" # n-1 generated + the one that hits
	fi
	best=""
	for run in 1 2 3; do
		nw_offline "$NW_TMP/http.pcap" "$NW_TMP/nw.conf" "$NW_TMP/out$n" -S "$NW_TMP/r$n.rules" ||
			nw_fail "natwarden -r with $n rules: $(tail -3 "$NW_TMP/out$n/stderr")"
		w=$(nw_json "$NW_TMP/out$n/stats.json" 'd["wall_seconds"]')
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$w; fi
	done
	bad=$(nw_json "$NW_TMP/out$n/stats.json" 'd["plugins"].get("signature",{}).get("counters",{}).get("rules_failed",0)')
	[ "$bad" = 0 ] || nw_fail "$bad of the $n generated rules failed to load"
	pk=$(nw_json "$NW_TMP/out$n/stats.json" 'd["packets"]')
	by=$(nw_json "$NW_TMP/out$n/stats.json" 'd["bytes"]')
	al=$(nw_json "$NW_TMP/out$n/stats.json" 'd["alerts"]')
	[ -z "$base" ] && base=$best
	[ "$n" = 1 ] && one=$best
	awk -v n="$n" -v p="$pk" -v b="$by" -v w="$best" -v base="$base" -v one="${one:-$best}" -v al="$al" \
		'BEGIN{printf "%-8s %12.0f %10.1f %8d %9.2fx %9.2fx\n", n, p/w, b*8/w/1e6, al, w/base, w/one}'
done
echo "(best of 3 runs; $(nw_json "$NW_TMP/out0/stats.json" 'd["packets"]') packets in $CONNS HTTP connections;" \
	"ratio = time / time with 0 rules (plugin idle) and with 1 rule (HTTP parsing on))"
