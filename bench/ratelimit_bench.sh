#!/bin/bash
# ratelimit_bench.sh: offline per-packet cost of the ratelimit plugin with 1, 10k and 1M active keys
# (natwarden -r, median of 3, ratio to the same capture without the plugin) and memory per key.
# Usage: NW_SRC=/work/main NW_BUILD=/tmp/build bash bench/ratelimit_bench.sh [PACKETS]
# Not run by the tests. Also: $NW_BUILD/bench/ratelimit_bench (table microbenchmark, 1 vs 2 threads).
set -e
: "${NW_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${NW_BUILD:=$NW_SRC/build}"
NATWARDEN="$NW_BUILD/natwarden"
PKTS=${1:-2000000}
TMP=$(mktemp -d /tmp/rlbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DIRS=$(ls -d "$NW_BUILD"/plugins/*/.libs | paste -sd:)

cat >"$TMP/rl.conf" <<'EOF'
[natwarden]
eve_drops = no

[ratelimit]
hash-seed = 1

[limit bench]
proto = udp
key = src
rate = 100/s
burst = 10
EOF
printf '[natwarden]\neve_drops = no\n' >"$TMP/base.conf"

run() { # PCAP PLUGINS MAXKEYS -> wall seconds of the packet loop
	local conf="$TMP/base.conf" extra=()
	[ -n "$2" ] && conf="$TMP/rl.conf" && extra=(--set "limit bench.max-keys=$3")
	rm -rf "$TMP/out"
	mkdir -p "$TMP/out"
	"$NATWARDEN" -r "$1" -c "$conf" -l "$TMP/out" --stats-json "$TMP/out/stats.json" \
		--set "natwarden.plugin_dir=$DIRS" --set "natwarden.state_dir=$TMP/out" \
		--set "natwarden.plugins=$2" "${extra[@]}" >/dev/null 2>&1
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_seconds"])' "$TMP/out/stats.json"
}

median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

echo "ratelimit offline benchmark: $PKTS packets of 64 bytes per run, median of 3"
printf '%-8s %12s %12s %12s %8s\n' keys "base ns/pkt" "rl ns/pkt" "plugin ns" ratio
for keys in 1 10000 1000000; do
	python3 "$NW_SRC/tests/data/gen_ratelimit.py" "bench:$keys:$PKTS" "$TMP/b.pcap" >/dev/null
	maxkeys=$((keys + keys / 4 + 5))
	b=(); r=()
	for i in 1 2 3; do
		b+=("$(run "$TMP/b.pcap" "" "$maxkeys")")
		r+=("$(run "$TMP/b.pcap" ratelimit "$maxkeys")")
	done
	python3 - "$keys" "$PKTS" "$(median3 "${b[@]}")" "$(median3 "${r[@]}")" <<'EOF'
import sys
keys, n, b, r = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
bn, rn = b * 1e9 / n, r * 1e9 / n
print("%-8d %12.1f %12.1f %12.1f %8.2f" % (keys, bn, rn, rn - bn, rn / bn))
EOF
done

# memory per key: max RSS with a 1M-key table minus a 1k-key table, on a tiny capture
python3 "$NW_SRC/tests/data/gen_ratelimit.py" "bench:10:1000" "$TMP/s.pcap" >/dev/null
rss() {
	/usr/bin/time -f %M "$NATWARDEN" -r "$TMP/s.pcap" -c "$TMP/rl.conf" -l "$TMP" \
		--set "natwarden.plugin_dir=$DIRS" --set "natwarden.state_dir=$TMP" \
		--set "natwarden.plugins=ratelimit" --set "limit bench.max-keys=$1" 2>&1 >/dev/null | tail -1
}
small=$(rss 1000)
big=$(rss 1000000)
python3 -c 'import sys; s,b=int(sys.argv[1]),int(sys.argv[2]); print("memory: max RSS %d kB (1k keys) vs %d kB (1M keys): %.1f bytes per key" % (s, b, (b - s) * 1024 / 999000))' "$small" "$big"
# instructions per packet (callgrind counts are stable on a loaded machine, unlike wall time)
if command -v valgrind >/dev/null; then
	printf '\n%-8s %14s %14s %14s\n' keys "base instr/pkt" "rl instr/pkt" "plugin instr"
	for keys in 1 10000; do
		python3 "$NW_SRC/tests/data/gen_ratelimit.py" "bench:$keys:100000" "$TMP/c.pcap" >/dev/null
		ir=()
		for p in "" ratelimit; do
			conf="$TMP/base.conf" extra=()
			[ -n "$p" ] && conf="$TMP/rl.conf" && extra=(--set "limit bench.max-keys=$((keys * 2 + 5))")
			rm -rf "$TMP/cg" && mkdir -p "$TMP/cg"
			valgrind --tool=callgrind --callgrind-out-file="$TMP/cg/out" "$NATWARDEN" -r "$TMP/c.pcap" \
				-c "$conf" -l "$TMP/cg" --set "natwarden.plugin_dir=$DIRS" \
				--set "natwarden.state_dir=$TMP/cg" --set "natwarden.plugins=$p" "${extra[@]}" \
				>/dev/null 2>"$TMP/cg/err"
			ir+=("$(sed -n 's/.*Collected : //p' "$TMP/cg/err")")
		done
		python3 -c 'import sys; k,b,r=map(int,sys.argv[1:]); print("%-8d %14.0f %14.0f %14.0f" % (k, b/1e5, r/1e5, (r-b)/1e5))' "$keys" "${ir[0]}" "${ir[1]}"
	done
fi
if [ -x "$NW_BUILD/bench/ratelimit_bench" ]; then
	echo
	"$NW_BUILD/bench/ratelimit_bench"
fi
