#!/bin/bash
# ops_live: a live daemon configured with `metrics = ADDR` and `user = USER` serves Prometheus
# metrics that match its traffic, runs as USER with only CAP_NET_ADMIN (all threads), and still
# forwards, answers natwardenctl (socket root:control_group 0660) and reloads after the drop.
# Skips until both keys exist.
source "$(dirname "$0")/live_lib.sh"
live_require
command -v useradd >/dev/null || live_skip "no useradd"

TEST_USER="nwlive$$"
TEST_USER=${TEST_USER:0:31}
METRICS_PORT=$((20000 + RANDOM % 20000))
live_topology
live_conf
# the two operations keys go into [natwarden]
sed -i "/^\[natwarden\]\$/a metrics = 127.0.0.1:$METRICS_PORT\nuser = $TEST_USER\ncontrol_group = $TEST_USER" \
	"$LIVE_DIR/nw.conf"

useradd --system --no-create-home --shell /usr/sbin/nologin --user-group "$TEST_USER" ||
	nw_fail "useradd $TEST_USER"
trap 'userdel "$TEST_USER" >/dev/null 2>&1; groupdel "$TEST_USER" >/dev/null 2>&1; live_cleanup' EXIT
if ! "$NATWARDEN" -T -c "$LIVE_DIR/nw.conf" >"$LIVE_DIR/T.log" 2>&1; then
	grep -qE 'metrics|user' "$LIVE_DIR/T.log" &&
		live_skip "[natwarden] metrics/user not supported by this build yet: $(head -1 "$LIVE_DIR/T.log")"
	nw_fail "natwarden -T: $(cat "$LIVE_DIR/T.log")"
fi
# after the drop the daemon writes eve.json and state as TEST_USER and re-reads its config
chmod 0711 "$LIVE_DIR"
chown "$TEST_USER:" "$LIVE_DIR/state" "$LIVE_DIR/log"
chmod 0644 "$LIVE_DIR/nw.conf"

live_apply
live_start

# --- privileges, from /proc, for the process and every thread
uid=$(id -u "$TEST_USER")
for st in /proc/"$NW_PID"/task/*/status; do
	nw_expect_eq "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "$st")" "$uid $uid $uid $uid" \
		"uids of $st"
	nw_expect_eq "$(awk '$1 == "CapEff:" { print $2 }' "$st")" 0000000000001000 "CapEff of $st"
	nw_expect_eq "$(awk '$1 == "CapPrm:" { print $2 }' "$st")" 0000000000001000 "CapPrm of $st"
done

# --- the control socket: made as root before the drop, group control_group; the daemon's own
#     user (here also the group) is served
nw_expect_eq "$(stat -c '%U %G %a' "$LIVE_SOCK")" "root $TEST_USER 660" "control socket owner, group, mode"
setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups "$NATWARDENCTL" -s "$LIVE_SOCK" status \
	>"$LIVE_DIR/st-user.txt" 2>&1 || nw_fail "the daemon's user was refused: $(cat "$LIVE_DIR/st-user.txt")"

# --- traffic still judged (worker verdicts need CAP_NET_ADMIN) and control still answers
for i in 1 2 3; do
	nw_expect_eq "$(live_get /)" "hello from priv" "port forward after the drop (request $i)"
done
ctl_packets=$(live_stat 'd["packets"]')
[ "$ctl_packets" -ge 3 ] || nw_fail "daemon counted $ctl_packets packets"

# --- metrics: every line parses, the values agree with natwardenctl
in_gw curl -s --max-time 5 -o "$LIVE_DIR/metrics.txt" -w '%{http_code} %{content_type}\n' \
	"http://127.0.0.1:$METRICS_PORT/metrics" >"$LIVE_DIR/metrics.code" || nw_fail "scrape failed"
read -r code ctype <"$LIVE_DIR/metrics.code"
nw_expect_eq "$code" 200 "GET /metrics"
case "$ctype" in text/plain*) ;; *) nw_fail "content type $ctype" ;; esac
python3 - "$LIVE_DIR/metrics.txt" "$ctl_packets" <<'EOF' || nw_fail "metrics did not parse or disagree"
import re, sys
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$')
vals, typed = {}, set()
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('# TYPE '):
        typed.add(line.split()[2]); continue
    if line.startswith('# HELP '):
        continue
    m = line_re.match(line)
    if not m:
        sys.exit('bad line: %r' % line)
    if m.group(1) not in typed:
        sys.exit('no TYPE before %s' % m.group(1))
    vals[m.group(1) + (m.group(2) or '')] = float(m.group(3))
pk = vals.get('natwarden_packets_total')
if pk is None or pk < int(sys.argv[2]):
    sys.exit('natwarden_packets_total %r < ctl %s' % (pk, sys.argv[2]))
for k in ('natwarden_enobufs_total', 'natwarden_fail_open_total', 'natwarden_uptime_seconds',
          'natwarden_events_dropped_total', 'natwarden_verdicts_total{verdict="accept"}'):
    if k not in vals:
        sys.exit('missing ' + k)
if vals['natwarden_verdicts_total{verdict="accept"}'] < 3:
    sys.exit('accept verdicts not counted')
EOF
code=$(in_gw curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/nope")
nw_expect_eq "$code" 404 "GET /nope"

# --- reload after the drop (config re-read as the user), traffic still flows
"$NATWARDENCTL" -s "$LIVE_SOCK" reload >"$LIVE_DIR/reload.out" 2>&1 ||
	nw_fail "reload after the drop: $(cat "$LIVE_DIR/reload.out")"
nw_expect_eq "$(live_get /)" "hello from priv" "port forward after reload"
echo "PASS: metrics on :$METRICS_PORT, running as $TEST_USER with CAP_NET_ADMIN only"
