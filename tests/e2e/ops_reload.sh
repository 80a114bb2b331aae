#!/bin/bash
# ops_reload: `natwardenctl reload` while traffic flows through the port forward loses nothing:
# N sequential HTTP requests all succeed while the daemon reloads (with changing signatures)
# several times, and a slow download that spans the reloads arrives whole.
source "$(dirname "$0")/live_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/signature/.libs/signature.so" ] || nw_fail "signature plugin not built"

N=120
RELOADS=8
live_topology
live_conf
RULES="$LIVE_DIR/local.rules"
echo 'alert tcp any any -> any 8000 (msg:"never"; content:"ops-reload-never-seen"; sid:9300000;)' >"$RULES"
sed -i -e 's/^plugins = example$/plugins = example signature/' "$LIVE_DIR/nw.conf"
printf '\n[signature]\nrules = %s\n' "$RULES" >>"$LIVE_DIR/nw.conf"
live_apply
live_start
CTL=("$NATWARDENCTL" -s "$LIVE_SOCK")

# a download paced to last ~3 s, started before the reloads
in_inet curl -s --max-time 30 --limit-rate 600k -o "$LIVE_DIR/big.out" "http://198.51.100.1/big.bin" &
DL=$!
LIVE_PIDS+=($DL)
# N requests, one connection each, results one per line
(
	for i in $(seq "$N"); do
		if [ "$(in_inet curl -s --max-time 5 http://198.51.100.1/)" = "hello from priv" ]; then
			echo ok
		else
			echo "fail $i"
		fi
	done >"$LIVE_DIR/results"
) &
LOOP=$!
LIVE_PIDS+=($LOOP)
for i in $(seq 100); do
	[ "$(wc -l <"$LIVE_DIR/results" 2>/dev/null || echo 0)" -ge 5 ] && break
	sleep 0.1
done
for r in $(seq "$RELOADS"); do
	# a new signature each time, so the signature plugin rebuilds its rule set
	echo "alert tcp any any -> any 8000 (msg:\"r$r\"; content:\"ops-reload-$r-never\"; sid:$((9300000 + r));)" >>"$RULES"
	"${CTL[@]}" reload >"$LIVE_DIR/reload.out" 2>&1 || nw_fail "reload $r: $(cat "$LIVE_DIR/reload.out")"
	sleep 0.15
done
during=$(wc -l <"$LIVE_DIR/results")
wait "$LOOP" || true
wait "$DL" || nw_fail "the download across the reloads failed"
nw_expect_eq "$(stat -c %s "$LIVE_DIR/big.out")" 2000000 "download size across reloads"
ok=$(grep -c '^ok$' "$LIVE_DIR/results")
[ "$ok" = "$N" ] || nw_fail "$ok of $N requests succeeded during reloads: $(grep fail "$LIVE_DIR/results" | head -5 | xargs)"
[ "$during" -lt "$N" ] || echo "note: the requests finished before the last reload" >&2
"${CTL[@]}" status --json >"$LIVE_DIR/st.json"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" '(d["reloads"], d["reload_failures"], d["rules_loaded"])')" \
	"($RELOADS, 0, $((RELOADS + 1)))" "reloads, failures, rules after the last reload"
[ "$(live_stat 'd["verdicts"]["drop"]')" = 0 ] || nw_fail "packets dropped during reloads"
echo "PASS: $N/$N requests and a 2 MB download through $RELOADS reloads"
