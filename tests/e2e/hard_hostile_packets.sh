#!/bin/bash
# e2e: malformed packets through the gateway with natwarden inline. From the internet host into
# the port forward, and from the private host out (that path needs no conntrack entry, so
# packets conntrack finds invalid are forwarded and queued too): bad IHL, bad IPv4 options,
# truncated TCP options, TCP data offset too small/beyond the packet, missing and truncated L4
# headers, bad UDP length, IPv6 extension-header chains over the limit and truncated, zero-length
# and 9000-byte payloads, overlapping and (malformed-inside) IPv4 fragments. Many are dropped by
# the kernel before FORWARD; for each case the test prints how many packets reached the queue and
# which decode-error reasons grew, and asserts the expected reason grew for every case that was
# queued. natwarden must survive all of it, and HTTP through the forward (a 2 MB GSO-sized
# transfer too) must work afterwards.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
hard_need_scapy
live_topology
HAVE6=
hard_ipv6 && HAVE6=1
[ -n "$HAVE6" ] || echo "note: no IPv6 in the namespaces; IPv6 cases skipped"
# jumbo frames on both links (veth supports them; skip the 9000-byte case if not)
JUMBO=1
for l in "$NS_GW pub0" "$NS_INET eth0" "$NS_GW priv0" "$NS_PRIV eth0"; do
	set -- $l
	ip -n "$1" link set "$2" mtu 9000 2>/dev/null || JUMBO=
done
[ -n "$JUMBO" ] || echo "note: veth refuses MTU 9000; jumbo case skipped"

HARD_IPV6=$HAVE6 hard_conf example "[example]"
live_apply
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "forward works before the hostile traffic"

