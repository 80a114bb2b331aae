# tests/e2e/rl_lib.sh: helpers for the live ratelimit tests rl_*.sh (source it after live_lib.sh
# and hard_lib.sh): a raw-socket SYN sender that sends an exact count, a polite HTTP client on
# its own address, the kernel's own count of SYNs before and after natwarden, and waiting until
# natwarden has judged what was sent. Every background process goes into LIVE_PIDS (stopped by PID
# on exit).
#
# These tests assert on counts (what was sent, what natwarden counted, what the kernel let
# through), never on what a machine managed to do in a second: a loaded machine only takes
# longer. Time enters only as the upper bound GCRA allows (burst + rate x elapsed), which a slow
# run can only widen.

RL_POLITE=198.51.100.11

# rl_conf [SECTION-LINES...]: the lab config with the ratelimit plugin alone in the chain.
rl_conf() {
	hard_conf "ratelimit" "[ratelimit]" "hash-seed = 5737" "" "$@"
}

# rl_polite_addr: a second client address on the internet host (same veth, same /24).
rl_polite_addr() {
	ip -n "$NS_INET" addr add "$RL_POLITE/24" dev eth0 || nw_fail "polite address"
}

# rl_send_bg OUT SRCS COUNT PPS SEED: COUNT SYNs to the port forward from SRCS (comma separated)
# at PPS in the background (inet namespace), bounded by 120 s; the number sent goes to OUT; sets
# RL_SEND_PID.
rl_send_bg() {
	local out=$1
	timeout 150 ip netns exec "$NS_INET" python3 "$NW_SRC/tests/e2e/synflood.py" "$2" "$3" "$4" \
		120 "$5" >"$out" &
	RL_SEND_PID=$!
	LIVE_PIDS+=($RL_SEND_PID)
}

# rl_send_wait OUT COUNT: wait for the sender; it must have sent all COUNT SYNs.
rl_send_wait() {
	wait "$RL_SEND_PID" || nw_fail "the SYN sender failed"
	nw_expect_eq "$(cat "$1")" "$2" "SYNs sent"
}

# rl_send SRCS COUNT PPS SEED: send COUNT SYNs and wait until all are out.
rl_send() {
	rl_send_bg "$LIVE_DIR/sent" "$@"
	rl_send_wait "$LIVE_DIR/sent" "$2"
}

# rl_polite_get OUT: one GET of the port forward from the polite address, "ok" or "fail"
# appended to OUT (a generous time bound: a busy machine is slow, not wrong).
rl_polite_get() {
	if [ "$(in_inet curl -s --max-time 20 --interface "$RL_POLITE" http://198.51.100.1/)" = \
		"hello from priv" ]; then
		echo ok >>"$1"
	else
		echo fail >>"$1"
	fi
}

# rl_syn_count NAME CIDR: count in the gateway the SYNs from CIDR to the port forward as they
# arrive (raw PREROUTING, before natwarden: rl_syns in NAME) and as they leave toward the private
# host (mangle POSTROUTING, after natwarden's verdict: rl_syns out NAME). Add after live_apply.
rl_syn_count() {
	in_gw iptables -t raw -A PREROUTING -s "$2" -p tcp --syn --dport 80 \
		-m comment --comment "rl-in-$1" || nw_fail "iptables counter"
	in_gw iptables -t mangle -A POSTROUTING -s "$2" -p tcp --syn \
		-m comment --comment "rl-out-$1" || nw_fail "iptables counter"
}
# rl_syns in|out NAME: the kernel's count of rl_syn_count NAME
rl_syns() {
	local table=raw chain=PREROUTING
	[ "$1" = out ] && table=mangle chain=POSTROUTING
	in_gw iptables -t "$table" -L "$chain" -n -v -x |
		awk -v c="/* rl-$1-$2 */" 'index($0, c) { print $1; f = 1 } END { if (!f) print "none" }'
}

# rl_seen LIMIT: new connections limit LIMIT counted (accepted + limited), from a fresh snapshot.
rl_seen() {
	live_stat "sum(d['plugins']['ratelimit']['counters'].get('$1.' + k, 0) for k in ('accepted', 'limited'))"
}
# rl_syns_in NAME...: the SYNs that reached the gateway, summed over rl_syn_count NAMEs
rl_syns_in() {
	local n sum=0
	for n in "$@"; do
		sum=$((sum + $(rl_syns in "$n")))
	done
	echo "$sum"
}
# rl_wait_judged LIMIT NAME...: until limit LIMIT has counted (accepted + limited) as many new
# connections as the kernel saw arrive from NAMEs and natwarden has judged every packet the
# kernel queued (bounded: 120 s, a generous bound for a loaded machine).
rl_wait_judged() {
	local lim=$1 i
	shift
	for ((i = 0; i < 1200; i++)); do
		hard_alive || nw_fail "natwarden exited"
		live_stat 1 >/dev/null # fails the test (not just a subshell) when it cannot answer
		[ "$(rl_seen "$lim")" = "$(rl_syns_in "$@")" ] && hard_settled && return 0
		sleep 0.1
	done
	nw_fail "limit $lim counted $(rl_seen "$lim") new connections, the kernel saw $(rl_syns_in "$@") arrive"
}

