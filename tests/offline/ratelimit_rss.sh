#!/bin/bash
# ratelimit_rss.sh: with a small max-keys, a 200k-random-source flood does not grow memory beyond a
# 20k-source flood (max RSS, /usr/bin/time -v), and the heavy hitter hidden in it stays limited.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
[ -x /usr/bin/time ] || { echo "no /usr/bin/time"; exit 77; }
for n in 20k 200k; do
	python3 "$NW_SRC/tests/data/gen_ratelimit.py" "flood$n" "$NW_TMP/f$n.pcap" >/dev/null ||
		nw_fail generator
done
cat >"$NW_TMP/rl.conf" <<'EOF'
[natwarden]
plugins = ratelimit
flow_max = 1000

[ratelimit]
hash-seed = 7

[limit flood]
proto = udp
key = src
rate = 10/s
burst = 5
max-keys = 1000
EOF
rss() { # PCAP OUT -> max RSS in kB
	mkdir -p "$2"
	/usr/bin/time -v -o "$2/time" "$NATWARDEN" -r "$1" -c "$NW_TMP/rl.conf" -l "$2" \
		--stats-json "$2/stats.json" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" \
		--set "natwarden.state_dir=$2/state" 2>"$2/stderr" || nw_fail "natwarden -r: $(cat "$2/stderr")"
	sed -n 's/.*Maximum resident set size (kbytes): //p' "$2/time"
}
r20=$(rss "$NW_TMP/f20k.pcap" "$NW_TMP/o20")
r200=$(rss "$NW_TMP/f200k.pcap" "$NW_TMP/o200")
echo "max RSS: 20k sources ${r20} kB, 200k sources ${r200} kB"
# same table either way; allow 4 MB of allocator/pcap noise
[ "$r200" -le $((r20 + 4096)) ] || nw_fail "RSS grew from $r20 kB to $r200 kB"
for o in o20 o200; do
	S="$NW_TMP/$o/stats.json"
	keys=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['flood.keys']")
	lim=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['flood.limited']")
	ev=$(nw_json "$S" "d['plugins']['ratelimit']['counters']['flood.evictions']")
	echo "$o: keys=$keys limited=$lim evictions=$ev"
	[ "$keys" -le 1000 ] || nw_fail "$o: $keys keys in a 1000-key table"
	# only the heavy hitter (100 pps for 10 s, 10/s burst 5) is ever limited: 1000 - 105 (+-1)
	[ "$lim" -ge 894 ] && [ "$lim" -le 896 ] || nw_fail "$o: heavy hitter limited $lim times, expected 895 +-1"
done
exit 0
