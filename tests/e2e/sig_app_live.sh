#!/bin/bash
# e2e: application-layer signatures inline in the lab. An HTTP request with an attack in its URI
# (an http.uri rule, after libhtp's normalisation) to the port-forwarded private web server is
# dropped while normal requests on the same port pass; a private host's DNS query for a listed
# domain (to a small responder on the internet host, 198.51.100.10:53) raises a dns.query alert
# and still gets its answer, while a query for another name raises none.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/signature/.libs/signature.so" ] || nw_fail "signature plugin not built"
live_topology

# a DNS responder in inet: any A question gets 203.0.113.7; exits after 45 s (bounded lifetime)
cat >"$LIVE_DIR/dnsd.py" <<'EOF'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.10", 53))
s.settimeout(0.5)
end = time.monotonic() + 45
while time.monotonic() < end:
    try:
        q, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(q) < 12:
        continue
    i = 12
    while i < len(q) and q[i]:
        i += 1 + q[i]
    i += 5  # root label, qtype, qclass
    if i > len(q):
        continue
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("203.0.113.7")
    s.sendto(hdr + q[12:i] + ans, peer)
EOF
ip netns exec "$NS_INET" python3 "$LIVE_DIR/dnsd.py" >"$LIVE_DIR/dnsd.log" 2>&1 &
LIVE_PIDS+=($!)

# a stub resolver query from priv: prints the first A record of the answer, or nothing
cat >"$LIVE_DIR/dnsq.py" <<'EOF'
import socket, struct, sys
name = sys.argv[1]
q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for attempt in range(3):
    s.sendto(q, ("198.51.100.10", 53))
    try:
        r = s.recv(2048)
    except socket.timeout:
        continue
    if len(r) >= 4 and r[:2] == q[:2] and struct.unpack("!H", r[6:8])[0] >= 1:
        print(socket.inet_ntoa(r[-4:]))
    break
EOF
dnsq() { in_priv python3 "$LIVE_DIR/dnsq.py" "$1"; }

RULES="$LIVE_DIR/app.rules"
cat >"$RULES" <<'EOF'
drop http any any -> any any (msg:"passwd in the URI"; flow:to_server,established; http.uri; content:"/etc/passwd"; sid:9200001; rev:1;)
drop http any any -> any any (msg:"sqli in the URI"; http.uri; content:"union"; nocase; content:"select"; nocase; distance:1; sid:9200002; rev:1;)
alert dns any any -> any any (msg:"listed domain queried"; flow:to_server; dns.query; content:"evil.example"; endswith; sid:9200010; rev:1;)
EOF
hard_conf signature "[signature]" "rules = $RULES" "strict = yes"
live_apply
live_start

EVE="$LIVE_DIR/log/eve.json"
alerts() {
	[ -f "$EVE" ] || { echo 0; return; }
	nw_eve_count "$EVE" "e.get('event_type')=='alert' and e['alert']['signature_id']==$1 \
and ('$2'=='' or e['alert']['action']=='$2')"
}
get() { in_inet curl -s --path-as-is --max-time "${2:-3}" "http://198.51.100.1$1"; }
served() { nw_expect_eq "$(get "$1")" "hello from priv" "$2: $1"; }
dropped() {
	get "$1" 2 >/dev/null
	local rc=$?
	[ "$rc" = 28 ] || nw_fail "$2: $1 should get no answer (curl exit 28), got exit $rc"
}

served / "normal request"
served "/?q=select" "normal request with a query"
dropped "/view?file=../../etc/passwd" "http.uri attack"
served / "normal request after the attack"
# the path is percent-decoded and dot-segments removed before http.uri is matched
dropped "/static/img/%2e%2e/%2e%2e/etc/%70asswd" "encoded traversal"
served "/index.html" "normal request after the second attack"
# two contents with distance, nocase (the query string is not decoded, as in Suricata)
dropped "/search?id=1+UnIoN+SeLeCt+password" "sqli in the query"
served "/index.html" "normal request after the second attack"
hard_wait_ge 30 1 alerts 9200001 blocked || nw_fail "no blocked alert for sid 9200001"
hard_wait_ge 30 1 alerts 9200002 blocked || nw_fail "no blocked alert for sid 9200002"
echo "http.uri attacks dropped, normal requests served"

live_wait_udp() {
	local i
	for i in $(seq 50); do
		[ -n "$(dnsq warmup.test)" ] && return 0
		sleep 0.1
	done
	nw_fail "the DNS responder does not answer"
}
live_wait_udp
nw_expect_eq "$(dnsq www.good.test)" "203.0.113.7" "answer to a normal query"
nw_expect_eq "$(dnsq c2.evil.example)" "203.0.113.7" "answer to the listed query (alert only)"
hard_wait_ge 30 1 alerts 9200010 allowed || nw_fail "no dns.query alert for the listed domain"
sleep 0.5
nw_expect_eq "$(alerts 9200010)" 1 "dns.query alerts (the listed query only, not the others)"
hard_alive || nw_fail "natwarden died"
dnsflows=$(live_stat 'd["plugins"]["signature"]["counters"]["app_dns_flows"]')
[ "$dnsflows" -ge 3 ] || nw_fail "app_dns_flows $dnsflows < 3"
echo "PASS: http.uri drops inline, dns.query alert from the private host ($dnsflows DNS flows)"
