#!/bin/bash
# e2e: the signature plugin inline in the lab. Through the port forward (inet -> 198.51.100.1:80 ->
# priv 172.31.19.240:8000) a `drop` rule's attack URI gets no answer, a `reject` rule's attack URI
# gets a reset, a normal request on the same port is served; the EVE alerts say "blocked"; the
# dropped attack's flow stays dropped (its retransmissions meet the flow verdict). Hot
# reload: a rule file with a new sid takes effect on `natwardenctl reload`; a broken rule file
# with strict = yes is refused (the reply names rules-file:line) and the old rules still drop.
# A bounded curl loop runs across the reloads and every request of it is served.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/signature/.libs/signature.so" ] || nw_fail "signature plugin not built"
live_topology

RULES="$LIVE_DIR/sig.rules"
cat >"$RULES" <<'EOF'
# the lab's rules: one drop, one reject, one alert-only
drop tcp any any -> any any (msg:"path traversal to passwd"; flow:to_server,established; content:"GET "; depth:4; content:"/../../etc/passwd"; distance:0; sid:9100001; rev:1;)
reject tcp any any -> any any (msg:"shadow file probe"; flow:to_server,established; content:"/etc/shadow"; sid:9100002; rev:1;)
alert tcp any any -> any any (msg:"robots fetched"; flow:to_server,established; content:"/robots.txt"; sid:9100003; rev:1;)
EOF
hard_conf signature "[signature]" "rules = $RULES" "strict = yes"
live_apply
live_start

EVE="$LIVE_DIR/log/eve.json"
get() { in_inet curl -s --path-as-is --max-time "${2:-3}" "http://198.51.100.1$1"; }
served() { [ "$(get "$1")" = "hello from priv" ] || nw_fail "$2: $1 was not served"; }
# dropped URI: no answer at all, curl times out (exit 28)
dropped() {
	get "$1" 2 >/dev/null
	local rc=$?
	[ "$rc" = 28 ] || nw_fail "$2: $1 should get no answer (curl exit 28), got exit $rc"
}
# rejected URI: a TCP reset ends it at once (curl 52 empty reply / 56 reset), never a timeout
rejected() {
	get "$1" 5 >/dev/null
	local rc=$?
	[ "$rc" = 52 ] || [ "$rc" = 56 ] ||
		nw_fail "$2: $1 should be reset (curl exit 52/56), got exit $rc"
}
# alerts SID [ACTION]: number of EVE alerts for SID (with alert.action == ACTION when given)
alerts() {
	[ -f "$EVE" ] || { echo 0; return; }
	nw_eve_count "$EVE" "e.get('event_type')=='alert' and e['alert']['signature_id']==$1 \
and ('$2'=='' or e['alert']['action']=='$2')"
}

served / "before any attack"
dropped /../../etc/passwd "drop rule"
served / "after the dropped attack (same port)"
rejected /etc/shadow "reject rule"
served / "after the rejected attack"
# alert-only rule: the request goes through (404 from the server, but an answer)
code=$(in_inet curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://198.51.100.1/robots.txt)
nw_expect_eq "$code" 404 "alert rule lets the request through"

hard_wait_ge 30 1 alerts 9100001 blocked || nw_fail "no EVE alert with action blocked for sid 9100001"
hard_wait_ge 30 1 alerts 9100002 blocked || nw_fail "no EVE alert with action blocked for sid 9100002"
hard_wait_ge 30 1 alerts 9100003 allowed || nw_fail "no EVE alert with action allowed for sid 9100003"
# the drop took the flow, as offline: the client's retransmissions of the attack and its FIN met
# the flow's verdict in the core (no rule ran on them), and there was one alert
nw_expect_eq "$(alerts 9100001)" 1 "alerts for the dropped attack, however often the client resent it"
vh=$(live_stat 'd["flows"]["verdict_hits"]')
[ "$vh" -ge 1 ] || nw_fail "flows.verdict_hits is $vh: the dropped flow's later packets did not meet its verdict"
rej=$(live_stat 'd["verdicts"]["reject"]')
drops=$(live_stat 'd["verdicts"]["drop"]')
[ "$drops" -ge 1 ] && [ "$rej" -ge 1 ] || nw_fail "verdicts: drop $drops, reject $rej"
echo "drop, reject and alert rules work ($drops dropped, $rej rejected packets)"

# ---- hot reload: a new sid ----
LOOP="$LIVE_DIR/loop.out"
# served means answered, however slowly a busy machine answers: 5 s per request, not 2
hard_curl_loop "$LOOP" 100 --max-time 5
cp "$RULES" "$LIVE_DIR/old.rules"
{
	cat "$LIVE_DIR/old.rules"
	echo 'drop tcp any any -> any any (msg:"wp-login probe"; flow:to_server,established; content:"/wp-login.php"; sid:9100004; rev:1;)'
} >"$RULES.new"
mv "$RULES.new" "$RULES"
"$NATWARDENCTL" -s "$LIVE_SOCK" reload >"$LIVE_DIR/reload.out" 2>&1 ||
	{ cat "$LIVE_DIR/reload.out" >&2; nw_fail "reload of a good rule file failed"; }
dropped /wp-login.php "the new rule after reload"
hard_wait_ge 30 1 alerts 9100004 blocked || nw_fail "no alert for the new sid 9100004"
dropped /../../etc/passwd "the old drop rule after reload"
echo "reload added sid 9100004"

# ---- a broken rule file with strict = yes ----
{
	cat "$LIVE_DIR/old.rules"
	echo 'drop tcp any any -> any any (msg:"fine"; content:"/xmlrpc.php"; sid:9100005; rev:1;)'
	echo 'drop tcp any any -> any any (msg:"broken"; content:"/admin"; no_such_keyword; sid:9100006; rev:1;)'
} >"$RULES.new"
mv "$RULES.new" "$RULES"
badline=$(grep -n 'sid:9100006' "$RULES" | cut -d: -f1)
if "$NATWARDENCTL" -s "$LIVE_SOCK" reload >"$LIVE_DIR/reload.out" 2>&1; then
	cat "$LIVE_DIR/reload.out" >&2
	nw_fail "reload of a broken rule file with strict = yes succeeded"
fi
grep -q "$RULES:$badline:" "$LIVE_DIR/reload.out" ||
	{ cat "$LIVE_DIR/reload.out" >&2; nw_fail "the reload reply does not name $RULES:$badline"; }
echo "broken reload refused: $(grep -m1 "$RULES:$badline:" "$LIVE_DIR/reload.out")"
dropped /../../etc/passwd "old drop rule after the failed reload"
dropped /wp-login.php "sid 9100004 after the failed reload"
# the rule of the refused file is not active
code=$(in_inet curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://198.51.100.1/xmlrpc.php)
nw_expect_eq "$code" 404 "a rule of the refused file must not be active"

wait "$HARD_LOOP_PID" 2>/dev/null
ok=$(hard_lines "$LOOP" ok)
fail=$(hard_lines "$LOOP" fail)
[ "$ok/$fail" = "100/0" ] || { cat "$LOOP.why" >&2; live_stat 'd["verdicts"]' >&2; }
nw_expect_eq "$ok/$fail" "100/0" "requests served during the reloads (ok/fail)"
hard_alive || nw_fail "natwarden died"
echo "PASS: signature drop/reject/alert inline, reload with a new sid, strict broken reload refused, traffic served throughout"
