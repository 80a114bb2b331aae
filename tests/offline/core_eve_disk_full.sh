#!/bin/bash
# EVE output on a full disk: events are lost and counted (eve.errors), filtering goes on with
# the same verdicts. Uses a 32 KiB tmpfs in a private mount namespace (root only).
source "$NW_SRC/tests/lib.sh"
[ "$(id -u)" = 0 ] || exit 77
command -v unshare >/dev/null || exit 77
nw_tmpdir
python3 "$NW_SRC/tests/data/gen_core.py" "$NW_TMP" 2222 >/dev/null 2>&1 || nw_fail "capture generator"
printf '[natwarden]\nplugins = example\n[example]\ndrop_port = 2222\n' >"$NW_TMP/ex.conf"
# many drop events: every packet of the mix goes to the dropped port in a second config
python3 - "$NW_TMP" <<'PY'
import sys
from scapy.all import IP, UDP, Raw, wrpcap, conf
conf.verb = 0
pk = []
for i in range(3000):
    p = IP(src="198.51.100.7", dst="172.31.19.240") / UDP(sport=1000 + i % 50000, dport=2222) / Raw(b"x" * 20)
    p.time = 1700000000 + i * 0.001
    pk.append(p)
wrpcap(sys.argv[1] + "/flood.pcap", pk, linktype=101)
PY
mkdir -p "$NW_TMP/full"
unshare -m bash -c "mount -t tmpfs -o size=32k tmpfs '$NW_TMP/full' &&
	'$NATWARDEN' -r '$NW_TMP/flood.pcap' -c '$NW_TMP/ex.conf' -l '$NW_TMP/full' \
		--stats-json '$NW_TMP/stats.json' --set 'natwarden.plugin_dir=$(nw_plugin_dirs)'" \
	2>"$NW_TMP/stderr" || nw_fail "natwarden failed on a full disk: $(tail -5 "$NW_TMP/stderr")"
nw_expect_eq "$(nw_json "$NW_TMP/stats.json" 'd["verdicts"]["drop"]')" 3000 "drops while the disk is full"
errors=$(nw_json "$NW_TMP/stats.json" 'd["eve"]["errors"]')
written=$(nw_json "$NW_TMP/stats.json" 'd["eve"]["written"]')
[ "$errors" -gt 0 ] || nw_fail "no EVE errors counted on a 32 KiB disk"
nw_expect_eq "$((errors + written))" 3000 "written + lost events"
grep -q "EVE events are being lost" "$NW_TMP/stderr" || nw_fail "no log line about lost events"
echo "ok: $written written, $errors lost and counted"
