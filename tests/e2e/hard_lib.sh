# tests/e2e/hard_lib.sh: helpers for the hard_*.sh fault and hostile-input tests (source it after
# live_lib.sh). Everything runs inside live_lib.sh's namespaces; every background process goes into
# LIVE_PIDS so that live_cleanup stops it by PID.

# hard_conf PLUGINS [SECTION-LINES...]: write $LIVE_DIR/nw.conf like live_conf, with the given
# chain. Extra [natwarden] lines come from $HARD_CORE (newline-separated); with HARD_IPV6=1 the
# gateway also routes 2001:db8:1f::/64 and forwards [2001:db8:1f::240]:8000. The remaining
# arguments are written after the [gateway]/[forward] sections, one line each (section headers
# included), so the caller writes the plugin sections.
hard_conf() {
	local plugins=$1 l
	shift
	mkdir -p "$LIVE_DIR/state" "$LIVE_DIR/log"
	{
		echo "[natwarden]"
		echo "plugins = $plugins"
		echo "plugin_dir = $(nw_plugin_dirs)"
		echo "state_dir = $LIVE_DIR/state"
		echo "control_socket = $LIVE_SOCK"
		echo "queues = ${LIVE_QUEUES:-0-1}"
		echo "fail_open = ${LIVE_FAIL_OPEN:-yes}"
		[ -n "$HARD_CORE" ] && printf '%s\n' "$HARD_CORE"
		echo
		echo "[gateway]"
		echo "public_interface = pub0"
		echo "public_address = 198.51.100.1"
		echo "private_interfaces = priv0"
		if [ -n "$HARD_IPV6" ]; then
			echo "private_networks = 172.31.0.0/16 2001:db8:1f::/64"
			echo "ipv6 = yes"
		else
			echo "private_networks = 172.31.0.0/16"
		fi
		echo
		echo "[forward web]"
		echo "listen = 80/tcp"
		echo "to = 172.31.19.240:8000"
		if [ -n "$HARD_IPV6" ]; then
			echo
			echo "[forward web6]"
			echo "listen = 80/tcp"
			echo "to = [2001:db8:1f::240]:8000"
		fi
		echo
		for l in "$@"; do
			echo "$l"
		done
	} >"$LIVE_DIR/nw.conf"
}

# hard_ipv6: IPv6 addresses (documentation prefix) on the lab's interfaces, default route of the
# private host through the gateway; the internet host reaches the private net only via DNAT.
# Returns 1 when the namespaces have no IPv6.
hard_ipv6() {
	local ns
	for ns in "$NS_INET" "$NS_GW" "$NS_PRIV"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 2>/dev/null || return 1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 2>/dev/null
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 2>/dev/null
	done
	ip -n "$NS_INET" addr add 2001:db8:100::10/64 dev eth0 nodad || return 1
	ip -n "$NS_GW" addr add 2001:db8:100::1/64 dev pub0 nodad || return 1
	ip -n "$NS_GW" addr add 2001:db8:1f::1/64 dev priv0 nodad || return 1
	ip -n "$NS_PRIV" addr add 2001:db8:1f::240/64 dev eth0 nodad || return 1
	ip -n "$NS_PRIV" -6 route add default via 2001:db8:1f::1 || return 1
	# the web server in priv listens on IPv4 only: add one for IPv6
	ip netns exec "$NS_PRIV" python3 -c '
import http.server, socket, sys, functools
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
S(("2001:db8:1f::240", 8000), h).serve_forever()' "$LIVE_DIR/www" >"$LIVE_DIR/priv-http6.log" 2>&1 &
	LIVE_PIDS+=($!)
	return 0
}

