#!/bin/bash
# ratelimit_twice.sh: one source at exactly twice a 10/s limit (burst 20) for 10 s: rate*10+burst
# packets get through (+-1), the rest are dropped under the limit's reason, and one ratelimit event.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_ratelimit.py" twice "$NW_TMP/cap.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ratelimit

[ratelimit]
hash-seed = 1

[limit udp-flood]
proto = udp
dport = 5000
count = packets
key = src
rate = 10/s
burst = 20
EOF
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
S="$NW_TMP/out/stats.json"
accept=$(nw_json "$S" "d['verdicts']['accept']")
drop=$(nw_json "$S" "d['verdicts']['drop']")
dropped_by=$(nw_json "$S" "d['plugins']['ratelimit']['verdicts']['drop']['udp-flood']")
c_acc=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['udp-flood.accepted']")
c_lim=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['udp-flood.limited']")
echo "accept=$accept drop=$drop (reason udp-flood: $dropped_by) counters: $c_acc/$c_lim"
# expected 10/s * 10 s + 20 = 120 (+-1)
[ "$accept" -ge 119 ] && [ "$accept" -le 121 ] || nw_fail "accepted $accept, expected 120 +-1"
nw_expect_eq "$((accept + drop))" 200 "packets judged"
nw_expect_eq "$dropped_by" "$drop" "drops under reason udp-flood"
nw_expect_eq "$c_acc" "$accept" "udp-flood.accepted counter"
nw_expect_eq "$c_lim" "$drop" "udp-flood.limited counter"
# one event when the key went over; the next summary would be due 10 s later, after the capture
n=$(nw_eve_count "$NW_TMP/out/eve.json" "e['event_type'] == 'ratelimit'")
nw_expect_eq "$n" 1 "ratelimit events"
n=$(nw_eve_count "$NW_TMP/out/eve.json" "e['event_type'] == 'ratelimit' and e['ratelimit']['limit'] == 'udp-flood' and e['ratelimit']['key'] == '198.51.100.7' and e['ratelimit']['state'] == 'start' and e['src_ip'] == '198.51.100.7'")
nw_expect_eq "$n" 1 "ratelimit event fields (limit, key, state, src_ip)"
exit 0
