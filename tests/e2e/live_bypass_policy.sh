#!/bin/bash
# e2e: the flow bypass policy (bypass = yes, [signature] stream-depth = 64k). A 6 MB download
# through the port forward passes its depth and is bypassed: the kernel carries the rest (the
# connmark rule counts it, natwarden's queue barely moves); a new flow started while the
# download is held open half-way is still inspected and raises its alert.
source "$(dirname "$0")/live_lib.sh"
live_require
live_topology
head -c 6000000 /dev/zero >"$LIVE_DIR/www/bulk.bin"
cat >"$LIVE_DIR/bp.rules" <<'RULES'
alert tcp any any -> any any (msg:"marker in a new flow"; content:"BYPASS-TEST-MARKER"; sid:4100001; rev:1;)
RULES
live_conf
# the lab's config with the signature plugin instead of the example plugin
sed -i -e 's/^plugins = example$/plugins = signature\nbypass = yes/' -e '/^\[example\]$/d' \
	"$LIVE_DIR/nw.conf"
printf '\n[signature]\nrules = %s\nstream-depth = 64k\n' "$LIVE_DIR/bp.rules" >>"$LIVE_DIR/nw.conf"
live_apply
live_start

# the bulk flow: a client that reads 1 MB (past the depth), waits until the test lets it go on
# (bounded: 30 s), then reads the rest; bounded in size and time (socket timeout)
cat >"$LIVE_DIR/bulk.py" <<'PY'
import os, socket, sys, time
d = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # the rest must flow after the pause
s.settimeout(10)
s.connect(("198.51.100.1", 80))
s.sendall(b"GET /bulk.bin HTTP/1.0\r\nHost: x\r\n\r\n")
got, half = 0, False
while True:
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
    if not half and got >= 1000000:
        half = True
        open(d + "/bulk.half", "w").close()
        for _ in range(300):
            if os.path.exists(d + "/bulk.go"):
                break
            time.sleep(0.1)
print(got)
PY
in_inet python3 "$LIVE_DIR/bulk.py" "$LIVE_DIR" >"$LIVE_DIR/bulk.size" 2>"$LIVE_DIR/bulk.err" &
bulk=$!
LIVE_PIDS+=($bulk)
for i in $(seq 200); do
	[ -e "$LIVE_DIR/bulk.half" ] && break
	kill -0 "$bulk" 2>/dev/null || break
	sleep 0.1
done
[ -e "$LIVE_DIR/bulk.half" ] || { cat "$LIVE_DIR/bulk.err" >&2; nw_fail "the bulk client did not get 1 MB"; }
[ "$(live_stat 'd["flows"]["bypassed"]')" -ge 1 ] || nw_fail "the bulk flow was not bypassed"
p1=$(live_stat 'd["packets"]')
h1=$(in_gw iptables -t filter -L NW-INSPECT -n -v -x | awk '/connmark/ {print $1}')

# a new flow while the bulk one runs: still inspected
in_inet curl -s --max-time 5 -o /dev/null http://198.51.100.1/BYPASS-TEST-MARKER
for i in $(seq 100); do
	grep -q '"signature_id":4100001' "$LIVE_DIR/log/eve.json" 2>/dev/null && break
	sleep 0.1
done
grep -q '"signature_id":4100001' "$LIVE_DIR/log/eve.json" ||
	nw_fail "no alert for the new flow (it was not inspected)"
kill -0 "$bulk" 2>/dev/null || nw_fail "the bulk transfer ended before the new flow was judged"

touch "$LIVE_DIR/bulk.go"
wait "$bulk"
size=$(cat "$LIVE_DIR/bulk.size")
# the response: headers + 6,000,000 bytes of body
[ "${size:-0}" -gt 6000000 ] && [ "$size" -lt 6001000 ] || nw_fail "bulk transfer got ${size:-nothing} bytes"
p2=$(live_stat 'd["packets"]')
h2=$(in_gw iptables -t filter -L NW-INSPECT -n -v -x | awk '/connmark/ {print $1}')
byp=$(live_stat 'd["flows"]["bypassed"]')
late=$(live_stat 'd["flows"]["bypass_late"]')
votes=$(live_stat 'd["plugins"]["signature"]["counters"]["bypass_votes"]')
[ "$byp" -eq 1 ] || nw_fail "flows bypassed: $byp, want 1 (the new flow is short of its depth)"
[ "$votes" -ge 1 ] || nw_fail "no bypass vote counted"
# the rest of the bulk flow went through the kernel, not the queue: the queue saw the new
# flow (a handful of packets) and at most a few late ones, the connmark rule the rest
kernel=$((h2 - h1))
queued=$((p2 - p1))
[ "$kernel" -ge 20 ] || nw_fail "connmark bypass rule carried only $kernel packets"
[ "$queued" -le 40 ] || nw_fail "$queued packets still queued while the kernel carried $kernel"
echo "PASS: bulk flow bypassed (kernel carried $kernel packets after it, queue saw $queued" \
	"incl. the new flow, $late late); the new flow alerted"
