#!/bin/bash
# ratelimit_bytes.sh: a 400kbit (50 kB/s) byte limit with a 10 kB burst lets 510 kB of a 100 kB/s
# stream of 1000-byte packets through in 10 s (+-1 packet).
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_ratelimit.py" bytes "$NW_TMP/cap.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ratelimit

[limit bw]
proto = udp
count = bytes
rate = 400kbit
burst = 10kB
EOF
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
S="$NW_TMP/out/stats.json"
acc=$(nw_json "$S" "d['verdicts']['accept']")
echo "accepted $acc packets of 1000 bytes"
[ "$acc" -ge 509 ] && [ "$acc" -le 511 ] || nw_fail "accepted $acc, expected 510 +-1"
nw_expect_eq "$(nw_json "$S" "d['plugins']['ratelimit']['verdicts']['drop']['bw']")" $((1000 - acc)) "drops"
# the same limit written as bytes per second
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out2" --set "limit bw.rate=50kB/s" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out2/stderr")"
nw_expect_eq "$(nw_json "$NW_TMP/out2/stats.json" "d['verdicts']['accept']")" "$acc" "50kB/s = 400kbit"
exit 0
