#!/bin/bash
# bench/ban_bench.sh: ban plugin figures (issues 6, 15): propagation gw1 -> gw2 through a real
# redis-server (p50/p99 over N bans, from the two gateways' EVE ban events) against the floor of
# a bare Redis stream hop and, with NW_BASE_BUILD, an older build in the same run; warm start
# with 100k and 1M bans in Redis (start to "resynced", RSS and table bytes per ban), and the hot
# set's lookup cost with 1M bans (bench/ban_bench). Needs root (network namespaces). Not run by
# tests. Usage: NW_SRC=... NW_BUILD=... [NW_BASE_BUILD=...] [ROUNDS=4] bench/ban_bench.sh
# [N_PROPAGATION] [--no-warm]
: "${NW_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
source "$NW_SRC/tests/lib.sh"
NPROP=${1:-200}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
command -v redis-server >/dev/null || { echo "redis-server missing" >&2; exit 77; }

SFX=$(printf '%04x%04x' $RANDOM $RANDOM)
NS1="nwbb1-$SFX"
NS2="nwbb2-$SFX"
DIR=$(mktemp -d "${BENCH_TMP:-/tmp}/nwbanbench.XXXXXX") # BENCH_TMP=/dev/shm: state writes without disk
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

# gw_start NAME NS PREFIX [BUILD [QUEUE]]: start a gateway (of BUILD, default NW_BUILD, on
# QUEUE, default 0); sets GW_PID
gw_start() {
	local b=${4:-$NW_BUILD} q=${5:-0}
	mkdir -p "$DIR/$1/state" "$DIR/$1/log"
	rm -f "$DIR/$1/state/ban.state"
	cat >"$DIR/$1/nw.conf" <<CONF
[natwarden]
plugins = ban
plugin_dir = $(NW_BUILD=$b nw_plugin_dirs)
state_dir = $DIR/$1/state
control_socket = $DIR/$1/ctl.sock
queues = $q
metrics =

[ban]
store = redis
redis = unix:$RSOCK
redis_prefix = $3
gateway_id = $1
CONF
	: >"$DIR/$1/natwarden.log"
	GW_T0=$(date +%s%N)
	ip netns exec "$2" "$b/natwarden" -c "$DIR/$1/nw.conf" -q "$q" -l "$DIR/$1/log" \
		>>"$DIR/$1/natwarden.log" 2>&1 &
	GW_PID=$!
	PIDS+=($!)
}
# wait_synced NAME: ms from GW_T0 until the gateway logged its Redis resync (bounded 120 s of
# wall time; -1 if it did not, or exited)
wait_synced() {
	local now
	while :; do
		now=$(date +%s%N)
		if grep -q "resynced" "$DIR/$1/natwarden.log"; then
			echo $(( (now - GW_T0) / 1000000 ))
			return 0
		fi
		kill -0 "$GW_PID" 2>/dev/null && [ $((now - GW_T0)) -lt 120000000000 ] || break
		sleep 0.005
	done
	echo "$1 did not resync: $(tail -1 "$DIR/$1/natwarden.log")" >&2
	echo -1
}
gw_stop() { kill "$1"; wait "$1" 2>/dev/null; }
ctl() { local n=$1; shift; "$NATWARDENCTL" -s "$DIR/$n/ctl.sock" "$@"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
gauge() { ctl "$1" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["plugins"]["ban"]["counters"][sys.argv[1]])' "$2"; }

# propagation FROM TO PREFIX: "p50 p99 max n" (ms) of FROM's EVE ban events (origin FROM) to
# TO's, then the two legs through the stream entry's id (Redis's clock, whole ms): "p50 p99 max"
# of FROM -> the XADD and of the XADD -> TO
propagation() {
	rc --raw xrange "$3:events" - + >"$DIR/$3.stream"
	python3 - "$DIR/$1/log/eve.json" "$DIR/$2/log/eve.json" "$1" "$DIR/$3.stream" <<'PY'
import datetime, json, sys
def stamps(path):
    out = {}
    for line in open(path):
        e = json.loads(line)
        b = e.get("ban") or {}
        if e.get("event_type") == "ban" and b.get("action") == "ban" and b.get("origin") == sys.argv[3]:
            out.setdefault(b["ip"], datetime.datetime.strptime(e["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z"))
    return out
a, b = stamps(sys.argv[1]), stamps(sys.argv[2])
d = sorted((b[k] - a[k]).total_seconds() * 1000 for k in a if k in b)
if not d:
    sys.exit("no matching ban events")
pct = lambda d: "%.2f %.2f %.2f" % (d[min(len(d) - 1, int(0.5 * len(d)))],
                                    d[min(len(d) - 1, int(0.99 * len(d)))], d[-1])
# the stream: an id line "MS-SEQ", then field and value lines; the "ip" value is ADDR/PREFIX
lines, xadd, ms = open(sys.argv[4]).read().split("\n"), {}, None
for i, l in enumerate(lines):
    head = l.split("-")[0]
    if l.count("-") == 1 and head.isdigit() and len(head) >= 13:
        ms = int(head)
    elif l == "ip" and ms is not None and i + 1 < len(lines):
        xadd.setdefault(lines[i + 1].split("/")[0], ms)
ts = lambda t: t.timestamp() * 1000
up = sorted(xadd[k] - ts(a[k]) for k in a if k in xadd)
down = sorted(ts(b[k]) - xadd[k] for k in b if k in xadd)
print("%s %d %s %s" % (pct(d), len(d), pct(up) if up else "- - -", pct(down) if down else "- - -"))
PY
}
# bans_round FROM TO N OFFSET: N bans on FROM, 20 ms apart; wait (bounded) until TO has them
bans_round() {
	local i want
	for i in $(seq "$4" $(($4 + $3 - 1))); do
		ctl "$1" ban "198.51.$((100 + i / 250)).$((i % 250 + 1))" --time 1h >/dev/null || nw_fail "ban $i on $1"
		sleep 0.02
	done
	want=$(($4 + $3))
	for i in $(seq 500); do
		[ "$(gauge "$2" active_bans)" -ge "$want" ] && break
		sleep 0.02
	done
}

# Propagation, in rounds that interleave the cases so the machine's load hits them alike: the
# floor (bench/redis_hop: the same hop between two bare hiredis clients), this build and, with
# NW_BASE_BUILD=DIR (a build of the version to compare with, e.g. main), that one.
ROUNDS=${ROUNDS:-4}
PER=$(( (NPROP + ROUNDS - 1) / ROUNDS ))
[ -x "$NW_BUILD/bench/redis_hop" ] || nw_fail "make bench/redis_hop first"
echo "== ban propagation gw1 -> gw2 ($((PER * ROUNDS)) bans in $ROUNDS rounds, redis on a unix socket) =="
gw_start gw1 "$NS1" prop; P1=$GW_PID; wait_synced gw1 >/dev/null
gw_start gw2 "$NS2" prop; P2=$GW_PID; wait_synced gw2 >/dev/null
if [ -n "$NW_BASE_BUILD" ]; then
	gw_start bgw1 "$NS1" bprop "$NW_BASE_BUILD" 1; B1=$GW_PID; wait_synced bgw1 >/dev/null
	gw_start bgw2 "$NS2" bprop "$NW_BASE_BUILD" 1; B2=$GW_PID; wait_synced bgw2 >/dev/null
fi
: >"$DIR/floor.txt"
for r in $(seq 0 $((ROUNDS - 1))); do
	"$NW_BUILD/bench/redis_hop" "$RSOCK" hop "$PER" 20 >>"$DIR/floor.txt" || nw_fail "redis_hop"
	bans_round gw1 gw2 "$PER" $((r * PER))
	[ -n "$NW_BASE_BUILD" ] && bans_round bgw1 bgw2 "$PER" $((r * PER))
done
read -r f50 f99 fmax <<<"$(python3 -c '
import sys
d = sorted(float(x) for x in open(sys.argv[1]))
p = lambda q: d[min(len(d) - 1, int(q * len(d)))]
print("%.2f %.2f %.2f" % (p(0.5), p(0.99), d[-1]))' "$DIR/floor.txt")"
read -r n50 n99 nmax nn u50 u99 umax d50 d99 dmax <<<"$(propagation gw1 gw2 prop)" ||
	nw_fail "no propagation figures"
echo "floor, a bare Redis stream hop (bench/redis_hop, XADD -> XREAD BLOCK): p50 $f50 ms, p99 $f99 ms, max $fmax ms"
echo "natwarden: propagation over $nn bans: p50 $n50 ms, p99 $n99 ms, max $nmax ms;" \
	"p99 vs target 5 ms: $(python3 -c "print('%.2fx' % ($n99 / 5))"); p99 vs the floor's: $(python3 -c "print('%.1fx' % ($n99 / max($f99, 0.01)))")"
echo "  legs (stream id, whole ms): gw1 -> XADD p50 $u50 p99 $u99 max $umax; XADD -> gw2 p50 $d50 p99 $d99 max $dmax"
if [ -n "$NW_BASE_BUILD" ]; then
	read -r b50 b99 bmax bn _ <<<"$(propagation bgw1 bgw2 bprop)" || nw_fail "no base propagation figures"
	echo "base ($NW_BASE_BUILD): propagation over $bn bans: p50 $b50 ms, p99 $b99 ms, max $bmax ms;" \
		"this build / base: p50 $(python3 -c "print('%.2fx' % ($n50 / max($b50, 0.01)))"), p99 $(python3 -c "print('%.2fx' % ($n99 / max($b99, 0.01)))")"
	gw_stop "$B1"; gw_stop "$B2"
fi
gw_stop "$P1"; gw_stop "$P2"
[ "$2" = --no-warm ] && exit 0

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
