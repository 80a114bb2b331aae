#!/bin/bash
# natwarden -T lists every config error with file:line and exits non-zero; a good config passes.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
cat >"$NW_TMP/bad.conf" <<CONF
[natwarden]
plugins = example
flow_maxx = 10

[example]
drop_port = 99999
[mystery]
a = b
this line is not an assignment
CONF
if "$NATWARDEN" -T -c "$NW_TMP/bad.conf" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" 2>"$NW_TMP/err"; then
	nw_fail "-T accepted a bad config"
fi
grep -q "^$NW_TMP/bad.conf:3: \[natwarden\] unknown key 'flow_maxx'" "$NW_TMP/err" || nw_fail "no file:line for the unknown key: $(cat "$NW_TMP/err")"
grep -q "^$NW_TMP/bad.conf:6: \[example\] drop_port" "$NW_TMP/err" || nw_fail "no file:line for the bad port"
grep -q "^$NW_TMP/bad.conf:7: \[mystery\] unknown section" "$NW_TMP/err" || nw_fail "unknown section not reported"
grep -q "^$NW_TMP/bad.conf:9: syntax error" "$NW_TMP/err" || nw_fail "syntax error not listed with the others"
printf '[natwarden]\nplugins = example\n[example]\ndrop_port = 22\n' >"$NW_TMP/good.conf"
"$NATWARDEN" -T -c "$NW_TMP/good.conf" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" 2>"$NW_TMP/err" || nw_fail "-T refused a good config: $(cat "$NW_TMP/err")"
grep -q "configuration OK" "$NW_TMP/err" || nw_fail "no OK message"
# a plugin that does not exist: a clear error, not a crash
printf '[natwarden]\nplugins = nosuchplugin\n' >"$NW_TMP/np.conf"
"$NATWARDEN" -T -c "$NW_TMP/np.conf" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" 2>"$NW_TMP/err" && nw_fail "missing plugin accepted"
grep -q "np.conf:2: plugin 'nosuchplugin': nosuchplugin.so not found" "$NW_TMP/err" || nw_fail "missing plugin message: $(cat "$NW_TMP/err")"
echo ok
