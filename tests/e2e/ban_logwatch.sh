#!/bin/bash
# ban_logwatch.sh: the failregex log watcher in a live natwarden (its own network namespace):
# a jail with logpath and a two-line failregex (<HOST>) bans a client at the maxretry-th
# "Failed password ... from ADDR" line appended to the log; lines already in the file at start
# are history; ignoreregex lines and other addresses do not count; a rotated log is followed.
# Every process is started here and stopped by its PID.
source "$NW_SRC/tests/e2e/ban_lib.sh"
ban_init banlog
NS="nwbl-$BAN_SFX"
ban_netns "$NS"

LOG="$DIR/auth.log"
for i in 1 2 3 4 5; do
	echo "Nov 26 10:00:0$i gw sshd[100]: Failed password for root from 198.51.100.10 port 4000 ssh2"
done >"$LOG"
gw_conf_head 1 0
cat >>"$DIR/gw1/nw.conf" <<CONF
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

gw_start 1 "$NS" 0
has() { has_ban 1 "$1"; }
# wait_counter NAME N: until the counter reaches N (bounded 10 s)
wait_counter() {
	local i
	for i in $(seq 200); do
		[ "$(counter 1 "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	nw_fail "counter $1 stayed at $(counter 1 "$1"), wanted $2"
}
failed() { echo "Nov 26 10:01:00 gw sshd[$RANDOM]: Failed password for root from $1 port 4242 ssh2$2" >>"$LOG"; }

# history is not counted; two new failures are not enough
failed 198.51.100.10
failed 198.51.100.10
wait_counter log_lines 2
has 198.51.100.10 && nw_fail "banned before maxretry (or counted lines that were there at start)"
nw_expect_eq "$(counter 1 log_matches)" 2 "failregex matches"
failed 198.51.100.10
wait_ban 1 198.51.100.10 || nw_fail "no ban at the third failure"
echo "1. 198.51.100.10 banned at the 3rd appended failure (5 older lines ignored)"

# the second failregex line, and noise
for i in 1 2 3; do
	echo "Nov 26 10:02:00 gw sshd[7]: Invalid user admin$i from 2001:db8::20" >>"$LOG"
	echo "Nov 26 10:02:00 gw sshd[7]: Accepted password for root from 198.51.100.21 port 1 ssh2" >>"$LOG"
	failed 198.51.100.30 " [test-ignore]"
done
wait_counter log_lines 12
wait_ban 1 2001:db8::20 || nw_fail "the second failregex line did not ban"
has 198.51.100.21 && nw_fail "an accepted login banned"
has 198.51.100.30 && nw_fail "ignoreregex lines banned"
echo "2. second failregex (IPv6) banned; ignoreregex and non-matching lines did not count"

# rotation: rename, new file
mv "$LOG" "$LOG.1"
failed 198.51.100.40 >/dev/null
failed 198.51.100.40
failed 198.51.100.40
wait_ban 1 198.51.100.40 || nw_fail "a rotated log was not followed"
echo "3. rotated log followed"

ev=$(nw_eve_count "$DIR/gw1/log/eve.json" 'e.get("event_type") == "ban" and "failregex match in" in e["ban"]["reason"]')
[ "$ev" -ge 3 ] || nw_fail "EVE ban events with the log reason: $ev"
echo "PASS"
