#!/bin/bash
# Offline: [signature] sizes (http limits, stream/http/udp depths) are checked by `natwarden -T`
# with file:line: a value whose suffix would overflow 64 bits, a negative one or one out of range
# is refused (not wrapped to a small limit); k, m and g suffixes are accepted in range.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
[ -x "$NATWARDEN" ] || nw_fail "no $NATWARDEN"
: >"$NW_TMP/empty.rules"

# check NAME EXPECT(ok|fail) KEY VALUE [GREP]
check() {
	printf '[natwarden]\nplugins = signature\n\n[signature]\nrules = %s\n%s = %s\n' \
		"$NW_TMP/empty.rules" "$3" "$4" >"$NW_TMP/$1.conf"
	if "$NATWARDEN" -T -c "$NW_TMP/$1.conf" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" \
		>"$NW_TMP/$1.out" 2>&1; then
		[ "$2" = ok ] || nw_fail "$1: -T accepted $3 = $4"
	else
		[ "$2" = fail ] || nw_fail "$1: -T refused $3 = $4: $(cat "$NW_TMP/$1.out")"
		grep -q "$1.conf:6: \[signature\] $3: expected" "$NW_TMP/$1.out" ||
			nw_fail "$1: no file:line error for $3 = $4: $(cat "$NW_TMP/$1.out")"
	fi
}
check wrap fail http-body-limit 18014398509481985k
check small fail http-header-limit 255
check big fail http-body-limit 17m
check neg fail stream-depth -1
check plus fail udp-depth +5
check deep fail http-depth 1025g
check junk fail stream-depth 10x
check body ok http-body-limit 16m
check parsers ok http-parsers 2k
check depth ok stream-depth 1g
check nodepth ok udp-depth 0
echo "ok: [signature] sizes checked"
