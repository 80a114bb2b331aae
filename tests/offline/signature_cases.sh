#!/bin/bash
# Offline: suricata-verify style signature cases. Each tests/signature/<case>/ holds gen.py (writes
# the capture), rules (or rulesfile: paths under the source tree), optional conf (extra config)
# optional plugins (the chain, default "signature") and expect: "SID COUNT" lines (alerts by sid in eve.json), "stats PYEXPR VALUE" lines
# (checked against stats.json) and "eve COUNT PYEXPR" lines (EVE events for which PYEXPR on `e`
# is true). Run one case: signature_cases.sh CASE.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip: python3-scapy missing"; exit 77; }
[ -x "$NATWARDEN" ] || nw_fail "no $NATWARDEN"
[ -f "$NW_BUILD/plugins/signature/.libs/signature.so" ] || nw_fail "signature plugin not built"

cases=("$@")
[ ${#cases[@]} -gt 0 ] || for d in "$NW_SRC"/tests/signature/*/; do cases+=("$(basename "$d")"); done
failed=0
for c in "${cases[@]}"; do
	dir="$NW_SRC/tests/signature/$c"
	out="$NW_TMP/$c"
	mkdir -p "$out"
	if ! (cd "$dir" && PYTHONPATH="$NW_SRC/tests/signature" $PY gen.py "$out/capture.pcap" >"$out/gen.log" 2>&1); then
		echo "FAIL $c: capture generator: $(tail -3 "$out/gen.log")"
		failed=$((failed + 1))
		continue
	fi
	rules="$dir/rules"
	if [ -f "$dir/rulesfile" ]; then
		rules=""
		for f in $(cat "$dir/rulesfile"); do rules="$rules${rules:+ }$NW_SRC/$f"; done
	fi
	plugins=signature
	[ -f "$dir/plugins" ] && plugins=$(cat "$dir/plugins")
	{ printf '[natwarden]\nplugins = %s\n\n' "$plugins"; [ -f "$dir/conf" ] && cat "$dir/conf"; } >"$out/nw.conf"
	if ! nw_offline "$out/capture.pcap" "$out/nw.conf" "$out/run" -S "$rules"; then
		echo "FAIL $c: natwarden -r exited non-zero: $(tail -5 "$out/run/stderr")"
		failed=$((failed + 1))
		continue
	fi
	touch "$out/run/eve.json"
	bad=""
	while read -r a b c2; do
		[ -z "$a" ] && continue
		case "$a" in
		\#*) continue ;;
		eve)
			got=$(nw_eve_count "$out/run/eve.json" "$c2")
			[ "$got" = "$b" ] || bad="$bad [eve $c2: got $got, want $b]"
			;;
		stats)
			got=$(nw_json "$out/run/stats.json" "$b")
			[ "$got" = "$c2" ] || bad="$bad [$b: got $got, want $c2]"
			;;
		*)
			got=$(nw_eve_count "$out/run/eve.json" "e.get('event_type')=='alert' and e['alert']['signature_id']==$a")
			[ "$got" = "$b" ] || bad="$bad [sid $a: got $got alerts, want $b]"
			;;
		esac
	done <"$dir/expect"
	if [ -n "$bad" ]; then
		echo "FAIL $c:$bad"
		failed=$((failed + 1))
	else
		echo "ok   $c"
	fi
done
[ "$failed" -eq 0 ] || nw_fail "$failed signature case(s) failed"
echo "ok: ${#cases[@]} signature cases"
