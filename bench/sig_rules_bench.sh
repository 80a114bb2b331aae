#!/bin/bash
# bench/sig_rules_bench.sh: offline throughput of natwarden -r with 0, 100, 1k and 10k generated rules.
# Prints pps and Mbit/s per rule count and the ratio to the 0-rule run (target: 10k < 2x cost).
# Usage: NW_BUILD=/path/to/build bench/sig_rules_bench.sh [SESSIONS]
set -e
NW_SRC=${NW_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
SESSIONS=${1:-2000}

# traffic mix: HTTP requests/responses (some split in small segments), DNS, and bulk TCP
$PY - "$NW_TMP/mix.pcap" "$SESSIONS" <<'PY'
import random, sys
from scapy.all import Ether, IP, TCP, UDP, Raw, wrpcap
random.seed(7)
out, n = sys.argv[1], int(sys.argv[2])
pk, t = [], 1700000000.0
def add(p):
    global t
    t += 0.0001
    p = Ether() / p
    p.time = t
    pk.append(p)
words = [w.encode() for w in "index login api v1 static img user cart search item admin css js".split()]
for i in range(n):
    c, s, sp = "198.51.100.%d" % (i % 200 + 1), "172.31.19.%d" % (i % 50 + 1), 10000 + i
    cs, ss = 1000, 9000
    add(IP(src=c, dst=s) / TCP(sport=sp, dport=80, flags="S", seq=cs))
    add(IP(src=s, dst=c) / TCP(sport=80, dport=sp, flags="SA", seq=ss, ack=cs + 1))
    cs += 1; ss += 1
    path = b"/" + b"/".join(random.choice(words) for _ in range(3))
    req = b"GET " + path + b"?id=%d HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n" % i
    seg = 16 if i % 10 == 0 else len(req)
    for k in range(0, len(req), seg):
        add(IP(src=c, dst=s) / TCP(sport=sp, dport=80, flags="PA", seq=cs, ack=ss) / Raw(req[k:k + seg])); cs += len(req[k:k + seg])
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + bytes(random.getrandbits(8) for _ in range(1200))
    add(IP(src=s, dst=c) / TCP(sport=80, dport=sp, flags="PA", seq=ss, ack=cs) / Raw(body)); ss += len(body)
    add(IP(src=c, dst=s) / UDP(sport=sp, dport=53) / Raw(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01"))
wrpcap(out, pk)
PY

# N rules with realistic fast patterns (paths, parameters, user agents, shell commands)
gen_rules() {
	$PY - "$1" <<'PY'
import random, sys
random.seed(11)
n = int(sys.argv[1])
parts = "wp admin login shell cmd exec upload phpmyadmin cgi bin config backup debug console manager jmx struts solr actuator env git svn passwd shadow eval base64 union select sleep jndi ldap rmi wget curl chmod tmp dev tcp bash python perl nc".split()
ports = ["80", "any", "[80,8080]", "443", "22", "any", "53"]
for i in range(n):
    pat = "/" + "/".join(random.choice(parts) for _ in range(2)) + "%d" % random.randrange(1000)
    proto = "udp" if i % 17 == 0 else "tcp"
    port = "53" if proto == "udp" else random.choice(ports)
    extra = ' pcre:"/%s=\\d+/i";' % random.choice(parts) if i % 5 == 0 else ""
    print('alert %s any any -> any %s (msg:"NATWARDEN bench %d"; content:"%s"; nocase;%s sid:%d; rev:1;)'
          % (proto, port, i, pat, extra, 3000000 + i))
PY
}

printf '[natwarden]\nplugins = signature\n' >"$NW_TMP/nw.conf"
printf '%-8s %12s %10s %8s\n' rules pps Mbit/s ratio
base=""
for n in 0 100 1000 10000; do
	gen_rules "$n" >"$NW_TMP/r$n.rules"
	best=""
	for run in 1 2 3; do
		nw_offline "$NW_TMP/mix.pcap" "$NW_TMP/nw.conf" "$NW_TMP/out$n" -S "$NW_TMP/r$n.rules" ||
			nw_fail "natwarden -r with $n rules: $(tail -3 "$NW_TMP/out$n/stderr")"
		w=$(nw_json "$NW_TMP/out$n/stats.json" 'd["wall_seconds"]')
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$w; fi
	done
	pk=$(nw_json "$NW_TMP/out$n/stats.json" 'd["packets"]')
	by=$(nw_json "$NW_TMP/out$n/stats.json" 'd["bytes"]')
	[ -z "$base" ] && base=$best
	awk -v n="$n" -v p="$pk" -v b="$by" -v w="$best" -v base="$base" \
		'BEGIN{printf "%-8s %12.0f %10.1f %7.2fx\n", n, p/w, b*8/w/1e6, w/base}'
done
echo "(best of 3 runs; $(nw_json "$NW_TMP/out0/stats.json" 'd["packets"]') packets; ratio = time / time with 0 rules)"
