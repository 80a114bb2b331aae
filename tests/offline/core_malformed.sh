#!/bin/bash
# Offline: malformed packets never crash natwarden, are counted by reason, get the configured
# verdict (drop by default, accept with malformed = accept).
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_core.py" "$NW_TMP" >/dev/null 2>&1 || nw_fail "capture generator"
: >"$NW_TMP/empty.conf"
n=$(nw_json "$NW_TMP/expect.json" 'd["malformed"]')
nw_offline "$NW_TMP/malformed.pcap" "$NW_TMP/empty.conf" "$NW_TMP/o1" || nw_fail "natwarden -r failed"
nw_expect_eq "$(nw_json "$NW_TMP/o1/stats.json" 'd["verdicts"]["drop"]')" "$n" "drops"
for r in $(nw_json "$NW_TMP/expect.json" '" ".join(d["reasons"])'); do
	nw_expect_eq "$(nw_json "$NW_TMP/o1/stats.json" "d['decode_errors'].get('$r',0)")" \
		"$(nw_json "$NW_TMP/expect.json" "d['reasons']['$r']")" "reason $r"
done
nw_offline "$NW_TMP/malformed.pcap" "$NW_TMP/empty.conf" "$NW_TMP/o2" --set malformed=accept || nw_fail "natwarden -r failed"
nw_expect_eq "$(nw_json "$NW_TMP/o2/stats.json" 'd["verdicts"]["accept"]')" "$n" "accepts with malformed=accept"
echo "ok"
