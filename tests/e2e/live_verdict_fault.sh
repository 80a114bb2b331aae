#!/bin/bash
# e2e: verdict sends that fail never turn a DROP into an ACCEPT. natwarden runs with an LD_PRELOAD
# shim (tests/fault/fault_verdict.c) that fails bursts of its NFQUEUE verdict sends with ENOBUFS
# (5 of every 7, longer than the immediate retries). The internet host sends UDP through two port
# forwards: to 9000 (the example plugin drops it) and to 9001 (accepted). The private host must
# receive none of 9000 and every 9001 datagram the kernel did not drop; nothing stays queued; the
# verdict counters show failed sends, retries, per-packet fallbacks and resent verdicts.
source "$(dirname "$0")/live_lib.sh"
live_require
SHIM=${NW_FAULT_LIB:-$NW_BUILD/tests/fault/.libs/fault_verdict.so}
[ -f "$SHIM" ] || nw_fail "$SHIM missing: build the test shim (make check TESTS=)"
N=2000 # datagrams to each port

live_topology
# fail-closed and a queue longer than the whole run: no packet is let through uninspected
LIVE_FAIL_OPEN=no LIVE_QMAXLEN=16384 live_conf "drop_port = 9000"
cat >>"$LIVE_DIR/nw.conf" <<'EOF'

[forward udpdrop]
listen = 9000/udp
to = 172.31.19.240:9000

[forward udppass]
listen = 9001/udp
to = 172.31.19.240:9001
EOF
live_apply
# an ASan build wants its runtime first among the preloaded libraries
preload=$(ldd "$NATWARDEN" | awk '/libasan/ {print $3}')
# the fault pattern (see fault_verdict.c); the environment may set another one
export NW_FAULT_VERDICT_EVERY=${NW_FAULT_VERDICT_EVERY:-7} NW_FAULT_VERDICT_BURST=${NW_FAULT_VERDICT_BURST:-5}
export NW_FAULT_VERDICT_ERRNO=${NW_FAULT_VERDICT_ERRNO:-ENOBUFS}
LD_PRELOAD="${preload:+$preload:}$SHIM" live_start

# receiver in priv: counts per port until 3 s of silence after the first datagram (bounded: 120 s)
ip netns exec "$NS_PRIV" python3 -c '
import select, socket, sys, time
socks = {}
for port in (9000, 9001):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.bind(("172.31.19.240", port))
    socks[s] = port
n = {9000: 0, 9001: 0}
t0 = time.time()
open(sys.argv[1] + ".ready", "w").close()
while time.time() - t0 < 120:
    r, _, _ = select.select(list(socks), [], [], 3.0)
    if not r:
        if n[9000] + n[9001]:
            break
        continue
    for s in r:
        s.recv(2048)
        n[socks[s]] += 1
open(sys.argv[1], "w").write("%d %d\n" % (n[9000], n[9001]))' "$LIVE_DIR/received" &
RECV_PID=$!
LIVE_PIDS+=($RECV_PID)
for i in $(seq 100); do
	[ -e "$LIVE_DIR/received.ready" ] && break
	sleep 0.1
done

# sender in inet: N to each port, interleaved, so every verdict batch mixes drops and accepts
in_inet timeout 60 python3 -c '
import socket, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b"drop %d" % i, ("198.51.100.1", 9000))
    s.sendto(b"pass %d" % i, ("198.51.100.1", 9001))
    if i % 50 == 49:
        time.sleep(0.005)' "$N" || nw_fail "sender failed"
wait "$RECV_PID"
read -r got_drop got_pass <"$LIVE_DIR/received" || nw_fail "receiver wrote nothing"

# held verdicts are resent on their own (no new packet needed): the kernel queues empty out
for i in $(seq 100); do
	waiting=$(live_stat 'sum(q["kernel"]["waiting"] for q in d["queues"])')
	[ "$waiting" = 0 ] && break
	sleep 0.1
done
nw_expect_eq "$waiting" 0 "packets left queued without a verdict"

kdrop=$(live_stat 'sum(q["kernel"]["queue_dropped"] + q["kernel"]["user_dropped"] for q in d["queues"])')
drops=$(live_stat 'd["plugins"]["example"]["verdicts"]["drop"]["port"]')
retries=$(live_stat 'd["live"]["verdict_retries"]')
fallbacks=$(live_stat 'd["live"]["verdict_fallbacks"]')
resent=$(live_stat 'd["live"]["verdicts_resent"]')
verrs=$(live_stat 'd["live"]["verdict_errors"]')
echo "received drop-port $got_drop pass-port $got_pass of $N each; kernel drops $kdrop;" \
	"drop verdicts $drops; verdict errors $verrs retries $retries fallbacks $fallbacks resent $resent"

nw_expect_eq "$got_drop" 0 "datagrams to the dropped port that reached the private host"
[ $((got_pass + kdrop)) -ge "$N" ] ||
	nw_fail "accepted traffic lost: $got_pass of $N arrived, the kernel dropped $kdrop"
[ "$drops" -ge $((N - kdrop)) ] || nw_fail "only $drops drop verdicts for $N datagrams"
[ "$retries" -ge 1 ] || nw_fail "no verdict send retried"
[ "$fallbacks" -ge 1 ] || nw_fail "no window fell back to per-packet verdicts"
[ "$resent" -ge 1 ] || nw_fail "no verdict resent"
[ "$verrs" -ge "$fallbacks" ] || nw_fail "verdict_errors $verrs < fallbacks $fallbacks"
# Prometheus and the text view show them too
in_gw curl -s --max-time 5 http://127.0.0.1:9771/metrics >"$LIVE_DIR/metrics" ||
	nw_fail "metrics endpoint"
grep -q "^natwarden_verdict_fallbacks_total $fallbacks\$" "$LIVE_DIR/metrics" ||
	nw_fail "natwarden_verdict_fallbacks_total missing or wrong: $(grep fallbacks "$LIVE_DIR/metrics")"
"$NATWARDENCTL" -s "$LIVE_SOCK" stats | grep -q "per-packet fallbacks" ||
	nw_fail "natwardenctl stats does not show the verdict send counters"
# TCP through the port forward still works while sends keep failing
nw_expect_eq "$(live_get /)" "hello from priv" "the web port forward"

live_stop
injected=$(sed -n 's/^nw_fault: \([0-9]*\) of [0-9]* verdict sends failed$/\1/p' "$LIVE_DIR/natwarden.log")
[ -n "$injected" ] && [ "$injected" -ge 1 ] || nw_fail "the shim injected no failure"
echo "PASS: verdict send faults ($injected injected): 0 of $N dropped datagrams got through," \
	"$got_pass of $N accepted arrived, $fallbacks per-packet fallbacks, $resent verdicts resent"
