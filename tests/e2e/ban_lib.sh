# tests/e2e/ban_lib.sh: shared by the ban plugin's end-to-end scripts (source it): the checks, a
# temporary directory, gateways (live natwardens in network namespaces, driven through their
# control sockets) and the cleanup of every process and namespace the script started.
source "$NW_SRC/tests/lib.sh"

ban_skip() { echo "SKIP: $*" >&2; exit 77; }

# ban_init TAG [redis]: check the machine and the build; DIR = a new temporary directory,
# BAN_SFX = a random suffix for namespace names; the cleanup runs at exit, also on failure.
ban_init() {
	[ "$(id -u)" = 0 ] || ban_skip "needs root (network namespaces)"
	if [ "$2" = redis ]; then
		command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
			ban_skip "redis-server missing"
	fi
	[ -x "$NATWARDEN" ] && [ -x "$NATWARDENCTL" ] || nw_fail "build natwarden and natwardenctl first"
	[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] || nw_fail "ban plugin not built"
	BAN_SFX=$(printf '%04x%04x' $RANDOM $RANDOM)
	DIR=$(mktemp -d "/tmp/nw$1.XXXXXX")
	trap ban_cleanup EXIT
	trap 'exit 130' INT TERM
}

PIDS=()        # started in the background: killed and reaped at exit
BAN_NS=()      # namespaces to delete at exit
REDIS_PID=     # a daemonized redis-server (not our child)
declare -A GWPID GWNS

ban_cleanup() {
	local p ns
	for p in "${GWPID[@]}"; do kill -CONT "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
	for ns in "${BAN_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$DIR"
}

# ban_netns NAME: a network namespace with loopback up, deleted at exit
ban_netns() {
	ip netns add "$1" 2>/dev/null || ban_skip "no network namespaces"
	BAN_NS+=("$1")
	ip -n "$1" link set lo up
}

# ban_redis_start SOCKET [ARGS...]: a daemonized redis-server on a unix socket (no TCP), data in
# DIR; ARGS override the defaults
ban_redis_start() {
	local i sock=$1
	shift
	redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' --appendonly yes \
		--dir "$DIR" --pidfile "$DIR/redis.pid" --daemonize yes "$@" >/dev/null ||
		nw_fail "redis-server"
	for i in $(seq 50); do
		[ -s "$DIR/redis.pid" ] && redis-cli -s "$sock" ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	REDIS_PID=$(cat "$DIR/redis.pid")
}
ban_redis_stop() {
	local i
	kill "$REDIS_PID"
	for i in $(seq 50); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
	REDIS_PID=
	rm -f "$DIR/redis.pid"
}

# gw_conf_head N QUEUE: start gateway N's config ($DIR/gwN/nw.conf) with its [natwarden]
# section (the ban plugin, its own state, control socket and queue; no metrics port); the
# caller appends [ban] and the jails
gw_conf_head() {
	mkdir -p "$DIR/gw$1/state" "$DIR/gw$1/log"
	cat >"$DIR/gw$1/nw.conf" <<CONF
[natwarden]
plugins = ban
plugin_dir = $NW_BUILD/plugins/ban/.libs
state_dir = $DIR/gw$1/state
control_socket = $DIR/gw$1/ctl.sock
queues = $2
metrics =

CONF
}

# gw_start N NS QUEUE: gateway N runs $DIR/gwN/nw.conf (control socket $DIR/gwN/ctl.sock) live on
# QUEUE in NS, logging to $DIR/gwN/natwarden.log; returns once its control socket answers.
gw_start() {
	local i
	GWNS[$1]=$2
	ip netns exec "$2" "$NATWARDEN" -c "$DIR/gw$1/nw.conf" -q "$3" -l "$DIR/gw$1/log" \
		>>"$DIR/gw$1/natwarden.log" 2>&1 &
	GWPID[$1]=$!
	PIDS+=($!)
	for i in $(seq 100); do
		ctl "$1" status >/dev/null 2>&1 && return 0
		if ! kill -0 "${GWPID[$1]}" 2>/dev/null; then
			grep -q "live mode is not built" "$DIR/gw$1/natwarden.log" &&
				ban_skip "natwarden built without live mode"
			cat "$DIR/gw$1/natwarden.log" >&2
			nw_fail "gw$1 exited"
		fi
		sleep 0.1
	done
	nw_fail "gw$1 did not open its control socket"
}
gw_stop() {
	kill "${GWPID[$1]}"
	wait "${GWPID[$1]}" 2>/dev/null
}
ctl() { local n=$1; shift; "$NATWARDENCTL" -s "$DIR/gw$n/ctl.sock" "$@"; }
# has_ban N ADDR: gateway N lists ADDR among its bans
has_ban() {
	ctl "$1" bans --json | python3 -c 'import json,sys; sys.exit(0 if any(b["ip"] == sys.argv[1] for b in json.load(sys.stdin)) else 1)' "$2"
}
# wait_ban N ADDR [absent]: until gateway N has (or no longer has) the ban; bounded 10 s
wait_ban() {
	local i
	for i in $(seq 1000); do
		if [ -z "$3" ]; then has_ban "$1" "$2" && return 0; else has_ban "$1" "$2" || return 0; fi
		sleep 0.01
	done
	return 1
}
# counter N NAME: a ban plugin counter of gateway N
counter() {
	ctl "$1" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["plugins"]["ban"]["counters"][sys.argv[1]])' "$2"
}
