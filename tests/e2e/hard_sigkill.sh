#!/bin/bash
# e2e: kill -9 of natwarden mid-traffic, then a restart with the same state_dir.
#   - a ban made before the kill (natwardenctl ban 198.51.100.10 --time 10m, ban plugin in the
#     chain, no ipset offload) is in the ban store (SQLite) as soon as the command returns;
#   - a bounded curl loop from a second internet address (198.51.100.11) runs through the port
#     forward; natwarden is killed with SIGKILL while it runs; with fail_open = yes
#     (--queue-bypass) the loop keeps being served, and no queue stays bound;
#   - the restarted natwarden lists the ban and enforces it (198.51.100.10 gets no answer, the ban
#     plugin counts the dropped packets) while 198.51.100.11 is still served.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] || nw_fail "ban plugin not built"
live_topology
ip -n "$NS_INET" addr add 198.51.100.11/24 dev eth0 || nw_fail "second client address"

LIVE_FAIL_OPEN=yes hard_conf "ban example" "[ban]" "store = local" "[example]"
live_apply
live_start
get_from() { in_inet curl -s --max-time "${2:-3}" --interface "$1" http://198.51.100.1/; }
nw_expect_eq "$(get_from 198.51.100.10)" "hello from priv" "198.51.100.10 served before the ban"

"$NATWARDENCTL" -s "$LIVE_SOCK" ban 198.51.100.10 --time 10m >/dev/null || nw_fail "natwardenctl ban"
get_from 198.51.100.10 2 >/dev/null && nw_fail "198.51.100.10 still served after the ban"
# committed before the command answered: no waiting
nw_expect_eq "$(nw_store_rows "$LIVE_DIR/state/ban.state" "SELECT net FROM bans")" 198.51.100.10 \
	"bans in the store when natwardenctl returned"

# traffic from the other address; kill -9 in the middle of it
LOOP="$LIVE_DIR/loop.out"
hard_curl_loop "$LOOP" 60 --interface 198.51.100.11
ok5() { [ "$(hard_lines "$LOOP" ok)" -ge 5 ]; }
hard_wait 100 ok5 || nw_fail "the curl loop is not being served"
killed_pid=$NW_PID
live_stop KILL
kill -0 "$killed_pid" 2>/dev/null && nw_fail "natwarden survived SIGKILL"
ok_at_kill=$(hard_lines "$LOOP" ok)
fail_at_kill=$(hard_lines "$LOOP" fail)
ok_after() { [ "$(hard_lines "$LOOP" ok)" -ge $((ok_at_kill + 10)) ]; }
hard_wait 150 ok_after || nw_fail "fail-open: traffic stopped with natwarden dead ($(hard_lines "$LOOP" ok) ok, $(hard_lines "$LOOP" fail) failed)"
bound=$(in_gw cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | wc -l)
nw_expect_eq "$bound" 0 "queues bound after the kill"
ok_dead=$(($(hard_lines "$LOOP" ok) - ok_at_kill))
echo "killed natwarden after $ok_at_kill requests ($fail_at_kill failed); $ok_dead served with it dead"

# restart with the same state_dir
live_start
"$NATWARDENCTL" -s "$LIVE_SOCK" bans >"$LIVE_DIR/bans.out" || nw_fail "natwardenctl bans"
grep -q '198\.51\.100\.10\b' "$LIVE_DIR/bans.out" || { cat "$LIVE_DIR/bans.out" >&2; nw_fail "ban lost across kill -9 + restart"; }
b0=$(live_stat 'd["plugins"]["ban"]["counters"]["banned_packets"]')
get_from 198.51.100.10 2 >/dev/null && nw_fail "restarted natwarden does not enforce the ban"
b1=$(live_stat 'd["plugins"]["ban"]["counters"]["banned_packets"]')
[ "$b1" -gt "$b0" ] || nw_fail "the ban plugin did not drop 198.51.100.10 (banned_packets $b0 -> $b1)"
nw_expect_eq "$(get_from 198.51.100.11)" "hello from priv" "198.51.100.11 served after the restart"
# the loop (if still running) is judged by the new natwarden
wait "$HARD_LOOP_PID" 2>/dev/null
pk=$(live_stat 'd["packets"]')
[ "$pk" -gt 0 ] || nw_fail "restarted natwarden saw no traffic"
echo "after restart: ban listed and enforced ($((b1 - b0)) packets dropped); loop total $(hard_lines "$LOOP" ok) ok, $(hard_lines "$LOOP" fail) failed"
hard_alive || nw_fail "natwarden died"
echo "PASS: SIGKILL mid-traffic: fail-open kept traffic flowing, the restart restored the ban"
