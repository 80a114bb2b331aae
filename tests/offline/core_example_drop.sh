#!/bin/bash
# Offline: the example plugin drops exactly the packets to its port, in every link type;
# the summary (stats.json), the plugin's counters and eve.json agree.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_core.py" "$NW_TMP" 2222 >/dev/null 2>&1 || nw_fail "capture generator"
cat >"$NW_TMP/ex.conf" <<CONF
[natwarden]
plugins = example

eve_drops = all

[example]
drop_port = 2222
CONF
total=$(nw_json "$NW_TMP/expect.json" 'd["packets"]')
want=$(nw_json "$NW_TMP/expect.json" 'd["to_drop"]')
[ "$want" -gt 0 ] || nw_fail "capture has no packet to the drop port"
for lt in eth vlan raw sll sll2; do
	[ -f "$NW_TMP/mix-$lt.pcap" ] || continue
	out="$NW_TMP/out-$lt"
	nw_offline "$NW_TMP/mix-$lt.pcap" "$NW_TMP/ex.conf" "$out" || nw_fail "$lt: natwarden -r exited non-zero: $(cat "$out/stderr")"
	nw_expect_eq "$(nw_json "$out/stats.json" 'd["packets"]')" "$total" "$lt packets"
	nw_expect_eq "$(nw_json "$out/stats.json" 'd["verdicts"]["drop"]')" "$want" "$lt drops"
	nw_expect_eq "$(nw_json "$out/stats.json" 'd["verdicts"]["accept"]')" "$((total - want))" "$lt accepts"
	nw_expect_eq "$(nw_json "$out/stats.json" 'd["plugins"]["example"]["verdicts"]["drop"]["port"]')" "$want" "$lt plugin drop/port"
	nw_expect_eq "$(nw_json "$out/stats.json" 'd["plugins"]["example"]["counters"]["dropped"]')" "$want" "$lt plugin counter"
	nw_expect_eq "$(nw_eve_count "$out/eve.json" 'e["event_type"]=="drop" and e["dest_port"]==2222 and e["drop"]["plugin"]=="example"')" "$want" "$lt eve drop events"
	nw_expect_eq "$(wc -l <"$out/eve.json")" "$want" "$lt eve lines"
	grep -q "verdicts       accept $((total - want)), drop $want," "$out/stderr" || nw_fail "$lt summary on stderr"
done
echo "ok: $want of $total packets dropped in every link type"
