# bench/lib.sh: the 3-namespace NAT lab for bench/run and its measuring helpers (source it, as root).
#   inet  198.51.100.10-17 (8 senders, so queue-balance can spread them)   eth0
#   gw    198.51.100.1 pub0 / 172.31.0.1 priv0   (natwarden's firewall, forwards below)
#   priv  172.31.19.240: UDP sink :9000 (raw DROP, counted), UDP echo :9001, iperf3 :5201
# Forwards on gw: 9000/udp, 9001/udp, 5201/tcp -> priv. Namespaces are named nwb{i,g,p}-SUFFIX;
# nothing is created in the root namespace. Every process started here is recorded and stopped
# by PID (bench_cleanup, on EXIT).

BL_SFX=$(printf '%04x%04x' $RANDOM $RANDOM)
NS_INET="nwbi-$BL_SFX"
NS_GW="nwbg-$BL_SFX"
NS_PRIV="nwbp-$BL_SFX"
BL_DIR=$(mktemp -d /tmp/nwbench.XXXXXX)
BL_PIDS=()
BL_READER=
BL_GWMAC=
BL_SRCS=198.51.100.10,198.51.100.11,198.51.100.12,198.51.100.13,198.51.100.14,198.51.100.15,198.51.100.16,198.51.100.17
NCPU=$(nproc)

bench_cleanup() {
	local p
	for p in "${BL_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BL_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS_INET" 2>/dev/null
	ip netns del "$NS_GW" 2>/dev/null
	ip netns del "$NS_PRIV" 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$BL_DIR"
}

