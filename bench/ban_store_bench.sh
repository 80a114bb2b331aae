#!/bin/bash
# bench/ban_store_bench.sh: the local ban store (issue 15): cost of one ban and load time of 100k
# and 1M bans, SQLite against the old text store's write pattern and reader (bench/ban_store_bench,
# same run), then the real plugin's warm start from an SQLite store of 100k and 1M bans (natwarden
# in a network namespace; the plugin logs "restored N bans ... in M ms"). Needs root (namespace).
# Not run by tests. Usage: NW_SRC=... NW_BUILD=... bench/ban_store_bench.sh (arguments ignored;
# sizes from NW_STORE_SIZES, default "100000 1000000").
: "${NW_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
source "$NW_SRC/tests/lib.sh"
SIZES=${NW_STORE_SIZES:-100000 1000000}
DRIVER="$NW_BUILD/bench/ban_store_bench"
[ -x "$DRIVER" ] || nw_fail "make bench/ban_store_bench first"

DIR=$(mktemp -d /tmp/nwstorebench.XXXXXX)
NS="nwsb-$(printf '%04x%04x' $RANDOM $RANDOM)"
GW_PID=
cleanup() {
	[ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== store operations (bench/ban_store_bench; the text store's figures are the baseline) =="
# shellcheck disable=SC2086
"$DRIVER" "$DIR" $SIZES || echo "(a store run failed)"

echo "== warm start of the ban plugin from an SQLite store =="
[ "$(id -u)" = 0 ] || { echo "n/a (needs root: network namespace)"; exit 0; }
ip netns add "$NS" || { echo "n/a (no network namespaces)"; exit 0; }
ip -n "$NS" link set lo up
# start_ms N: start natwarden on a store of N bans; prints "RESTORED MS CPU_MS" from its log
start_ms() {
	local i out
	rm -rf "$DIR/state" "$DIR/ctl.sock"
	mkdir -p "$DIR/state" "$DIR/log"
	if [ "$1" -gt 0 ]; then
		[ -f "$DIR/fill-$1.db" ] || "$DRIVER" fill "$DIR/fill-$1.db" "$1" || return 1
		cp "$DIR/fill-$1.db" "$DIR/state/ban.state"
	fi
	cat >"$DIR/nw.conf" <<CONF
[natwarden]
plugins = ban
plugin_dir = $NW_BUILD/plugins/ban/.libs
state_dir = $DIR/state
control_socket = $DIR/ctl.sock
queues = 0
metrics =
CONF
	: >"$DIR/natwarden.log"
	ip netns exec "$NS" "$NATWARDEN" -c "$DIR/nw.conf" -q 0 -l "$DIR/log" >"$DIR/natwarden.log" 2>&1 &
	GW_PID=$!
	for i in $(seq 600); do
		"$NATWARDENCTL" -s "$DIR/ctl.sock" status >/dev/null 2>&1 && break
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.1
	done
	out=$(sed -n 's/.*restored \([0-9]*\) bans from .* in \([0-9]*\) ms (\([0-9]*\) ms of CPU).*/\1 \2 \3/p' \
		"$DIR/natwarden.log" | tail -1)
	kill "$GW_PID" 2>/dev/null
	wait "$GW_PID" 2>/dev/null
	GW_PID=
	[ -n "$out" ] || { tail -3 "$DIR/natwarden.log" >&2; return 1; }
	echo "$out"
}
base=$(start_ms 0) || { echo "n/a (natwarden did not start)"; exit 0; }
read -r _ ms cpu <<<"$base"
echo "empty store: loaded in $ms ms ($cpu ms of CPU)"
for n in $SIZES; do
	best= bcpu=
	for k in 1 2 3; do
		r=$(start_ms "$n") || { echo "$n bans: n/a (start failed)"; continue 2; }
		read -r got ms cpu <<<"$r"
		[ "$got" = "$n" ] || { echo "$n bans: only $got restored"; continue 2; }
		{ [ -z "$best" ] || [ "$ms" -lt "$best" ]; } && best=$ms
		{ [ -z "$bcpu" ] || [ "$cpu" -lt "$bcpu" ]; } && bcpu=$cpu
	done
	echo "$n bans: restored in $best ms, $bcpu ms of CPU (best of 3; CPU vs target 1000 ms:" \
		"$(python3 -c "print('%.2fx' % ($bcpu / 1000))"); load average $(cut -d' ' -f1 /proc/loadavg))"
done
