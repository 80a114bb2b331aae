#!/bin/bash
# ratelimit_syn.sh: count = new-connections counts TCP SYNs only: 200 connections at 20/s against a
# 5/s burst 5 limit: 55 (+-1) SYNs pass, and no ACK or data packet is ever counted or dropped.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_ratelimit.py" syn "$NW_TMP/cap.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ratelimit

[limit ssh-syn]
proto = tcp
dport = 22
count = new-connections     ; or packets, bytes
key = src                   ; or src/24, src/64, dst, dst-port, src+dst-port
rate = 5/s
burst = 5
action = drop               ; or offense (with jail = NAME), alert
EOF
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
S="$NW_TMP/out/stats.json"
c_acc=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['ssh-syn.accepted']")
c_lim=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['ssh-syn.limited']")
drop=$(nw_json "$S" "d['verdicts']['drop']")
echo "SYNs accepted=$c_acc limited=$c_lim; packets dropped=$drop"
nw_expect_eq "$((c_acc + c_lim))" 200 "SYNs counted"
[ "$c_acc" -ge 54 ] && [ "$c_acc" -le 56 ] || nw_fail "accepted SYNs $c_acc, expected 55 +-1"
nw_expect_eq "$drop" "$c_lim" "only SYNs dropped"
nw_expect_eq "$(nw_json "$S" "d['verdicts']['accept']")" $((1000 - c_lim)) "everything else accepted"
exit 0
