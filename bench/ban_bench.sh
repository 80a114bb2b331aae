#!/bin/bash
# bench/ban_bench.sh: ban plugin figures (issue 6): propagation gw1 -> gw2 through a real
# redis-server (p50/p99 over N bans, from the two gateways' EVE ban events), warm start with
# 100k and 1M bans in Redis (start to "resynced", RSS and table bytes per ban), and the hot
# set's lookup cost with 1M bans (bench/ban_bench). Needs root (network namespaces). Not run by
# tests. Usage: NW_SRC=... NW_BUILD=... bench/ban_bench.sh [N_PROPAGATION]
: "${NW_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
source "$NW_SRC/tests/lib.sh"
NPROP=${1:-200}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
command -v redis-server >/dev/null || { echo "redis-server missing" >&2; exit 77; }

SFX=$(printf '%04x%04x' $RANDOM $RANDOM)
NS1="nwbb1-$SFX"
NS2="nwbb2-$SFX"
DIR=$(mktemp -d /tmp/nwbanbench.XXXXXX)
PIDS=()
REDIS_PID=
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
	ip netns del "$NS1" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS1" && ip netns add "$NS2" || exit 1
RSOCK="$DIR/redis.sock"
redis-server --port 0 --unixsocket "$RSOCK" --unixsocketperm 700 --save '' --appendonly no \
	--dir "$DIR" --pidfile "$DIR/redis.pid" --daemonize yes >/dev/null || nw_fail "redis-server"
for i in $(seq 50); do [ -s "$DIR/redis.pid" ] && redis-cli -s "$RSOCK" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS_PID=$(cat "$DIR/redis.pid")
rc() { redis-cli -s "$RSOCK" "$@"; }

