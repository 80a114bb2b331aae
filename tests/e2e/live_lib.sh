# tests/e2e/live_lib.sh: the 3-namespace NAT lab for the live_*.sh tests (source it, as root).
#   inet  198.51.100.10  (internet client)        eth0
#   gw    198.51.100.1 pub0 / 172.31.0.1 priv0   (the NAT instance running natwarden)
#   priv  172.31.19.240  (web server on :8000)    eth0
# Background processes are started with `ip netns exec` directly (it execs, so $! is the
# process itself, not a subshell). Namespaces get a random suffix; nothing is created in the root namespace (veths are made
# inside gw with their peers moved straight into inet/priv). Every process started here is
# recorded and stopped by PID in the EXIT trap.
: "${NW_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
source "$NW_SRC/tests/lib.sh"

LIVE_SFX=$(printf '%04x%04x' $RANDOM $RANDOM)
NS_INET="nwi-$LIVE_SFX"
NS_GW="nwg-$LIVE_SFX"
NS_PRIV="nwp-$LIVE_SFX"
LIVE_PIDS=()
LIVE_DIR=$(mktemp -d /tmp/nwlive.XXXXXX)
LIVE_SOCK="$LIVE_DIR/ctl.sock"
NW_PID=

live_cleanup() {
	local p
	for p in "${LIVE_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		kill -CONT "$p" 2>/dev/null # one a test stopped must still see the TERM
	done
	for p in "${LIVE_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS_INET" 2>/dev/null
	ip netns del "$NS_GW" 2>/dev/null
	ip netns del "$NS_PRIV" 2>/dev/null
	[ -n "$LIVE_KEEP" ] || rm -rf "$LIVE_DIR"
}
trap live_cleanup EXIT
trap 'exit 130' INT TERM

live_skip() { echo "SKIP: $*" >&2; exit 77; }

# Probe what the test needs; skip only when the machine truly lacks it.
live_require() {
	[ "$(id -u)" = 0 ] || live_skip "needs root (network namespaces)"
	[ -x "$NATWARDEN" ] && [ -x "$NATWARDENCTL" ] || nw_fail "build natwarden and natwardenctl first"
	ip netns add "nwprobe-$LIVE_SFX" 2>/dev/null || live_skip "no network namespaces"
	if ! ip netns exec "nwprobe-$LIVE_SFX" iptables -A FORWARD -j NFQUEUE --queue-num 0 \
		--queue-bypass 2>/dev/null; then
		ip netns del "nwprobe-$LIVE_SFX"
		live_skip "kernel/iptables without NFQUEUE"
	fi
	ip netns del "nwprobe-$LIVE_SFX"
	command -v curl >/dev/null || live_skip "curl missing"
	command -v python3 >/dev/null || live_skip "python3 missing"
}

in_inet() { ip netns exec "$NS_INET" "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }
in_priv() { ip netns exec "$NS_PRIV" "$@"; }

# Build the topology and start the web server in priv (and a small one in inet for MASQUERADE).
live_topology() {
	ip netns add "$NS_INET" && ip netns add "$NS_GW" && ip netns add "$NS_PRIV" ||
		nw_fail "cannot create namespaces"
	ip -n "$NS_GW" link add pub0 type veth peer name eth0 netns "$NS_INET" || nw_fail "veth"
	ip -n "$NS_GW" link add priv0 type veth peer name eth0 netns "$NS_PRIV" || nw_fail "veth"
	ip -n "$NS_INET" addr add 198.51.100.10/24 dev eth0
	ip -n "$NS_GW" addr add 198.51.100.1/24 dev pub0
	ip -n "$NS_GW" addr add 172.31.0.1/16 dev priv0
	ip -n "$NS_PRIV" addr add 172.31.19.240/16 dev eth0
	for ns in "$NS_INET" "$NS_GW" "$NS_PRIV"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_INET" link set eth0 up
	ip -n "$NS_GW" link set pub0 up
	ip -n "$NS_GW" link set priv0 up
	ip -n "$NS_PRIV" link set eth0 up
	ip -n "$NS_PRIV" route add default via 172.31.0.1
	# the internet host has no route to the private network: only DNAT and MASQUERADE connect
	mkdir -p "$LIVE_DIR/www" "$LIVE_DIR/inetwww"
	echo "hello from priv" >"$LIVE_DIR/www/index.html"
	head -c 2000000 /dev/zero >"$LIVE_DIR/www/big.bin"
	echo "hello from inet" >"$LIVE_DIR/inetwww/index.html"
	ip netns exec "$NS_PRIV" python3 -m http.server 8000 --bind 172.31.19.240 --directory "$LIVE_DIR/www" \
		>"$LIVE_DIR/priv-http.log" 2>&1 &
	LIVE_PIDS+=($!)
	ip netns exec "$NS_INET" python3 -m http.server 8080 --bind 198.51.100.10 --directory "$LIVE_DIR/inetwww" \
		>"$LIVE_DIR/inet-http.log" 2>&1 &
	LIVE_PIDS+=($!)
	live_wait_port "$NS_PRIV" 172.31.19.240 8000
	live_wait_port "$NS_INET" 198.51.100.10 8080
}

# live_wait_port NS ADDR PORT: until something listens (bounded: 10 s).
live_wait_port() {
	local i
	for i in $(seq 100); do
		ip netns exec "$1" python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2)' "$2" "$3" 2>/dev/null && return 0
		sleep 0.1
	done
	nw_fail "nothing listens on $2:$3 in $1"
}