in_inet() { ip netns exec "$NS_INET" "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }
in_priv() { ip netns exec "$NS_PRIV" "$@"; }

# taskset prefix pinning to CPU $1 when the machine has more than one
bl_pin() {
	if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
		echo "taskset -c $1"
	fi
}

# bench_lab_problem: why the live lab cannot run here (empty when it can)
bench_lab_problem() {
	[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; return; }
	[ -x "$NW_BUILD/bench/udpblast" ] || { echo "bench/udpblast not built"; return; }
	ip netns add "nwbprobe-$BL_SFX" 2>/dev/null || { echo "no network namespaces"; return; }
	if ! ip netns exec "nwbprobe-$BL_SFX" iptables -A FORWARD -j NFQUEUE --queue-num 0 \
		--queue-bypass 2>/dev/null; then
		ip netns del "nwbprobe-$BL_SFX"
		echo "kernel/iptables without NFQUEUE"
		return
	fi
	ip netns del "nwbprobe-$BL_SFX"
}

# bench_gw_conf FILE [QUEUES]: the [natwarden]/[gateway]/[forward] part of a lab config
bench_gw_conf() {
	cat >"$1" <<EOF
[natwarden]
queues = ${2:-0}
fail_open = no
queue_maxlen = 4096
batch = 64
eve_drops = no
control_socket = $BL_DIR/ctl.sock
state_dir = $BL_DIR/state
plugin_dir = $(bench_plugin_dirs)

[gateway]
public_interface = pub0
public_address = 198.51.100.1
private_interfaces = priv0
private_networks = 172.31.0.0/16

[forward sink]
listen = 9000/udp
to = 172.31.19.240:9000

[forward echo]
listen = 9001/udp
to = 172.31.19.240:9001

[forward iperf]
listen = 5201/tcp
to = 172.31.19.240:5201
EOF
}

bench_plugin_dirs() {
	local d out=""
	for d in "$NW_BUILD"/plugins/*/.libs; do
		[ -d "$d" ] && out="${out:+$out:}$d"
	done
	echo "$out"
}

bl_wait_tcp() { # NS ADDR PORT (bounded: 10 s)
	local i
	for i in $(seq 100); do
		ip netns exec "$1" python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2)' "$2" "$3" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Build the lab and start the servers in priv. Returns non-zero when something failed.
bench_lab_up() {
	local i ns
	ip netns add "$NS_INET" && ip netns add "$NS_GW" && ip netns add "$NS_PRIV" || return 1
	ip -n "$NS_GW" link add pub0 type veth peer name eth0 netns "$NS_INET" || return 1
	ip -n "$NS_GW" link add priv0 type veth peer name eth0 netns "$NS_PRIV" || return 1
	for i in 10 11 12 13 14 15 16 17; do
		ip -n "$NS_INET" addr add "198.51.100.$i/24" dev eth0
	done
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
	in_gw sysctl -qw net.ipv4.ip_forward=1
	# the sink: counted and dropped before any socket lookup (no ICMP unreachables back)
	in_priv iptables -t raw -A PREROUTING -p udp --dport 9000 -j DROP || return 1
	mkdir -p "$BL_DIR/state" "$BL_DIR/log"
	bench_gw_conf "$BL_DIR/fw.conf" 0-1
	in_gw "$NATWARDENCTL" -c "$BL_DIR/fw.conf" firewall apply >"$BL_DIR/apply.out" 2>&1 ||
		{ cat "$BL_DIR/apply.out" >&2; return 1; }
	ip netns exec "$NS_PRIV" "$NW_BUILD/bench/udpblast" echo -l 172.31.19.240:9001 -t 900 \
		>/dev/null 2>&1 &
	BL_PIDS+=($!)
	if command -v iperf3 >/dev/null; then
		ip netns exec "$NS_PRIV" iperf3 -s -B 172.31.19.240 -p 5201 >"$BL_DIR/iperf3-s.log" 2>&1 &
		BL_PIDS+=($!)
		bl_wait_tcp "$NS_PRIV" 172.31.19.240 5201 || return 1
	fi
	return 0
}

# bench_inspect MODE: what the gateway does with forwarded traffic
#   kernel: no queue (baseline A); q1: NFQUEUE 0; q2: NFQUEUE balance 0:1
bench_inspect() {
	local rule
	case $1 in
	kernel) rule=(-j ACCEPT) ;;
	q1) rule=(-j NFQUEUE --queue-num 0) ;;
	q2) rule=(-j NFQUEUE --queue-balance 0:1) ;;
	esac
	# NW-INSPECT: 1 = connmark bypass, 2 = the queue rule
	in_gw iptables -R NW-INSPECT 2 "${rule[@]}"
	in_gw conntrack -F >/dev/null 2>&1
	true
}

# bench_reader_acceptall QUEUE: start baseline B on QUEUE, pinned to the last CPU
bench_reader_acceptall() {
	local i
	ip netns exec "$NS_GW" $(bl_pin $((NCPU - 1))) "$NW_BUILD/bench/nfq_acceptall" -q "$1" -t 300 \
		>"$BL_DIR/acceptall.log" 2>&1 &
	BL_READER=$!
	BL_PIDS+=($BL_READER)
	for i in $(seq 50); do
		grep -q bound "$BL_DIR/acceptall.log" && return 0
		kill -0 "$BL_READER" 2>/dev/null || break
		sleep 0.1
	done
	cat "$BL_DIR/acceptall.log" >&2
	return 1
}

# bench_reader_natwarden CONF QUEUES(0:0|0:1) PIN(yes|no): start natwarden, wait for its socket
bench_reader_natwarden() {
	local i pin=""
	[ "$3" = yes ] && pin=$(bl_pin $((NCPU - 1)))
	rm -f "$BL_DIR/ctl.sock"
	ip netns exec "$NS_GW" $pin "$NATWARDEN" -c "$1" -q "$2" -l "$BL_DIR/log" \
		>"$BL_DIR/natwarden.log" 2>&1 &
	BL_READER=$!
	BL_PIDS+=($BL_READER)
	for i in $(seq 300); do
		"$NATWARDENCTL" -s "$BL_DIR/ctl.sock" status >/dev/null 2>&1 && return 0
		kill -0 "$BL_READER" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$BL_DIR/natwarden.log" >&2
	return 1
}

bench_natwarden_stats() { # PYEXPR on the stats JSON of the running natwarden
	"$NATWARDENCTL" -s "$BL_DIR/ctl.sock" stats --json >"$BL_DIR/stats.json" 2>/dev/null &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
			"$BL_DIR/stats.json" "$1"
}

# bench_worker_snap: "QUEUE:CPU_NS:PACKETS ..." for each worker of the running natwarden: the CPU
# time of its thread (named nw-qQUEUE) and the packets natwarden counted on that queue
bench_worker_snap() {
	local t c pk out=""
	pk=$(bench_natwarden_stats '" ".join("%d:%d" % (q["queue"], q["packets"]) for q in d["queues"])') ||
		return 1
	for t in /proc/"$BL_READER"/task/*; do
		c=$(cat "$t/comm" 2>/dev/null) || continue
		case $c in nw-q*) out="$out ${c#nw-q}:$(cut -d' ' -f1 "$t/schedstat")" ;; esac
	done
	echo "$pk|$out"
}

# bench_worker_delta SNAP0 SNAP1: one "QUEUE CPU_NS PACKETS" line per worker over the interval
bench_worker_delta() {
	python3 - "$1" "$2" <<'PY'
import sys
def parse(s):
    pk, cpu = s.split("|")
    p = {int(a): int(b) for a, b in (x.split(":") for x in pk.split())}
    c = {int(a): int(b) for a, b in (x.split(":") for x in cpu.split())}
    return p, c
p0, c0 = parse(sys.argv[1])
p1, c1 = parse(sys.argv[2])
for q in sorted(p1):
    if q in c0 and q in c1 and q in p0:
        print(q, c1[q] - c0[q], p1[q] - p0[q])
PY
}

# bench_cpu_ns PID: nanoseconds on CPU so far, all threads of PID (schedstat)
bench_cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}

bench_reader_stop() {
	[ -n "$BL_READER" ] || return 0
	kill -TERM "$BL_READER" 2>/dev/null
	wait "$BL_READER" 2>/dev/null
	BL_READER=
}

bl_sink_count() {
	in_priv iptables -t raw -L PREROUTING -n -v -x | awk '/dpt:9000/ {print $1; exit}'
}

# bench_udp SECONDS [PPS]: one run (at most PPS packets/s when given) of 64-byte frames (written to inet's eth0 through a packet socket)
# from 8 sources; prints "RECV_PPS SENT_PPS RECV_COUNT" (received = counted by the sink in priv)
bench_udp() {
	local before after out sent secs
	before=$(bl_sink_count)
	# new source ports every run: no conntrack entry (and no bypass connmark) carries over
	# (a file, as this runs in a command substitution's subshell)
	BL_SPORT=$(($(cat "$BL_DIR/sport" 2>/dev/null || echo 20000) + 16))
	[ "$BL_SPORT" -lt 60000 ] || BL_SPORT=20016
	echo "$BL_SPORT" >"$BL_DIR/sport"
	[ -n "$BL_GWMAC" ] || BL_GWMAC=$(ip -n "$NS_GW" -br link show pub0 | awk '{print $3}')
	out=$(ip netns exec "$NS_INET" $(bl_pin 0) "$NW_BUILD/bench/udpblast" send -d 198.51.100.1:9000 \
		-b "$BL_SRCS" -n 20000000 -t "$1" -s 22 -I eth0 -m "$BL_GWMAC" -p "$BL_SPORT" ${2:+-r "$2"} 2>/dev/null)
	sleep 0.2
	after=$(bl_sink_count)
	sent=$(echo "$out" | awk '{print $2}')
	secs=$(echo "$out" | awk '{print $4}')
	[ -n "$secs" ] && [ -n "$after" ] || return 1
	python3 -c 'import sys; r,s,t=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[3]); print("%.0f %.0f %d" % (r/t, s/t, r))' \
		"$((after - before))" "$sent" "$secs"
}

# bench_tcp SECONDS: one iperf3 run through the port forward; prints Mbit/s received
bench_tcp() {
	in_inet timeout $(($1 + 10)) iperf3 -c 198.51.100.1 -p 5201 -t "$1" -J >"$BL_DIR/iperf.json" 2>/dev/null ||
		return 1
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' \
		"$BL_DIR/iperf.json"
}

# bench_bulk BYTES: one iperf3 transfer of BYTES (e.g. 1G) through the port forward, bounded by
# 120 s; prints Mbit/s received
bench_bulk() {
	in_inet timeout 120 iperf3 -c 198.51.100.1 -p 5201 -n "$1" -J >"$BL_DIR/bulk.json" 2>/dev/null ||
		return 1
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' \
		"$BL_DIR/bulk.json"
}

# bench_rtt COUNT: UDP echo RTT through the gateway; prints "P50_US P99_US"
bench_rtt() {
	in_inet timeout 30 "$NW_BUILD/bench/udpblast" ping -d 198.51.100.1:9001 -n "$1" -t 20 -i 100 |
		awk '/^replies/ {print $6, $8}'
}