# rl_ms: a wall clock in ms (only for the upper bound GCRA allows)
rl_ms() { echo $(($(date +%s%N) / 1000000)); }
# rl_gcra_max BURST PER_MIN MS: the most one key can pass in MS ms at PER_MIN a minute with BURST
rl_gcra_max() { echo $(($1 + ($2 * $3 + 59999) / 60000 + 1)); }

# rl_waves SRCS WAVES WAVE PPS SEED: WAVES waves of WAVE SYNs from SRCS at PPS; one GET from the
# polite address while each wave is sent and one after the last ($LIVE_DIR/polite: a line "ok" or
# "fail" per request).
rl_waves() {
	local w
	: >"$LIVE_DIR/polite"
	for ((w = 0; w < $2; w++)); do
		rl_send_bg "$LIVE_DIR/sent" "$1" "$3" "$4" $(($5 + w))
		rl_polite_get "$LIVE_DIR/polite"
		rl_send_wait "$LIVE_DIR/sent" "$3"
	done
	rl_polite_get "$LIVE_DIR/polite"
}

# rl_check_flood LIMIT BURST PER_MIN MS FLOOD OTHER WAVES: after rl_waves and rl_wait_judged LIMIT
# FLOOD OTHER, from a fresh snapshot: every polite request was served; nothing passed uninspected;
# LIMIT judged every SYN of both rl_syn_count groups and accepted exactly what the kernel
# forwarded; OTHER (the polite client, the checks) was never limited; FLOOD got through at least
# its burst and at most burst + rate x MS; every other SYN of FLOOD was limited and dropped with
# verdict reason LIMIT. Sets RL_FIN (FLOOD SYNs that arrived), RL_FOUT (went through), RL_LIM.
rl_check_flood() {
	local l=$1 burst=$2 per_min=$3 ms=$4 acc rdrops fo oin oout ok fail bound
	live_stat 'd' >/dev/null
	acc=$(rl_ctr "$l.accepted")
	RL_LIM=$(rl_ctr "$l.limited")
	rdrops=$(rl_reason_drops "$l")
	fo=$(rl_fail_open)
	RL_FIN=$(rl_syns in "$5")
	RL_FOUT=$(rl_syns out "$5")
	oin=$(rl_syns in "$6")
	oout=$(rl_syns out "$6")
	ok=$(hard_lines "$LIVE_DIR/polite" ok)
	fail=$(hard_lines "$LIVE_DIR/polite" fail)
	bound=$(rl_gcra_max "$burst" "$per_min" "$ms")
	echo "$5: $RL_FIN SYNs arrived, $RL_FOUT went through (at most $bound); $6: $oin arrived," \
		"$oout through; polite requests: $ok ok, $fail failed; $l: accepted $acc," \
		"limited $RL_LIM, drops by reason $rdrops; $fo uninspected; $ms ms"
	[ "$RL_FIN" -gt $((burst * 5)) ] || nw_fail "only $RL_FIN SYNs of $5 reached the gateway"
	nw_expect_eq "$fail" 0 "failed polite requests"
	nw_expect_eq "$ok" $(($7 + 1)) "polite requests served"
	nw_expect_eq "$fo" 0 "packets let through uninspected (queue full)"
	nw_expect_eq "$((acc + RL_LIM))" "$((RL_FIN + oin))" "new connections counted by $l (accepted + limited)"
	nw_expect_eq "$acc" "$((RL_FOUT + oout))" "accepted connections vs. SYNs forwarded"
	nw_expect_eq "$oout" "$oin" "SYNs of $6 forwarded (never limited)"
	[ "$RL_FOUT" -le "$bound" ] ||
		nw_fail "$RL_FOUT SYNs of $5 went through, more than burst + rate x time ($bound)"
	[ "$RL_FOUT" -ge "$burst" ] ||
		nw_fail "only $RL_FOUT SYNs of $5 went through, less than the burst ($burst)"
	nw_expect_eq "$RL_LIM" "$((RL_FIN - RL_FOUT))" "limited connections vs. SYNs of $5 not forwarded"
	nw_expect_eq "$rdrops" "$RL_LIM" "drops with reason $l vs. the limited counter"
}

# rl_eve_count PYEXPR: EVE lines (so far) for which PYEXPR (on e) is true.
rl_eve_count() {
	[ -f "$LIVE_DIR/log/eve.json" ] || { echo 0; return; }
	nw_eve_count "$LIVE_DIR/log/eve.json" "$1"
}
# rl_eve_wait PYEXPR: until an EVE line matches PYEXPR, every 0.1 s (bounded: 30 s; the main
# thread writes events within milliseconds on an idle machine).
rl_eve_wait() {
	local i
	for ((i = 0; i < 300; i++)); do
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

# rl_fail_open: packets the kernel let through uninspected (queue full), last snapshot.
rl_fail_open() {
	nw_json "$LIVE_DIR/stats.json" "d['live']['fail_open']"
}
