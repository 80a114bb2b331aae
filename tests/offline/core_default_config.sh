#!/bin/bash
# The shipped etc/natwarden.conf passes natwarden -T with every shipped plugin and rule file,
# and so does `-T -S rules/natwarden.rules`.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
"$NATWARDEN" -T -c "$NW_SRC/etc/natwarden.conf" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" \
	--set "natwarden.state_dir=$NW_TMP" -S "$NW_SRC/rules/natwarden.rules" 2>"$NW_TMP/err" ||
	nw_fail "etc/natwarden.conf: $(cat "$NW_TMP/err")"
grep -q "configuration OK (3 plugins)" "$NW_TMP/err" || nw_fail "not all three plugins: $(cat "$NW_TMP/err")"
grep -q " 0 failed" "$NW_TMP/err" || nw_fail "shipped rules had errors: $(cat "$NW_TMP/err")"
echo ok
