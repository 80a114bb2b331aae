#!/bin/bash
# A plugin author's first try, with `natwarden -T`: a plugin's bad setting is printed before the
# rule errors it causes; a bounded setting out of range is a file:line error; a plugin keyword
# named like a signature built-in, or like another plugin's keyword, is refused; a relative
# plugin_dir in the config file is found next to the file.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
[ -x "$NATWARDEN" ] || nw_fail "no $NATWARDEN"
testplugs="$NW_BUILD/tests/unit/.libs"
[ -f "$testplugs/kwshadow.so" ] || nw_fail "test plugin kwshadow not built (make check TESTS=)"
dirs="$(nw_plugin_dirs):$testplugs"

# nw_t_fail NAME [ARGS] (config on stdin): `natwarden -T` must refuse it; output in NAME.out
nw_t_fail() {
	local name=$1
	shift
	cat >"$NW_TMP/$name.conf"
	if "$NATWARDEN" -T -c "$NW_TMP/$name.conf" --set "natwarden.plugin_dir=$dirs" "$@" \
		>"$NW_TMP/$name.out" 2>&1; then
		nw_fail "$name: -T accepted it: $(cat "$NW_TMP/$name.out")"
	fi
}
# line number in NAME.out of the first line matching PATTERN (0 if none)
nw_first() { grep -n -m1 -- "$2" "$NW_TMP/$1.out" | cut -d: -f1 | grep . || echo 0; }

# 1. the root cause first: example's bad port keeps its keyword from being registered
echo 'alert tcp any any -> any any (msg:"even"; example_dport_even; sid:1;)' >"$NW_TMP/r.rules"
nw_t_fail order <<EOF
[natwarden]
plugins = signature example

[signature]
rules = $NW_TMP/r.rules

[example]
drop_port = 99999
EOF
cause=$(nw_first order "order.conf:8: \[example\] drop_port = 99999")
note=$(nw_first order "plugin 'example' is not configured")
effect=$(nw_first order "keyword 'example_dport_even': unknown keyword")
[ "$cause" -gt 0 ] && [ "$note" -gt 0 ] && [ "$effect" -gt 0 ] ||
	nw_fail "order: missing lines (cause $cause, note $note, effect $effect): $(cat "$NW_TMP/order.out")"
[ "$cause" -lt "$note" ] && [ "$note" -lt "$effect" ] ||
	nw_fail "order: the plugin's error must come first: $(cat "$NW_TMP/order.out")"

# 2. NW_CONF_UINT with bounds (nw_directive2): example's low_ttl is 1-255
nw_t_fail bounds <<EOF
[natwarden]
plugins = example

[example]
low_ttl = 300
EOF
grep -q "bounds.conf:5: \[example\] low_ttl = 300: out of range (1-255)" "$NW_TMP/bounds.out" ||
	nw_fail "bounds: $(cat "$NW_TMP/bounds.out")"

# 3. keywords: kwshadow registers "content" (a signature built-in) and "example_dport_even"
# (the example's); refused whichever comes first in the chain
for chain in "example signature kwshadow" "example kwshadow signature"; do
	nw_t_fail shadow <<EOF
[natwarden]
plugins = $chain
EOF
	grep -q "shadow.conf:2: \[natwarden\] keyword 'content' of plugin 'kwshadow' is a built-in keyword of plugin 'signature'" \
		"$NW_TMP/shadow.out" || nw_fail "shadow ($chain): $(cat "$NW_TMP/shadow.out")"
	grep -q "keyword 'example_dport_even' of plugin 'kwshadow' is already registered by plugin 'example'" \
		"$NW_TMP/shadow.out" || nw_fail "duplicate ($chain): $(cat "$NW_TMP/shadow.out")"
done

# 4. plugin_dir = plugs, written in the config file: next to the file, whatever the working
# directory; given with --set: relative to the working directory
mkdir -p "$NW_TMP/etc/plugs" "$NW_TMP/elsewhere"
ln -s "$NW_BUILD/plugins/example/.libs/example.so" "$NW_TMP/etc/plugs/example.so"
printf '[natwarden]\nplugins = example\nplugin_dir = plugs\n' >"$NW_TMP/etc/nw.conf"
(cd "$NW_TMP/elsewhere" && "$NATWARDEN" -T -c ../etc/nw.conf) >"$NW_TMP/dir.out" 2>&1 ||
	nw_fail "relative plugin_dir in the file: $(cat "$NW_TMP/dir.out")"
printf '[natwarden]\nplugins = example\n' >"$NW_TMP/elsewhere/nw.conf"
(cd "$NW_TMP/etc" && "$NATWARDEN" -T -c ../elsewhere/nw.conf --set natwarden.plugin_dir=plugs) \
	>"$NW_TMP/dir2.out" 2>&1 || nw_fail "relative plugin_dir with --set: $(cat "$NW_TMP/dir2.out")"
echo ok
