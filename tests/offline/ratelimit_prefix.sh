#!/bin/bash
# ratelimit_prefix.sh: a src/24 aggregate limit catches 200 sources of one /24 (each far under
# any per-source limit) while a source of another /24 is untouched; the same for a /64 (IPv6).
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_ratelimit.py" prefix "$NW_TMP/cap.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ratelimit

[limit per-24]
proto = udp
key = src/24,src/64
rate = 50/s
burst = 10
EOF
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
S="$NW_TMP/out/stats.json"
acc=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['per-24.accepted']")
drop=$(nw_json "$S" "d['verdicts']['drop']")
echo "accepted=$acc dropped=$drop"
# the /24 sends 1000 packets over 5 s: 50/s * 5 s + 10 = 260 (+-1) of them pass; the other
# prefix's 10 packets all pass
[ "$acc" -ge $((259 + 10)) ] && [ "$acc" -le $((261 + 10)) ] || nw_fail "accepted $acc, expected 270 +-1"
nw_expect_eq "$((acc + drop))" 1010 "judged"
nw_expect_eq "$(nw_json "$S" "d['plugins']['ratelimit']['counters']['per-24.keys']")" 2 "keys (two prefixes)"
n=$(nw_eve_count "$NW_TMP/out/eve.json" "e['event_type'] == 'ratelimit' and e['ratelimit']['key'] == '203.0.113.0/24'")
nw_expect_eq "$n" 1 "ratelimit event for 203.0.113.0/24"
n=$(nw_eve_count "$NW_TMP/out/eve.json" "e['event_type'] == 'ratelimit' and e.get('src_ip') == '198.51.100.20'")
nw_expect_eq "$n" 0 "events for the polite prefix"
# the same for IPv6: 100 sources of one /64 at 1 pps each, and a polite source of another /64
python3 "$NW_SRC/tests/data/gen_ratelimit.py" prefix6 "$NW_TMP/cap6.pcap" >/dev/null || nw_fail generator
nw_offline "$NW_TMP/cap6.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out6" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out6/stderr")"
S="$NW_TMP/out6/stats.json"
acc=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['per-24.accepted']")
echo "IPv6: accepted=$acc"
[ "$acc" -ge $((259 + 10)) ] && [ "$acc" -le $((261 + 10)) ] || nw_fail "IPv6 accepted $acc, expected 270 +-1"
n=$(nw_eve_count "$NW_TMP/out6/eve.json" "e['event_type'] == 'ratelimit' and e['ratelimit']['key'] == '2001:db8:1:2::/64'")
nw_expect_eq "$n" 1 "ratelimit event for 2001:db8:1:2::/64"
exit 0