# hard_wait TRIES CMD...: run CMD every 0.1 s until it succeeds, at most TRIES times.
hard_wait() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# hard_wait_ge TRIES MIN CMD...: like hard_wait, true once CMD prints a number >= MIN (CMD is run
# again on every try; `hard_wait N test "$(cmd)" -ge M` would read it only once)
hard_wait_ge() {
	local n=$1 min=$2 i v
	shift 2
	for ((i = 0; i < n; i++)); do
		v=$("$@")
		[ "${v:-0}" -ge "$min" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# hard_rss PID: resident set size in kB.
hard_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# hard_alive: natwarden (NW_PID) still runs.
hard_alive() {
	[ -n "$NW_PID" ] && kill -0 "$NW_PID" 2>/dev/null
}

# hard_settled: every packet the kernel queued (per-queue id_sequence) has been judged.
hard_settled() {
	live_stat 'd["packets"] >= sum(q["kernel"]["id_sequence"] for q in d["queues"]) or exit(1)' \
		>/dev/null 2>&1
}

# HARD_PY: a python3 that has scapy (the distribution's, when PATH has another one first), or
# empty. hard_need_scapy skips the test without it.
HARD_PY=
for _p in /usr/bin/python3 "$(command -v python3)"; do
	if [ -x "$_p" ] && "$_p" -c 'import scapy.all' 2>/dev/null; then
		HARD_PY=$_p
		break
	fi
done
hard_need_scapy() { [ -n "$HARD_PY" ] || live_skip "python3-scapy missing"; }

# hard_py NS SECONDS SCRIPT [ARGS...]: run a python3 (scapy) script inside namespace NS, bounded.
hard_py() {
	local ns=$1 t=$2
	shift 2
	timeout "$t" ip netns exec "$ns" "$HARD_PY" "$@"
}

# hard_curl_loop FILE COUNT [CURL-ARGS...]: in the background, COUNT GETs of $HARD_URL (default
# http://198.51.100.1/, the port forward) from inet, one line per request appended to FILE ("ok"
# or "fail"; each failure's curl exit code goes to FILE.why). CURL-ARGS come after the default
# --max-time 2 and may replace it. Sets HARD_LOOP_PID.
hard_curl_loop() {
	local out=$1 count=$2
	shift 2
	ip netns exec "$NS_INET" bash -c '
		out=$1; count=$2; url=$3; shift 3
		for ((i = 0; i < count; i++)); do
			rc=0
			body=$(curl -s --max-time 2 "$@" "$url") || rc=$?
			if [ "$body" = "hello from priv" ]; then
				echo ok >>"$out"
			else
				echo fail >>"$out"
				echo "request $i at $(date +%T.%N): curl exit $rc" >>"$out.why"
			fi
			sleep 0.05
		done' hard-curl-loop "$out" "$count" "${HARD_URL:-http://198.51.100.1/}" "$@" &
	HARD_LOOP_PID=$!
	LIVE_PIDS+=($HARD_LOOP_PID)
}

# hard_lines FILE WORD: number of lines of FILE equal to WORD (0 when FILE is missing).
hard_lines() {
	[ -f "$1" ] || { echo 0; return; }
	grep -cx "$2" "$1"
}

# Extra namespaces (HARD_NS) and a redis-server (HARD_REDIS_PID) are cleaned up on exit too.
HARD_NS=()
HARD_REDIS_PID=
hard_cleanup() {
	local ns
	if [ -n "$HARD_REDIS_PID" ]; then
		kill "$HARD_REDIS_PID" 2>/dev/null
		wait "$HARD_REDIS_PID" 2>/dev/null
	fi
	live_cleanup
	for ns in "${HARD_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
}
trap hard_cleanup EXIT

# hard_redis_start SOCKET DIR: a redis-server on a unix socket only (no TCP), append-only file in
# DIR so that a restart keeps the data, run in the gateway namespace; waits until it answers.
hard_redis_start() {
	ip netns exec "$NS_GW" redis-server --port 0 --unixsocket "$1" --unixsocketperm 700 --save '' \
		--appendonly yes --dir "$2" >>"$2/redis.log" 2>&1 &
	HARD_REDIS_PID=$!
	hard_wait 100 redis-cli -s "$1" ping >/dev/null 2>&1 || nw_fail "redis-server did not start"
}
hard_redis_stop() {
	[ -n "$HARD_REDIS_PID" ] || return 0
	kill "$HARD_REDIS_PID"
	wait "$HARD_REDIS_PID" 2>/dev/null
	HARD_REDIS_PID=
}
