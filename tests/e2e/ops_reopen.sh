#!/bin/bash
# ops_reopen: eve.json moved away + `natwardenctl reopen` -> new events go to a new eve.json (by
# hand, then through logrotate with the shipped snippet); periodic EVE "stats" events carry the
# counters (once the traffic is over, exactly what natwardenctl stats says); `log = auto` logs to
# stderr when it is a file and to syslog when it is /dev/null. Waits are bounded generously and
# nothing is asserted on how fast a busy machine is.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/signature/.libs/signature.so" ] || nw_fail "signature plugin not built"

live_topology
live_conf
RULES="$LIVE_DIR/local.rules"
for n in 1 2 3; do
	echo "alert tcp any any -> any 8000 (msg:\"reopen probe $n\"; flow:to_server; content:\"ops-reopen-probe-$n\"; sid:940000$n;)"
done >"$RULES"
sed -i -e 's/^plugins = example$/plugins = example signature/' \
	-e '/^\[natwarden\]$/a stats_interval = 1s' "$LIVE_DIR/nw.conf"
printf '\n[signature]\nrules = %s\n' "$RULES" >>"$LIVE_DIR/nw.conf"
live_apply
live_start
CTL=("$NATWARDENCTL" -s "$LIVE_SOCK")
EVE="$LIVE_DIR/log/eve.json"

probe() { in_inet curl -s --max-time 5 -o /dev/null -H "X-Probe: ops-reopen-probe-$1" http://198.51.100.1/; }
# wait_sid FILE SID: until FILE has an alert of SID (bounded: 30 s)
wait_sid() {
	local i
	for i in $(seq 300); do
		[ -f "$1" ] && grep -q "\"signature_id\":$2[,}]" "$1" && return 0
		sleep 0.1
	done
	return 1
}

probe 1
wait_sid "$EVE" 9400001 || nw_fail "no alert for probe 1 in eve.json"

# --- by hand: move the file away, reopen, the next alert goes to a new file
mv "$EVE" "$EVE.1"
"${CTL[@]}" reopen >"$LIVE_DIR/reopen.out" || nw_fail "reopen: $(cat "$LIVE_DIR/reopen.out")"
[ -f "$EVE" ] || nw_fail "reopen did not create a new eve.json"
probe 2
wait_sid "$EVE" 9400002 || nw_fail "probe 2 not in the new eve.json"
if grep -q '"signature_id":9400002[,}]' "$EVE.1"; then nw_fail "probe 2 went to the moved file"; fi
if grep -q '"signature_id":9400001[,}]' "$EVE"; then nw_fail "the new file has the old alert"; fi

# --- logrotate with the shipped snippet (paths pointed at this lab)
if command -v logrotate >/dev/null; then
	sed -e "s|@localstatedir@/log/natwarden|$LIVE_DIR/log|" -e "s|@sbindir@|$NW_BUILD|" \
		-e "s|@sysconfdir@/natwarden/natwarden.conf|$LIVE_DIR/nw.conf|" \
		-e 's|create 0640 natwarden adm|create 0640 root root|' -e 's|systemctl|false|' \
		"$NW_SRC/etc/logrotate.d/natwarden.in" >"$LIVE_DIR/logrotate.conf"
	logrotate -f -s "$LIVE_DIR/logrotate.state" "$LIVE_DIR/logrotate.conf" >"$LIVE_DIR/logrotate.out" 2>&1 ||
		nw_fail "logrotate: $(cat "$LIVE_DIR/logrotate.out")"
	[ -f "$EVE.1" ] && grep -q '"signature_id":9400002[,}]' "$EVE.1" ||
		nw_fail "logrotate did not rotate eve.json to eve.json.1"
	probe 3
	wait_sid "$EVE" 9400003 || nw_fail "after logrotate, probe 3 is not in the new eve.json"
	if grep -q '"signature_id":9400003[,}]' "$EVE.1"; then nw_fail "probe 3 went to the rotated file"; fi
else
	echo "note: logrotate not installed, the snippet is not exercised" >&2
fi

# --- periodic stats events (stats_interval = 1s), in whichever eve file is current: the
#     traffic is over, so once natwarden has judged every queued packet, the stats events that
#     follow carry exactly the counters natwardenctl stats reports
probes=2
command -v logrotate >/dev/null && probes=3
hard_wait 300 hard_settled || nw_fail "natwarden did not judge every queued packet"
live_stat 'd' >/dev/null
cp "$LIVE_DIR/stats.json" "$LIVE_DIR/stats.ctl"
n0=$(grep -c '"event_type":"stats"' "$EVE")
for i in $(seq 300); do
	[ "$(grep -c '"event_type":"stats"' "$EVE")" -ge $((n0 + 2)) ] && break
	sleep 0.1
done
grep '"event_type":"stats"' "$EVE" | tail -n +$((n0 + 1)) | tail -2 >"$LIVE_DIR/stats.ev"
[ "$(wc -l <"$LIVE_DIR/stats.ev")" = 2 ] || nw_fail "fewer than 2 stats events in 30 s (stats_interval = 1s)"
python3 - "$LIVE_DIR/stats.ev" "$LIVE_DIR/stats.ctl" "$probes" <<'EOF' ||
import json, sys
e0, e = (json.loads(l).get("stats", {}) for l in open(sys.argv[1]))
ctl = json.load(open(sys.argv[2]))
if not int(e0["uptime_s"]) < int(e["uptime_s"]):
    sys.exit("uptime does not grow between stats events")
for k in ("uptime_s", "packets", "verdicts", "alerts", "decode_errors", "enobufs", "fail_open",
          "events_dropped"):
    if k not in e:
        sys.exit("missing " + k)
v = ctl["verdicts"]
want = {"packets": str(ctl["packets"]), "alerts": str(ctl["alerts"]),
        "verdicts": "accept=%d drop=%d reject=%d bypass=%d" % (
            v.get("accept", 0), v.get("drop", 0), v.get("reject", 0), v.get("bypass", 0))}
for k, w in want.items():
    if e[k] != w or e0[k] != w:
        sys.exit("stats events say %s = %s, %s; expected %s" % (k, e0[k], e[k], w))
if int(e["packets"]) < 10 * int(sys.argv[3]) or int(e["alerts"]) < int(sys.argv[3]):
    sys.exit("the probes' packets and alerts are not counted")
EOF
	nw_fail "stats events: $(cat "$LIVE_DIR/stats.ev") vs. natwardenctl stats $(cat "$LIVE_DIR/stats.ctl")"

# --- log = auto: stderr is a file here
nw_expect_eq "$("${CTL[@]}" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["log"])')" \
	stderr "log destination with stderr to a file"
# ... and syslog when stderr is /dev/null (a detached daemon); log = stderr overrides it
for mode in auto stderr; do
	live_stop
	ip netns exec "$NS_GW" "$NATWARDEN" -c "$LIVE_DIR/nw.conf" -q 0:1 -l "$LIVE_DIR/log" \
		--set "natwarden.log=$mode" >/dev/null 2>&1 &
	NW_PID=$!
	LIVE_PIDS+=($NW_PID)
	for i in $(seq 300); do
		"${CTL[@]}" status >/dev/null 2>&1 && break
		kill -0 "$NW_PID" 2>/dev/null || nw_fail "natwarden (log = $mode) exited"
		sleep 0.1
	done
	want=syslog
	[ "$mode" = stderr ] && want=stderr
	nw_expect_eq "$("${CTL[@]}" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["log"])')" \
		"$want" "log = $mode with stderr to /dev/null"
done
echo "PASS: reopen by hand and by logrotate, stats events, log destination"
