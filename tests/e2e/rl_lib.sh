# tests/e2e/rl_lib.sh: helpers for the live ratelimit tests rl_*.sh (source it after live_lib.sh
# and hard_lib.sh): a paced raw-socket SYN sender, a polite HTTP client on its own address, and
# waiting for EVE lines. Every background process goes into LIVE_PIDS (stopped by PID on exit).

RL_POLITE=198.51.100.11

# rl_conf [SECTION-LINES...]: the lab config with the ratelimit plugin alone in the chain.
rl_conf() {
	hard_conf "ratelimit" "[ratelimit]" "hash-seed = 5737" "" "$@"
}

# rl_polite_addr: a second client address on the internet host (same veth, same /24).
rl_polite_addr() {
	ip -n "$NS_INET" addr add "$RL_POLITE/24" dev eth0 || nw_fail "polite address"
}

# rl_write_sender: $LIVE_DIR/rlsend.py, SYNs to the port forward (198.51.100.1:80) from the
# given sources in turn (random source ports), paced on an absolute schedule and bounded by count
# and time. Prints the number sent.
rl_write_sender() {
	cat >"$LIVE_DIR/rlsend.py" <<'PY'
# rlsend.py SRCS COUNT PPS SECONDS SEED: SYNs to 198.51.100.1:80 from SRCS (comma-separated).
import random, socket, struct, sys, time
srcs = [socket.inet_aton(a) for a in sys.argv[1].split(",")]
count, pps, seconds = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rnd = random.Random(int(sys.argv[5]))
dst = socket.inet_aton("198.51.100.1")

def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
start = time.monotonic()
end = start + seconds
sent = 0
while sent < count:
    now = time.monotonic()
    if now >= end:
        break
    due = start + sent / pps
    if due > now:
        time.sleep(due - now)
    src = srcs[sent % len(srcs)]
    sport = rnd.randrange(1024, 65536)
    tcp = struct.pack("!HHIIBBHHH", sport, 80, rnd.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, sent & 0xffff, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    try:
        s.sendto(ip + tcp, ("198.51.100.1", 0))
        sent += 1
    except (BlockingIOError, OSError):  # a full socket buffer: retry, still bounded by time
        time.sleep(0.001)
print(sent)
PY
}

# rl_send_bg OUT SRCS COUNT PPS SECONDS SEED: the sender in the background (inet namespace),
# its count in OUT; sets RL_SEND_PID.
rl_send_bg() {
	local out=$1
	shift
	timeout 30 ip netns exec "$NS_INET" python3 "$LIVE_DIR/rlsend.py" "$@" >"$out" &
	RL_SEND_PID=$!
	LIVE_PIDS+=($RL_SEND_PID)
}

# rl_polite OUT PID [MIN] [MAX]: GETs of the port forward from the polite address, 0.4 s apart,
# while PID runs and at least MIN (3) times, at most MAX (20); one line per request in OUT: "ok"
# (the page came back), "fail", and "during" for each request started while PID still ran.
rl_polite() {
	local out=$1 pid=$2 min=${3:-3} max=${4:-20} i
	: >"$out"
	for ((i = 0; i < max; i++)); do
		kill -0 "$pid" 2>/dev/null && echo during >>"$out" || [ "$i" -lt "$min" ] || break
		if [ "$(in_inet curl -s --max-time 3 --interface "$RL_POLITE" http://198.51.100.1/)" = \
			"hello from priv" ]; then
			echo ok >>"$out"
		else
			echo fail >>"$out"
		fi
		sleep 0.4
	done
}

# rl_eve_count PYEXPR: EVE lines (so far) for which PYEXPR (on e) is true.
rl_eve_count() {
	[ -f "$LIVE_DIR/log/eve.json" ] || { echo 0; return; }
	nw_eve_count "$LIVE_DIR/log/eve.json" "$1"
}
# rl_eve_wait PYEXPR [TRIES]: until an EVE line matches PYEXPR, every 0.1 s (default 50 tries).
rl_eve_wait() {
	local i
	for ((i = 0; i < ${2:-50}; i++)); do
		[ "$(rl_eve_count "$1")" -ge 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# rl_ctr NAME: a ratelimit counter from the last live_stat snapshot ($LIVE_DIR/stats.json).
rl_ctr() {
	nw_json "$LIVE_DIR/stats.json" "d['plugins']['ratelimit']['counters'].get('$1', 0)"
}

# rl_reason_drops NAME: drops by the ratelimit plugin with verdict reason NAME (last snapshot).
rl_reason_drops() {
	nw_json "$LIVE_DIR/stats.json" \
		"d['plugins']['ratelimit'].get('verdicts', {}).get('drop', {}).get('$1', 0)"
}
