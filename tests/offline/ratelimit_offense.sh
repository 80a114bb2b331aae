#!/bin/bash
# ratelimit_offense.sh: action = offense feeds the ban plugin: the first time the source goes over
# its limit it earns a strike in jail "flood", is banned (maxretry 1), and the ban drops the rest.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
ls "$NW_BUILD"/plugins/ban/.libs/ban.so >/dev/null 2>&1 || { echo "ban plugin not built"; exit 77; }
python3 "$NW_SRC/tests/data/gen_ratelimit.py" twice "$NW_TMP/cap.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ban ratelimit

[jail flood]
maxretry = 1
findtime = 10m
bantime = 1h

[limit udp-flood]
proto = udp
rate = 10/s
burst = 20
action = offense
jail = flood
offense-only = yes
EOF
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
S="$NW_TMP/out/stats.json"
E="$NW_TMP/out/eve.json"
lim=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['udp-flood.limited']")
acc=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['udp-flood.accepted']")
drop=$(nw_json "$S" "d['verdicts']['drop']")
echo "ratelimit accepted=$acc limited=$lim; dropped=$drop"
# offense-only: the over-limit packet itself passes; the ban takes every later packet
nw_expect_eq "$lim" 1 "packets seen over the limit before the ban"
nw_expect_eq "$(nw_json "$S" "d['plugins']['ratelimit']['verdicts'].get('drop', {}).get('udp-flood', 0)")" 0 "ratelimit drops with offense-only"
nw_expect_eq "$drop" $((200 - acc - lim)) "packets dropped by the ban"
n=$(nw_eve_count "$E" "e['event_type'] == 'offense' and e['offense'].get('jail', e['offense'].get('name')) == 'flood'")
[ "$n" -ge 1 ] || n=$(nw_eve_count "$E" "e['event_type'] == 'offense'")
nw_expect_eq "$n" 1 "offense events"
n=$(nw_eve_count "$E" "e['event_type'] == 'ban' and e['ban']['ip'].startswith('198.51.100.7') and e['ban']['action'] == 'ban'")
nw_expect_eq "$n" 1 "ban of 198.51.100.7"
exit 0
