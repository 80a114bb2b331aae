#!/bin/bash
# ratelimit_many.sh: 500 sources each under a per-source limit: none dropped, no key with state
# evicted; an alert-only new-connections limit counts each UDP flow once and drops nothing.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_ratelimit.py" many "$NW_TMP/cap.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ratelimit

[limit per-source]
proto = udp
dport = 5000
key = src
rate = 10/s
burst = 5
max-keys = 4096

[limit udp-new]
proto = udp
count = new-connections
key = all
rate = 100/s
burst = 10
action = alert
EOF
nw_offline "$NW_TMP/cap.pcap" "$NW_TMP/rl.conf" "$NW_TMP/out" ||
	nw_fail "natwarden -r: $(cat "$NW_TMP/out/stderr")"
S="$NW_TMP/out/stats.json"
nw_expect_eq "$(nw_json "$S" "d['verdicts']['drop']")" 0 "drops"
nw_expect_eq "$(nw_json "$S" "d['verdicts']['accept']")" 10000 "accepted"
# idle keys (fully refilled) carry no state and may share an entry: at most one entry per source
keys=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['per-source.keys']")
[ "$keys" -ge 100 ] && [ "$keys" -le 500 ] || nw_fail "table entries in use: $keys"
nw_expect_eq "$(nw_json "$S" "d['plugins']['ratelimit']['counters']['per-source.evictions']")" 0 "evictions"
# UDP new connections = first packet of each flow: 500 flows, alert only (nothing dropped)
a=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['udp-new.accepted']")
l=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['udp-new.limited']")
nw_expect_eq "$((a + l))" 500 "new UDP flows counted"
[ "$l" -gt 400 ] || nw_fail "udp-new limited only $l of 500 flows started within 0.2 s"
n=$(nw_eve_count "$NW_TMP/out/eve.json" "e['event_type'] == 'ratelimit' and e['ratelimit']['key'] == 'all'")
nw_expect_eq "$n" 1 "alert-only ratelimit events"
exit 0
