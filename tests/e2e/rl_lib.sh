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

# rl_send_bg OUT SRCS COUNT PPS SECONDS SEED: the sender in the background (inet namespace),
# its count in OUT; sets RL_SEND_PID.
rl_send_bg() {
	local out=$1
	shift
	timeout 30 ip netns exec "$NS_INET" python3 "$NW_SRC/tests/e2e/synflood.py" "$@" >"$out" &
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