GWMAC_PUB=$(ip -n "$NS_GW" -j link show pub0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
GWMAC_PRIV=$(ip -n "$NS_GW" -j link show priv0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')

cat >"$LIVE_DIR/hostile.py" <<'PY'
# hostile.py SIDE GWMAC CTL SOCK CASE...: for each case, send its malformed frames out of eth0
# (scapy sendp, L2, so the sender's kernel fixes nothing up), wait until natwarden has judged
# everything the kernel queued, and print "CASE QUEUED reason:+N ..." (what reached the queue
# and which decode-error counters grew).
import json, subprocess, sys, time
from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw, IPv6ExtHdrDestOpt, sendp, conf
conf.verb = 0
side, gwmac, ctl, sock = sys.argv[1:5]
if side == "inet":
    src4, dst4, dport = "198.51.100.10", "198.51.100.1", 80
    src6, dst6 = "2001:db8:100::10", "2001:db8:100::1"
else:
    src4, dst4, dport = "172.31.19.240", "198.51.100.10", 8080
    src6, dst6 = "2001:db8:1f::240", "2001:db8:100::10"

def ip(**kw):
    return IP(src=src4, dst=dst4, **kw)

def patch(b, off, val):
    b = bytearray(b)
    b[off] = val
    return bytes(b)

def ipsum(b):
    # recompute the IPv4 header checksum after a patch (over the IHL's length, 20..len)
    b = bytearray(b)
    hl = min(len(b), max(20, (b[0] & 15) * 4))
    b[10] = b[11] = 0
    s = 0
    for i in range(0, hl, 2):
        s += b[i] << 8 | b[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    s = ~s & 0xffff
    b[10], b[11] = s >> 8, s & 0xff
    return bytes(b)

def build(case, sp):
    syn = TCP(sport=sp, dport=dport, flags="S", seq=1000)
    pkts = []
    if case == "ihl_short":        # IHL 3 (12 bytes): below the minimum
        pkts = [ipsum(patch(bytes(ip() / syn), 0, 0x43))]
    elif case == "ihl_long":       # IHL 15 (60 bytes) but only a 20-byte header and a TCP header
        pkts = [ipsum(patch(bytes(ip() / syn), 0, 0x4f))]
    elif case == "ipv4_opt":       # record-route option whose length runs past the header
        pkts = [ipsum(bytes(IP(src=src4, dst=dst4, ihl=6, options=b"\x07\x09\x04\x00") / syn))]
    elif case == "tcp_opt":        # MSS option with length 8 in a 4-byte option area
        pkts = [bytes(ip() / TCP(sport=sp, dport=dport, flags="S", dataofs=6, options=[]) / Raw(b"\x02\x08\x05\xb4"))]
    elif case == "tcp_opt_kind":   # option kind at the last byte, no length byte
        pkts = [bytes(ip() / TCP(sport=sp, dport=dport, flags="S", dataofs=6) / Raw(b"\x01\x01\x01\x03"))]
    elif case == "tcp_doff_big":   # data offset 60 in a 20-byte segment
        pkts = [bytes(ip() / TCP(sport=sp, dport=dport, flags="S", dataofs=15))]
    elif case == "tcp_doff_small": # data offset 8
        pkts = [bytes(ip() / TCP(sport=sp, dport=dport, flags="S", dataofs=2))]
    elif case == "tcp_trunc":      # protocol TCP, zero-length IP payload
        pkts = [bytes(ip(proto=6))]
    elif case == "udp_trunc":      # protocol UDP, 4 bytes of header
        pkts = [bytes(ip(proto=17) / Raw(b"\x9c\x40\x00\x35"))]
    elif case == "udp_len":        # UDP length 200 in a 16-byte datagram
        pkts = [bytes(ip() / UDP(sport=sp, dport=dport, len=200) / Raw(b"12345678"))]
    elif case == "icmp_trunc":     # ICMP with 2 bytes
        pkts = [bytes(ip(proto=1) / Raw(b"\x08\x00"))]
    elif case == "zero_payload":   # well-formed, nothing after the headers (SYN, then a bare ACK)
        pkts = [bytes(ip() / syn), bytes(ip() / TCP(sport=sp, dport=dport, flags="A", seq=1001, ack=1))]
    elif case == "jumbo":          # a 9000-byte frame (mid-stream ACK with 8946 bytes of payload)
        pkts = [bytes(ip() / TCP(sport=sp, dport=dport, flags="A", seq=5000, ack=1) / Raw(b"J" * 8946))]
    elif case == "frag_overlap":   # two fragments of one SYN+payload that overlap by 16 bytes
        whole = bytes(ip() / TCP(sport=sp, dport=dport, flags="S", seq=7) / Raw(b"A" * 64))[20:]
        f1 = ip(id=4242, flags="MF", frag=0, proto=6) / Raw(whole[:48])
        f2 = ip(id=4242, flags=0, frag=4, proto=6) / Raw(b"B" * 16 + whole[48:])
        pkts = [bytes(f1), bytes(f2)]
    elif case == "frag_badopt":    # non-overlapping fragments that reassemble to a bad-option SYN
        whole = bytes(ip() / TCP(sport=sp, dport=dport, flags="S", dataofs=6)
                      / Raw(b"\x02\x08\x05\xb4" + b"P" * 40))[20:]
        f1 = ip(id=4343, flags="MF", frag=0, proto=6) / Raw(whole[:32])
        f2 = ip(id=4343, flags=0, frag=4, proto=6) / Raw(whole[32:])
        pkts = [bytes(f1), bytes(f2)]
    elif case == "v6_ext_limit":   # 9 destination-options headers (the decoder follows 8)
        chain = IPv6(src=src6, dst=dst6)
        for _ in range(9):
            chain = chain / IPv6ExtHdrDestOpt()
        pkts = [bytes(chain / TCP(sport=sp, dport=dport, flags="S"))]
    elif case == "v6_ext_long":    # 40 destination-options headers
        chain = IPv6(src=src6, dst=dst6)
        for _ in range(40):
            chain = chain / IPv6ExtHdrDestOpt()
        pkts = [bytes(chain / TCP(sport=sp, dport=dport, flags="S"))]
    elif case == "v6_ext_trunc":   # a destination-options header claiming 2048 bytes
        b = bytearray(bytes(IPv6(src=src6, dst=dst6) / IPv6ExtHdrDestOpt() / TCP(sport=sp, dport=dport, flags="S")))
        b[41] = 255
        pkts = [bytes(b)]
    else:
        sys.exit("unknown case " + case)
    return pkts

def stats():
    out = subprocess.run([ctl, "-s", sock, "stats", "--json"], check=True, capture_output=True).stdout
    return json.loads(out)

def queued(d):
    return sum(q["kernel"]["id_sequence"] for q in d["queues"])

for i, case in enumerate(sys.argv[5:]):
    pkts = build(case, 40000 + 97 * i + (0 if side == "inet" else 5000))
    d0 = stats()
    sendp([Ether(dst=gwmac, type=0x86dd if (p[0] >> 4) == 6 else 0x800) / Raw(p) for p in pkts],
          iface="eth0")
    time.sleep(0.2)  # let the veth backlog deliver; then wait for natwarden itself
    for _ in range(50):
        d1 = stats()
        if d1["packets"] >= queued(d1):
            break
        time.sleep(0.1)
    else:
        sys.exit("natwarden did not judge what the kernel queued (%s)" % case)
    e0, e1 = d0["decode_errors"], d1["decode_errors"]
    grown = ["%s:+%d" % (k, e1[k] - e0.get(k, 0)) for k in sorted(e1) if e1[k] != e0.get(k, 0)]
    print(case, queued(d1) - queued(d0), *grown, flush=True)
PY

# case -> the decode-error reason expected if the kernel queues it ("-" = well-formed)
declare -A EXPECT=(
	[ihl_short]=ipv4_hlen [ihl_long]=ipv4_hlen [ipv4_opt]=ipv4_opt [tcp_opt]=tcp_opt
	[tcp_opt_kind]=tcp_opt [tcp_doff_big]=tcp_doff [tcp_doff_small]=tcp_doff [tcp_trunc]=tcp_trunc
	[udp_trunc]=udp_trunc [udp_len]=udp_len [icmp_trunc]=icmp_trunc [zero_payload]=-
	[jumbo]=- [frag_overlap]=- [frag_badopt]=tcp_opt
	[v6_ext_limit]=ipv6_ext_limit [v6_ext_long]=ipv6_ext_limit [v6_ext_trunc]=ipv6_ext_trunc
)
CASES="ihl_short ihl_long ipv4_opt tcp_opt tcp_opt_kind tcp_doff_big tcp_doff_small tcp_trunc
	udp_trunc udp_len icmp_trunc zero_payload frag_overlap frag_badopt"
[ -n "$JUMBO" ] && CASES="$CASES jumbo"
[ -n "$HAVE6" ] && CASES="$CASES v6_ext_limit v6_ext_long v6_ext_trunc"

fails=0
queued_malformed=0
printf '%-6s %-15s %-15s %-7s %s\n' side case expect queued "decode errors grown"
for side in inet priv; do
	ns=$([ $side = inet ] && echo "$NS_INET" || echo "$NS_PRIV")
	mac=$([ $side = inet ] && echo "$GWMAC_PUB" || echo "$GWMAC_PRIV")
	hard_py "$ns" 60 "$LIVE_DIR/hostile.py" "$side" "$mac" "$NATWARDENCTL" "$LIVE_SOCK" $CASES \
		>"$LIVE_DIR/hostile-$side.out" || nw_fail "generator failed ($side)"
	while read -r c q grown; do
		exp=${EXPECT[$c]}
		printf '%-6s %-15s %-15s %-7s %s\n' $side $c "$exp" "$q" "${grown:--}"
		if [ "$q" -gt 0 ] && [ "$exp" != - ]; then
			queued_malformed=$((queued_malformed + 1))
			case " $grown " in
			*" $exp:+"*) ;;
			*) echo "FAIL: $side $c reached the queue but $exp did not grow" >&2; fails=$((fails + 1)) ;;
			esac
		fi
		if [ "$exp" = - ] && [ -n "$grown" ]; then
			echo "FAIL: $side $c is well-formed but counted as a decode error ($grown)" >&2
			fails=$((fails + 1))
		fi
	done <"$LIVE_DIR/hostile-$side.out"
	hard_alive || { cat "$LIVE_DIR/natwarden.log" >&2; nw_fail "natwarden died during the $side cases"; }
done

# what the gateway's kernel did with the fragments (informational)
echo "gateway kernel: $(in_gw nstat -asz IpReasmOKs IpReasmFails IpExtReasmOverlaps 2>/dev/null |
	awk '/^Ip/ { printf "%s=%s ", $1, $2 }')"
hard_alive || nw_fail "natwarden died"
[ "$queued_malformed" -gt 0 ] || nw_fail "no malformed packet reached the queue: the test tested nothing"
[ "$fails" = 0 ] || nw_fail "$fails case(s) not counted as expected"

# normal traffic afterwards: a page and a 2 MB transfer (GSO super-packets through the queue)
nw_expect_eq "$(live_get /)" "hello from priv" "forward works after the hostile traffic"
size=$(in_inet curl -s --max-time 10 -o /dev/null -w '%{size_download}' http://198.51.100.1/big.bin)
nw_expect_eq "$size" 2000000 "2 MB download through the forward"
if [ -n "$HAVE6" ]; then
	body=$(in_inet curl -s --max-time 5 'http://[2001:db8:100::1]/')
	nw_expect_eq "$body" "hello from priv" "IPv6 forward works after the hostile traffic"
fi
hard_alive || nw_fail "natwarden died"
echo "PASS: natwarden survived; $queued_malformed malformed case(s) reached the queue and were counted"
