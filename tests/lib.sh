# tests/lib.sh: helpers shared by the offline and end-to-end test scripts (source it).
# Environment: NW_BUILD = build dir (absolute), NW_SRC = source dir (absolute).
# A test script exits 0 (pass), 77 (skip: the machine truly lacks a feature) or anything else (fail).

: "${NW_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${NW_BUILD:=$NW_SRC/build}"
NATWARDEN="$NW_BUILD/natwarden"
NATWARDENCTL="$NW_BUILD/natwardenctl"

# Colon-separated plugin search path covering every plugin built in the tree.
nw_plugin_dirs() {
	local d out=""
	for d in "$NW_BUILD"/plugins/*/.libs; do
		[ -d "$d" ] && out="${out:+$out:}$d"
	done
	echo "$out"
}

# A fresh temporary directory removed when the script exits.
nw_tmpdir() {
	NW_TMP=$(mktemp -d /tmp/nwtest.XXXXXX)
	trap 'rm -rf "$NW_TMP"' EXIT
}

# nw_offline PCAP CONF OUTDIR [extra args...]: run the offline pipeline with all plugins findable;
# writes OUTDIR/eve.json and OUTDIR/stats.json; stderr to OUTDIR/stderr.
nw_offline() {
	local pcap=$1 conf=$2 out=$3
	shift 3
	mkdir -p "$out"
	"$NATWARDEN" -r "$pcap" -c "$conf" -l "$out" --stats-json "$out/stats.json" \
		--set "natwarden.plugin_dir=$(nw_plugin_dirs)" --set "natwarden.state_dir=$out/state" \
		"$@" 2>"$out/stderr"
}

# nw_json FILE EXPR: print a value from a JSON file (python expression on `d`).
nw_json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# nw_eve_count FILE PYEXPR: number of EVE lines for which PYEXPR (on `e`) is true.
nw_eve_count() {
	python3 -c '
import json,sys
n=0
for line in open(sys.argv[1]):
    e=json.loads(line)
    if eval(sys.argv[2]): n+=1
print(n)' "$1" "$2"
}

nw_fail() { echo "FAIL: $*" >&2; exit 1; }

# nw_wait_grep PATTERN FILE [SECONDS]: wait (at most SECONDS, default 20) until FILE has a line
# matching the extended regex PATTERN. Events reach eve.json from the main thread's buffer a
# moment after the action that caused them, so a test waits for them instead of reading at once.
nw_wait_grep() {
	local i
	for ((i = 0; i < ${3:-20} * 10; i++)); do
		grep -qE -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# nw_store_rows DB SQL: the rows of a query on a ban store (an SQLite database), one a line, the
# fields separated by spaces (python3's sqlite3: no sqlite3 command needed).
nw_store_rows() {
	python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*r)' "$1" "$2"
}

# nw_config_check NAME ok|fail [PATTERN] (config on stdin): `natwarden -T` accepts it, or
# rejects it with PATTERN in its output (needs NW_TMP, from nw_tmpdir).
nw_config_check() {
	local rc
	cat >"$NW_TMP/$1.conf"
	"$NATWARDEN" -T -c "$NW_TMP/$1.conf" --set "natwarden.plugin_dir=$(nw_plugin_dirs)" \
		--set "natwarden.state_dir=$NW_TMP/state" >"$NW_TMP/$1.out" 2>&1
	rc=$?
	if [ "$2" = ok ]; then
		[ $rc -eq 0 ] || nw_fail "$1: rejected: $(cat "$NW_TMP/$1.out")"
	else
		[ $rc -ne 0 ] || nw_fail "$1: accepted a bad config"
		grep -q -- "$3" "$NW_TMP/$1.out" || nw_fail "$1: message lacks '$3': $(cat "$NW_TMP/$1.out")"
	fi
}
nw_expect_eq() { [ "$1" = "$2" ] || nw_fail "$3: expected $2, got $1"; }
