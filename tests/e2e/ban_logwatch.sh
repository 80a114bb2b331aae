#!/bin/bash
# ban_logwatch.sh: the failregex log watcher in a live natwarden (its own network namespace):
# a jail with logpath and a two-line failregex (<HOST>) bans a client at the maxretry-th
# "Failed password ... from ADDR" line appended to the log; lines already in the file at start
# are history; ignoreregex lines and other addresses do not count; a rotated log is followed.
# Every process is started here and stopped by its PID.
source "$NW_SRC/tests/lib.sh"

skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
[ -x "$NATWARDEN" ] && [ -x "$NATWARDENCTL" ] || nw_fail "build natwarden and natwardenctl first"
[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] || nw_fail "ban plugin not built"

NS="nwbl-$(printf '%04x%04x' $RANDOM $RANDOM)"
DIR=$(mktemp -d /tmp/nwbanlog.XXXXXX)
NWPID=
cleanup() {
	[ -n "$NWPID" ] && kill "$NWPID" 2>/dev/null && wait "$NWPID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" 2>/dev/null || skip "no network namespaces"
ip -n "$NS" link set lo up

LOG="$DIR/auth.log"
for i in 1 2 3 4 5; do
	echo "Nov 26 10:00:0$i gw sshd[100]: Failed password for root from 198.51.100.10 port 4000 ssh2"
done >"$LOG"
mkdir -p "$DIR/state" "$DIR/log"
cat >"$DIR/nw.conf" <<CONF
[natwarden]
plugins = ban
plugin_dir = $(nw_plugin_dirs)
state_dir = $DIR/state
control_socket = $DIR/ctl.sock
queues = 0

[ban]

[jail sshd]
maxretry = 3
findtime = 10m
bantime = 1h
logpath = $LOG
failregex = sshd\[\d+\]: Failed password for (?:invalid user )?\S+ from <HOST> port \d+
            sshd\[\d+\]: Invalid user \S+ from <HOST>\$
ignoreregex = \[test-ignore\]
CONF

ip netns exec "$NS" "$NATWARDEN" -c "$DIR/nw.conf" -q 0 -l "$DIR/log" >>"$DIR/natwarden.log" 2>&1 &
NWPID=$!
for i in $(seq 100); do
	"$NATWARDENCTL" -s "$DIR/ctl.sock" status >/dev/null 2>&1 && break
	if ! kill -0 "$NWPID" 2>/dev/null; then
		grep -q "live mode is not built" "$DIR/natwarden.log" && skip "natwarden built without live mode"
		cat "$DIR/natwarden.log" >&2
		nw_fail "natwarden exited"
	fi
	sleep 0.1
done
ctl() { "$NATWARDENCTL" -s "$DIR/ctl.sock" "$@"; }
has_ban() { ctl bans --json | python3 -c 'import json,sys; sys.exit(0 if any(b["ip"] == sys.argv[1] for b in json.load(sys.stdin)) else 1)' "$1"; }
counter() { ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["plugins"]["ban"]["counters"][sys.argv[1]])' "$1"; }
# wait_counter NAME N: until the counter reaches N (bounded 10 s)
wait_counter() {
	local i
	for i in $(seq 200); do
		[ "$(counter "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	nw_fail "counter $1 stayed at $(counter "$1"), wanted $2"
}
wait_ban() {
	local i
	for i in $(seq 200); do
		has_ban "$1" && return 0
		sleep 0.05
	done
	return 1
}
failed() { echo "Nov 26 10:01:00 gw sshd[$RANDOM]: Failed password for root from $1 port 4242 ssh2$2" >>"$LOG"; }

# history is not counted; two new failures are not enough
failed 198.51.100.10
failed 198.51.100.10
wait_counter log_lines 2
has_ban 198.51.100.10 && nw_fail "banned before maxretry (or counted lines that were there at start)"
nw_expect_eq "$(counter log_matches)" 2 "failregex matches"
failed 198.51.100.10
wait_ban 198.51.100.10 || nw_fail "no ban at the third failure"
echo "1. 198.51.100.10 banned at the 3rd appended failure (5 older lines ignored)"

# the second failregex line, and noise
for i in 1 2 3; do
	echo "Nov 26 10:02:00 gw sshd[7]: Invalid user admin$i from 2001:db8::20" >>"$LOG"
	echo "Nov 26 10:02:00 gw sshd[7]: Accepted password for root from 198.51.100.21 port 1 ssh2" >>"$LOG"
	failed 198.51.100.30 " [test-ignore]"
done
wait_counter log_lines 12
wait_ban 2001:db8::20 || nw_fail "the second failregex line did not ban"
has_ban 198.51.100.21 && nw_fail "an accepted login banned"
has_ban 198.51.100.30 && nw_fail "ignoreregex lines banned"
echo "2. second failregex (IPv6) banned; ignoreregex and non-matching lines did not count"

# rotation: rename, new file
mv "$LOG" "$LOG.1"
failed 198.51.100.40 >/dev/null
failed 198.51.100.40
failed 198.51.100.40
wait_ban 198.51.100.40 || nw_fail "a rotated log was not followed"
echo "3. rotated log followed"

ev=$(nw_eve_count "$DIR/log/eve.json" 'e.get("event_type") == "ban" and "failregex match in" in e["ban"]["reason"]')
[ "$ev" -ge 3 ] || nw_fail "EVE ban events with the log reason: $ev"
echo "PASS"