# gw_start NAME NS PREFIX: start a gateway; sets GW_PID
gw_start() {
	mkdir -p "$DIR/$1/state" "$DIR/$1/log"
	rm -f "$DIR/$1/state/ban.state"
	cat >"$DIR/$1/nw.conf" <<CONF
[natwarden]
plugins = ban
plugin_dir = $(nw_plugin_dirs)
state_dir = $DIR/$1/state
control_socket = $DIR/$1/ctl.sock
queues = 0

[ban]
store = redis
redis = unix:$RSOCK
redis_prefix = $3
gateway_id = $1
CONF
	: >"$DIR/$1/natwarden.log"
	GW_T0=$(date +%s%N)
	ip netns exec "$2" "$NATWARDEN" -c "$DIR/$1/nw.conf" -q 0 -l "$DIR/$1/log" \
		>>"$DIR/$1/natwarden.log" 2>&1 &
	GW_PID=$!
	PIDS+=($!)
}
# wait_synced NAME: ms from GW_T0 until the gateway logged its Redis resync (bounded 120 s)
wait_synced() {
	local i
	for i in $(seq 24000); do
		if grep -q "resynced" "$DIR/$1/natwarden.log"; then
			echo $(( ($(date +%s%N) - GW_T0) / 1000000 ))
			return 0
		fi
		sleep 0.005
	done
	echo -1
}
gw_stop() { kill "$1"; wait "$1" 2>/dev/null; }
ctl() { local n=$1; shift; "$NATWARDENCTL" -s "$DIR/$n/ctl.sock" "$@"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
gauge() { ctl "$1" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["plugins"]["ban"]["counters"][sys.argv[1]])' "$2"; }

echo "== ban propagation gw1 -> gw2 ($NPROP bans, redis on a unix socket) =="
gw_start gw1 "$NS1" prop; P1=$GW_PID; wait_synced gw1 >/dev/null
gw_start gw2 "$NS2" prop; P2=$GW_PID; wait_synced gw2 >/dev/null
for i in $(seq "$NPROP"); do
	ctl gw1 ban "198.51.$((100 + i / 250)).$((i % 250 + 1))" --time 1h >/dev/null || nw_fail "ban $i"
	sleep 0.02
done
for i in $(seq 500); do
	[ "$(gauge gw2 active_bans)" -ge "$NPROP" ] && break
	sleep 0.02
done
python3 - "$DIR/gw1/log/eve.json" "$DIR/gw2/log/eve.json" "$NPROP" <<'PY'
import datetime, json, sys
def stamps(path):
    out = {}
    for line in open(path):
        e = json.loads(line)
        b = e.get("ban") or {}
        if e.get("event_type") == "ban" and b.get("action") == "ban" and b.get("origin") == "gw1":
            out.setdefault(b["ip"], datetime.datetime.strptime(e["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z"))
    return out
a, b = stamps(sys.argv[1]), stamps(sys.argv[2])
d = sorted((b[k] - a[k]).total_seconds() * 1000 for k in a if k in b)
n = len(d)
if n == 0:
    sys.exit("no matching ban events")
p = lambda q: d[min(n - 1, int(q * n))]
print("propagation over %d bans (of %s): p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
      "p99 vs target 50 ms: %.2fx" % (n, sys.argv[3], p(0.5), p(0.99), d[-1], p(0.99) / 50))
PY
gw_stop "$P1"; gw_stop "$P2"

# populate PREFIX N: N IPv4 /32 bans (1h) straight into Redis
populate() {
	python3 - "$1" "$2" <<'PY' | redis-cli -s "$RSOCK" --pipe >/dev/null
import sys, time
pre, n = sys.argv[1], int(sys.argv[2])
exp, now = int(time.time()) + 3600, int(time.time())
out = sys.stdout.buffer
def cmd(*a):
    out.write(b"*%d\r\n" % len(a))
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
for s in range(0, n, 1000):
    z, h = [], []
    for i in range(s, min(n, s + 1000)):
        v = 0x0a000000 + i
        m = "%d.%d.%d.%d/32" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)
        z += [exp, m]
        h += [m, "bench gwx drop 1 %d warm" % now]
    cmd("ZADD", pre + ":bans", *z)
    cmd("HSET", pre + ":meta", *h)
PY
}

echo "== warm start (gw2 from Redis) =="
gw_start gw2 "$NS2" empty; P=$GW_PID
base_ms=$(wait_synced gw2); sleep 0.3
base_rss=$(rss_kb "$P")
gw_stop "$P"
echo "baseline (0 bans): synced in $base_ms ms, RSS $base_rss kB"
for n in 100000 1000000; do
	populate "warm$n" "$n"
	gw_start gw2 "$NS2" "warm$n"; P=$GW_PID
	ms=$(wait_synced gw2)
	if [ "$ms" -lt 0 ]; then
		echo "$n bans: NOT synced within 120 s ($(grep -c 'timed out connecting/resyncing' "$DIR/gw2/natwarden.log") resync timeouts)"
		gw_stop "$P"
		rc del "warm$n:bans" "warm$n:meta" >/dev/null
		continue
	fi
	retries=$(grep -c 'timed out connecting/resyncing' "$DIR/gw2/natwarden.log")
	sleep 0.5
	rss=$(rss_kb "$P")
	act=$(gauge gw2 active_bans)
	tb=$(gauge gw2 table_bytes)
	gw_stop "$P"
	target=""
	[ "$n" = 100000 ] && target="; vs target 1000 ms: $(python3 -c "print('%.2fx' % ($ms / 1000))")"
	echo "$n bans: synced in $ms ms ($(python3 -c "print('%.1fx' % ($ms / max($base_ms, 1)))") the empty start$target);" \
		"active $act; table $((tb / (act > 0 ? act : 1))) bytes/ban;" \
		"RSS +$(( (rss - base_rss) * 1024 / n )) bytes/ban over the empty start; $retries resync timeouts first"
	rc del "warm$n:bans" "warm$n:meta" >/dev/null
done

echo "== hot-set lookup with 1M bans (bench/ban_bench) =="
[ -x "$NW_BUILD/bench/ban_bench" ] || nw_fail "make bench/ban_bench first"
"$NW_BUILD/bench/ban_bench" 1000000 10000000