# live_conf [EXTRA LINES...]: write $LIVE_DIR/nw.conf for the lab, example plugin in the chain.
live_conf() {
	{
		echo "[natwarden]"
		echo "plugins = example"
		echo "plugin_dir = $(nw_plugin_dirs)"
		echo "state_dir = $LIVE_DIR/state"
		echo "control_socket = $LIVE_SOCK"
		echo "queues = ${LIVE_QUEUES:-0-1}"
		echo "fail_open = ${LIVE_FAIL_OPEN:-yes}"
		[ -n "$LIVE_QMAXLEN" ] && echo "queue_maxlen = $LIVE_QMAXLEN"
		echo
		echo "[gateway]"
		echo "public_interface = pub0"
		echo "public_address = 198.51.100.1"
		echo "private_interfaces = priv0"
		echo "private_networks = 172.31.0.0/16"
		echo
		echo "[forward web]"
		echo "listen = 80/tcp"
		echo "to = 172.31.19.240:8000"
		echo
		echo "[example]"
		local l
		for l in "$@"; do
			echo "$l"
		done
	} >"$LIVE_DIR/nw.conf"
	mkdir -p "$LIVE_DIR/state" "$LIVE_DIR/log"
}

live_apply() {
	in_gw "$NATWARDENCTL" -c "$LIVE_DIR/nw.conf" firewall apply >"$LIVE_DIR/apply.out" 2>&1 ||
		{ cat "$LIVE_DIR/apply.out" >&2; nw_fail "firewall apply"; }
}

# Start natwarden in gw and wait for its control socket.
live_start() {
	local i
	local q=${LIVE_QUEUES:-0-1}
	ip netns exec "$NS_GW" "$NATWARDEN" -c "$LIVE_DIR/nw.conf" -q "${q/-/:}" -l "$LIVE_DIR/log" >>"$LIVE_DIR/natwarden.log" 2>&1 &
	NW_PID=$!
	LIVE_PIDS+=($NW_PID)
	for i in $(seq 100); do
		"$NATWARDENCTL" -s "$LIVE_SOCK" status >/dev/null 2>&1 && return 0
		kill -0 "$NW_PID" 2>/dev/null || { cat "$LIVE_DIR/natwarden.log" >&2; nw_fail "natwarden exited"; }
		sleep 0.1
	done
	cat "$LIVE_DIR/natwarden.log" >&2
	nw_fail "natwarden did not open its control socket"
}

# Stop natwarden (SIGTERM, or the given signal) and wait for it.
live_stop() {
	[ -n "$NW_PID" ] || return 0
	kill "-${1:-TERM}" "$NW_PID" 2>/dev/null
	wait "$NW_PID" 2>/dev/null
	NW_PID=
}

# live_stat PYEXPR: a value from `natwardenctl stats --json` (python expression on d).
live_stat() {
	"$NATWARDENCTL" -s "$LIVE_SOCK" stats --json >"$LIVE_DIR/stats.json" ||
		nw_fail "natwardenctl stats"
	nw_json "$LIVE_DIR/stats.json" "$1"
}

# HTTP GET from inet through the port forward; prints the body. Bounded by --max-time.
live_get() {
	in_inet curl -s --max-time "${2:-5}" "http://198.51.100.1${1:-/}"
}
