#!/bin/bash
# Offline: `natwarden -T` with [signature] rule-report = yes on an ET-style sample prints loaded/skipped
# counts and the top reasons; every skipped rule there uses a protocol or keyword natwarden lacks.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
[ -x "$NATWARDEN" ] || nw_fail "no $NATWARDEN"
printf '[natwarden]\nplugins = signature\n\n[signature]\nrule-report = yes\n' >"$NW_TMP/nw.conf"
"$NATWARDEN" -T -c "$NW_TMP/nw.conf" -S "$NW_SRC/tests/data/et_sample.rules" \
	--set "natwarden.plugin_dir=$(nw_plugin_dirs)" >"$NW_TMP/out" 2>&1
rc=$?
[ "$rc" -ne 0 ] || nw_fail "-T must fail when rules are skipped"
grep -q "rule report: 350 rules, 316 loaded (90.3%), 34 skipped" "$NW_TMP/out" ||
	nw_fail "load counts: $(grep 'rule report' "$NW_TMP/out" | head -1)"
grep -q "http 210, dns 42, tls 32, smtp 0, ftp 4, smb 0, other 28" "$NW_TMP/out" ||
	nw_fail "per protocol counts missing"
# smtp, ftp and smb header rules load (the ftp ones: content only); their buffers do not
grep -q "rule report: smtp, ftp and smb rules keep their header" "$NW_TMP/out" ||
	nw_fail "what smtp, ftp and smb rules keep is not said"
for reason in "keyword 'smb.named_pipe': not supported by natwarden" \
	"keyword 'file.data': not supported by natwarden on smtp" \
	"header: protocol 'ssh' not supported by natwarden" \
	"keyword 'dataset': not supported by natwarden" \
	"keyword 'byte_extract': not supported by natwarden"; do
	grep -q "rule report: skipped .*$reason" "$NW_TMP/out" || nw_fail "reason missing: $reason"
done
# without rule-report: no report lines
printf '[natwarden]\nplugins = signature\n' >"$NW_TMP/plain.conf"
"$NATWARDEN" -T -c "$NW_TMP/plain.conf" -S "$NW_SRC/tests/data/et_sample.rules" \
	--set "natwarden.plugin_dir=$(nw_plugin_dirs)" >"$NW_TMP/out2" 2>&1
grep -q "rule report" "$NW_TMP/out2" && nw_fail "report printed without rule-report"
echo "ok: rule report"
