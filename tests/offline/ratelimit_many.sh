#!/bin/bash
# ratelimit_many.sh: 500 sources each under a per-source limit: none dropped, no key with state evicted.
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
exit 0
