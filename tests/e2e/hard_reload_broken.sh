#!/bin/bash
# e2e: reloading a broken configuration keeps the running one. natwarden runs with the example
# plugin dropping the private host's connections to port 8080 (8081 open), then the signature
# plugin (strict, one good rule). Broken files (an unknown [natwarden] key, a bad plugin value,
# an incomplete [forward], a bad rule for the signature plugin further down the chain) each also
# move drop_port to 8081: `natwardenctl reload` must fail naming file:line, SIGHUP must log
# file:line, 8080 must still be dropped and 8081 served (the reload is all or nothing: the
# example plugin, which took its part of the file, does not switch either), the stats keep
# growing. Then a good file moving drop_port to 8081 takes effect on reload.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
live_topology
ip netns exec "$NS_INET" python3 -m http.server 8081 --bind 198.51.100.10 --directory "$LIVE_DIR/inetwww" \
	>"$LIVE_DIR/inet-http8081.log" 2>&1 &
LIVE_PIDS+=($!)
live_wait_port "$NS_INET" 198.51.100.10 8081

CONF="$LIVE_DIR/nw.conf"
RULES="$LIVE_DIR/local.rules"
echo 'alert tcp any any -> any any (msg:"never"; content:"hard-reload-never-seen"; sid:9400001;)' >"$RULES"
echo 'alert tcp any any -> any any (msg:"broken"; content:"x"; depth:0x; sid:9400002;)' >"$LIVE_DIR/bad.rules"
hard_conf "example signature" "[example]" "drop_port = 8080" "" "[signature]" "rules = $RULES" \
	"strict = yes"
live_apply
live_start

# served PORT / dropped PORT: the private host's connection to inet:PORT is served / gets nothing
served() { [ "$(in_priv curl -s --max-time 3 "http://198.51.100.10:$1/")" = "hello from inet" ]; }
dropped() { ! in_priv curl -s --max-time 2 "http://198.51.100.10:$1/" >/dev/null; }
# the configuration the daemon runs: 8080 dropped, 8081 open, the forward working
expect_old() {
	dropped 8080 || nw_fail "$1: 8080 no longer dropped (the broken config took effect)"
	served 8081 || nw_fail "$1: 8081 not served (the broken config took effect)"
	nw_expect_eq "$(live_get /)" "hello from priv" "$1: port forward"
}
packets() { live_stat 'd["packets"]'; }
failures() { "$NATWARDENCTL" -s "$LIVE_SOCK" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["reload_failures"])'; }

expect_old "before any reload"
cp "$CONF" "$LIVE_DIR/good-8080.conf"
# line_of PATTERN: line number of the first line of CONF matching PATTERN
line_of() { grep -n -m1 -- "$1" "$CONF" | cut -d: -f1; }

# broken CASE-NAME PATTERN-OF-BAD-LINE: reload CONF (already written) both ways and check
broken() {
	local name=$1 pat=$2 line p0 p1 f0 logn
	line=$(line_of "$pat")
	[ -n "$line" ] || nw_fail "$name: test bug, '$pat' not in the file"
	p0=$(packets)
	f0=$(failures)
	if "$NATWARDENCTL" -s "$LIVE_SOCK" reload >"$LIVE_DIR/reload.out" 2>&1; then
		cat "$LIVE_DIR/reload.out" >&2
		nw_fail "$name: natwardenctl reload of a broken file succeeded"
	fi
	grep -q "$CONF:$line:" "$LIVE_DIR/reload.out" ||
		{ cat "$LIVE_DIR/reload.out" >&2; nw_fail "$name: the reload reply does not name $CONF:$line"; }
	echo "$name: reload refused: $(grep -m1 "$CONF:$line:" "$LIVE_DIR/reload.out")"
	expect_old "$name (natwardenctl reload)"
	logn=$(wc -l <"$LIVE_DIR/natwarden.log")
	kill -HUP "$NW_PID"
	logged() { tail -n +"$((logn + 1))" "$LIVE_DIR/natwarden.log" | grep -q "$CONF:$line:"; }
	if ! hard_wait 50 logged; then
		echo "--- natwarden.log after SIGHUP:" >&2
		tail -n +"$((logn + 1))" "$LIVE_DIR/natwarden.log" >&2
		SIGHUP_UNNAMED="$SIGHUP_UNNAMED $name"
	fi
	hard_wait_ge 50 $((f0 + 2)) failures || nw_fail "$name: status does not count both failed reloads"
	expect_old "$name (SIGHUP)"
	hard_alive || nw_fail "$name: natwarden died"
	p1=$(packets)
	[ "$p1" -gt "$p0" ] || nw_fail "$name: stats stopped growing ($p0 -> $p1)"
}

# 1. an unknown key in [natwarden] (the whole file is rejected)
sed -e 's/^drop_port = 8080$/drop_port = 8081/' -e 's/^\[natwarden\]$/[natwarden]\nflowmax = 5/' \
	"$LIVE_DIR/good-8080.conf" >"$CONF"
broken "unknown core key" '^flowmax = 5'
# 2. a bad value in the plugin's own section (the plugin keeps its previous configuration)
sed -e 's/^drop_port = 8080$/drop_port = 8081 70000/' "$LIVE_DIR/good-8080.conf" >"$CONF"
broken "bad plugin value" '^drop_port = 8081 70000'
# 3. an unknown key in the plugin section next to a good change of drop_port
sed -e 's/^drop_port = 8080$/drop_port = 8081\ndrop_prot = 22/' "$LIVE_DIR/good-8080.conf" >"$CONF"
broken "unknown plugin key" '^drop_prot = 22'
# 4. a [forward] without its destination, drop_port changed in a valid [example]
sed -e 's/^drop_port = 8080$/drop_port = 8081/' -e '/^to = 172.31.19.240:8000$/d' \
	"$LIVE_DIR/good-8080.conf" >"$CONF"
broken "incomplete forward" '^\[forward web\]'
# 5. a bad rule file for the signature plugin; the example plugin's part (drop_port) is valid
sed -e 's/^drop_port = 8080$/drop_port = 8081/' -e "s|^rules = .*|rules = $LIVE_DIR/bad.rules|" \
	"$LIVE_DIR/good-8080.conf" >"$CONF"
broken "bad rule later in the chain" '^rules = '

[ -z "$SIGHUP_UNNAMED" ] || nw_fail "SIGHUP with a broken file: the log does not name file:line for:$SIGHUP_UNNAMED"

# a good file: drop_port moves to 8081
sed -e 's/^drop_port = 8080$/drop_port = 8081/' "$LIVE_DIR/good-8080.conf" >"$CONF"
"$NATWARDENCTL" -s "$LIVE_SOCK" reload >"$LIVE_DIR/reload.out" 2>&1 ||
	{ cat "$LIVE_DIR/reload.out" >&2; nw_fail "reload of a good file failed"; }
served 8080 || nw_fail "after the good reload 8080 is still dropped"
dropped 8081 || nw_fail "after the good reload 8081 is not dropped"
nw_expect_eq "$(live_get /)" "hello from priv" "port forward after the good reload"
pd=$(live_stat 'd["plugins"]["example"]["verdicts"]["drop"]["port"]')
echo "good reload took effect: 8080 open, 8081 dropped ($pd drops by the example plugin in all)"
hard_alive || nw_fail "natwarden died"
echo "PASS: broken reloads refused with file:line, old config kept; good reload applied"
