#!/bin/bash
# ratelimit_below.sh: a source at half its limit for 10 s is never dropped and raises no event.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_ratelimit.py" below "$NW_TMP/cap.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ratelimit

[limit polite]
proto = udp
rate = 10/s
burst = 1
EOF
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
S="$NW_TMP/out/stats.json"
nw_expect_eq "$(nw_json "$S" "d['verdicts']['drop']")" 0 "drops"
nw_expect_eq "$(nw_json "$S" "d['verdicts']['accept']")" 50 "accepted"
nw_expect_eq "$(nw_json "$S" "d['plugins']['ratelimit']['counters']['polite.accepted']")" 50 "polite.accepted"
nw_expect_eq "$(nw_eve_count "$NW_TMP/out/eve.json" "e['event_type'] == 'ratelimit'")" 0 "ratelimit events"
exit 0
