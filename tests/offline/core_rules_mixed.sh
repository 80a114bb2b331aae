#!/bin/bash
# A rule file mixing supported and unsupported rules: -T lists each bad rule with file:line and
# the reason and exits non-zero; a run loads the good rules and alerts with them.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
cat >"$NW_TMP/mixed.rules" <<'RULES'
alert udp any any -> any 2222 (msg:"NATWARDEN test udp 2222"; sid:1000001; rev:1;)
alert tcp any any -> any 445 (msg:"uses smb.named_pipe"; smb.named_pipe; content:"x"; sid:1000002; rev:1;)
alert tcp any any -> any 80 (msg:"bad content" content:"x"; sid:1000003;)
RULES
: >"$NW_TMP/empty.conf"
if "$NATWARDEN" -T -c "$NW_TMP/empty.conf" -S "$NW_TMP/mixed.rules" \
	--set "natwarden.plugin_dir=$(nw_plugin_dirs)" 2>"$NW_TMP/err"; then
	nw_fail "-T accepted a file with bad rules"
fi
grep -q "mixed.rules:2: sid 1000002: keyword 'smb.named_pipe': not supported by natwarden" "$NW_TMP/err" ||
	nw_fail "unsupported keyword not named: $(cat "$NW_TMP/err")"
grep -q "mixed.rules:3:" "$NW_TMP/err" || nw_fail "syntax error line not named: $(cat "$NW_TMP/err")"
python3 "$NW_SRC/tests/data/gen_core.py" "$NW_TMP" 2222 >/dev/null 2>&1 || nw_fail "capture generator"
nw_offline "$NW_TMP/mix-eth.pcap" "$NW_TMP/empty.conf" "$NW_TMP/out" -S "$NW_TMP/mixed.rules" ||
	nw_fail "a run with skipped rules did not start: $(cat "$NW_TMP/out/stderr")"
udp=$(python3 - "$NW_TMP/mix-eth.pcap" <<'PY'
import sys
from scapy.all import rdpcap, UDP
print(sum(1 for p in rdpcap(sys.argv[1]) if UDP in p and p[UDP].dport == 2222))
PY
)
nw_expect_eq "$(nw_eve_count "$NW_TMP/out/eve.json" 'e["event_type"]=="alert" and e["alert"]["signature_id"]==1000001')" "$udp" "alerts from the good rule"
echo "ok: $udp alerts"
