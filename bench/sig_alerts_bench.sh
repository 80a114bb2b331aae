#!/bin/bash
# bench/sig_alerts_bench.sh: alerts per sid of an ET Open-style rule set replayed offline over a mixed application capture (HTTP, DNS, TLS, SMTP, FTP, other TCP/UDP).
# Rules: the shipped ET-style sample (tests/data/et_sample.rules) plus 3000 generated ones
# (bench/gen_rules_et.py); rules natwarden refuses are counted, the rest load. Prints the load
# report, the replay (packets, seconds), total alerts, distinct sids, alerts per protocol and
# the top sids with their counts. Deterministic input: the same build gives the same alerts.
# Usage: NW_BUILD=/path/to/build bench/sig_alerts_bench.sh [SESSIONS]   (run by bench/run)
set -e
NW_SRC=${NW_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
SESSIONS=${1:-1000}
ETGEN=3000

$PY "$NW_SRC/bench/gen_mix_app.py" "$SESSIONS" "$NW_TMP/mix.pcap"
$PY "$NW_SRC/bench/gen_rules_et.py" "$ETGEN" "$NW_TMP/gen.rules"
cat "$NW_SRC/tests/data/et_sample.rules" "$NW_TMP/gen.rules" >"$NW_TMP/et.rules"
printf '[natwarden]\nplugins = signature\n\n[signature]\nrule-report = yes\n' >"$NW_TMP/nw.conf"

# the load report (natwarden -T exits non-zero when rules are skipped: expected here)
"$NATWARDEN" -T -c "$NW_TMP/nw.conf" -S "$NW_TMP/et.rules" \
	--set "natwarden.plugin_dir=$(nw_plugin_dirs)" >"$NW_TMP/check" 2>&1 || true
t0=$(date +%s%N)
nw_offline "$NW_TMP/mix.pcap" "$NW_TMP/nw.conf" "$NW_TMP/out" -S "$NW_TMP/et.rules" ||
	nw_fail "natwarden -r: $(tail -3 "$NW_TMP/out/stderr")"
t1=$(date +%s%N)
echo "capture: $SESSIONS sessions of each kind (bench/gen_mix_app.py); rules: et_sample.rules + $ETGEN of gen_rules_et.py"
grep -o "rule report: [0-9]* rules.*" "$NW_TMP/check" | head -1 | sed 's/; loaded by protocol/\n  loaded by protocol/'
$PY - "$NW_TMP/out/eve.json" "$NW_TMP/out/stats.json" "$(((t1 - t0) / 1000000))" <<'PY'
import collections, json, sys
eve, stats, ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
per_sid, msg, proto = collections.Counter(), {}, collections.Counter()
for line in open(eve):
    e = json.loads(line)
    if e.get("event_type") != "alert":
        continue
    a = e["alert"]
    per_sid[a["signature_id"]] += 1
    msg[a["signature_id"]] = a.get("signature", "")
    proto[e.get("app_proto") or e.get("proto", "?").lower()] += 1
st = json.load(open(stats))
c = st["plugins"]["signature"]["counters"]
pk = st.get("packets", st.get("engine", {}).get("packets", "?"))
print("replay: %s ms wall (natwarden -r, one run; packets %s)" % (ms, pk))
print("flows by protocol: http %s, dns %s, tls %s, smtp %s, ftp %s, smb %s, unknown %s" % tuple(
    c.get("app_%s_flows" % k, "?") for k in ("http", "dns", "tls", "smtp", "ftp", "smb", "unknown")))
print("alerts: %d total, %d distinct sids; by app_proto: %s" % (
    sum(per_sid.values()), len(per_sid), ", ".join("%s %d" % kv for kv in proto.most_common())))
print("top sids:")
print("  %8s  %7s  %s" % ("sid", "alerts", "msg"))
for sid, n in per_sid.most_common(15):
    print("  %8d  %7d  %s" % (sid, n, msg[sid][:70]))
PY
