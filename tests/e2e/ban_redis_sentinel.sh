#!/bin/bash
# ban_redis_sentinel.sh: the ban store finds its Redis master through Sentinel and follows a
# failover without losing a ban. In one network namespace (loopback only): a master and a replica
# redis-server, two sentinels, and two gateways (gw1, gw2: live natwardens, each its own queue)
# configured with three sentinel addresses, the first of which has nothing listening:
#   1. both gateways skip the dead sentinel and reach the master; a ban on gw1 reaches gw2;
#   2. the master is killed while the gateways are frozen (SIGSTOP), the sentinels promote the
#      replica, and the ban is deleted from the new master (as an asynchronous replica loses the
#      last writes of a master that dies); a ban is made on gw1 while it has no Redis;
#   3. the gateways resume, ask the sentinels again and move to the new master; gw1 writes back
#      the ban the new master lacked, and both gateways end with both bans;
#   4. the old master returns (the sentinels make it a replica), the new master is killed with
#      the gateways running: they follow to the promoted one (the time is printed), and a ban
#      made on gw2 in between reaches gw1.
# Every process is started here and stopped by its PID.
source "$NW_SRC/tests/e2e/ban_lib.sh"
ban_init sen redis
NS="nwsen-$BAN_SFX"
ban_netns "$NS"
declare -A RPID
inns() { ip netns exec "$NS" "$@"; }
rc() { local port=$1; shift; inns redis-cli -p "$port" "$@"; }

# redis_start NAME ARGS...: a redis-server in the namespace, in the foreground of a background job
# (started through ip netns exec directly, not a shell function, so that $! is its PID)
redis_start() {
	local name=$1
	shift
	mkdir -p "$DIR/$name"
	ip netns exec "$NS" redis-server "$@" --dir "$DIR/$name" --logfile "$DIR/$name/log" \
		>/dev/null 2>&1 &
	RPID[$name]=$!
	PIDS+=($!)
}
wait_ping() {
	local i
	for i in $(seq 100); do
		[ "$(rc "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	nw_fail "redis on port $1 did not start"
}
sentinel_conf() {
	mkdir -p "$DIR/s$1"
	cat >"$DIR/s$1/sentinel.conf" <<CONF
port $1
bind 127.0.0.1
dir $DIR/s$1
sentinel monitor nwmaster 127.0.0.1 6391 1
sentinel down-after-milliseconds nwmaster 2000
sentinel failover-timeout nwmaster 10000
sentinel parallel-syncs nwmaster 1
CONF
}
# master: where the sentinels say the master is ("127.0.0.1 PORT")
master() { rc 26392 sentinel get-master-addr-by-name nwmaster 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

redis_start master --port 6391 --bind 127.0.0.1 --save '' --appendonly no
redis_start replica --port 6392 --bind 127.0.0.1 --save '' --appendonly no --replicaof 127.0.0.1 6391
wait_ping 6391
wait_ping 6392
for port in 26392 26393; do
	sentinel_conf $port
	ip netns exec "$NS" redis-server "$DIR/s$port/sentinel.conf" --sentinel \
		--logfile "$DIR/s$port/log" >/dev/null 2>&1 &
	RPID[s$port]=$!
	PIDS+=($!)
	wait_ping $port
done
# the replica is in sync and the sentinels know it before anything else
for i in $(seq 100); do
	[ "$(rc 6392 info replication | tr -d '\r' | grep -c '^master_link_status:up')" = 1 ] &&
		rc 26392 sentinel replicas nwmaster 2>/dev/null | grep -q 6392 &&
		rc 26393 sentinel replicas nwmaster 2>/dev/null | grep -q 6392 && break
	sleep 0.1
done
[ "$(master)" = "127.0.0.1 6391" ] || nw_fail "sentinels do not see the master: $(master)"

gw_conf() {
	gw_conf_head "$1" "$1"
	cat >>"$DIR/gw$1/nw.conf" <<CONF
[ban]
store = redis
; the first sentinel has nothing listening: the gateways must move on to the next
redis_sentinels = 127.0.0.1:26391, 127.0.0.1:26392 127.0.0.1:26393
redis_master_name = nwmaster
redis_prefix = nwsen
gateway_id = gw$1
redis_connect_timeout = 1
redis_command_timeout = 2

[jail sshd]
maxretry = 3
findtime = 10m
bantime = 1h
CONF
}
store() { ctl "$1" banstore --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["server"], d["state"])'; }
# wait_store N "SERVER up": bounded 30 s
wait_store() {
	local i
	for i in $(seq 300); do
		[ "$(store "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "gw$1 store: $(store "$1" 2>&1)" >&2
	cat "$DIR/gw$1/natwarden.log" >&2
	return 1
}

gw_conf 1
gw_conf 2
gw_start 1 "$NS" 1
gw_start 2 "$NS" 2

# 1. discovery through the second sentinel; sharing through the master it names
wait_store 1 "127.0.0.1:6391 up" || nw_fail "gw1 did not reach the master through the sentinels"
wait_store 2 "127.0.0.1:6391 up" || nw_fail "gw2 did not reach the master through the sentinels"
grep -q "sentinel 127.0.0.1:26391" "$DIR/gw1/natwarden.log" ||
	nw_fail "gw1 did not report the dead sentinel"
ctl 1 ban 198.51.100.41 --jail sshd --time 1h >/dev/null || nw_fail "ban on gw1"
wait_ban 2 198.51.100.41 || nw_fail "gw2 never received the ban"
for i in $(seq 100); do
	[ -n "$(rc 6392 zscore nwsen:bans 198.51.100.41/32)" ] && break
	sleep 0.05
done
[ -n "$(rc 6392 zscore nwsen:bans 198.51.100.41/32)" ] || nw_fail "the replica never got the ban"
echo "1. both gateways found the master through the sentinels (the dead one skipped); a ban on gw1 reached gw2"

# 2. failover while the gateways are frozen; the new master lacks the ban
kill -STOP "${GWPID[1]}" "${GWPID[2]}"
kill "${RPID[master]}"
wait "${RPID[master]}" 2>/dev/null
t0=$(date +%s%N)
for i in $(seq 300); do
	[ "$(master)" = "127.0.0.1 6392" ] && [ "$(rc 6392 role 2>/dev/null | head -1)" = master ] && break
	sleep 0.1
done
[ "$(master)" = "127.0.0.1 6392" ] || nw_fail "the sentinels did not fail over: $(master)"
echo "2. sentinels promoted the replica in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
rc 6392 zrem nwsen:bans 198.51.100.41/32 >/dev/null
rc 6392 hdel nwsen:meta 198.51.100.41/32 >/dev/null
[ -z "$(rc 6392 zscore nwsen:bans 198.51.100.41/32)" ] || nw_fail "could not remove the ban from the new master"

# 3. the gateways resume and follow
kill -CONT "${GWPID[1]}" "${GWPID[2]}"
ctl 1 ban 203.0.113.42 --time 1h >/dev/null || nw_fail "ban on gw1 during the failover"
has_ban 1 203.0.113.42 || nw_fail "gw1 does not enforce its ban at once"
wait_store 1 "127.0.0.1:6392 up" || nw_fail "gw1 did not move to the new master"
wait_store 2 "127.0.0.1:6392 up" || nw_fail "gw2 did not move to the new master"
for ip in 198.51.100.41 203.0.113.42; do
	wait_ban 1 "$ip" || nw_fail "gw1 lost $ip in the failover"
	wait_ban 2 "$ip" || nw_fail "gw2 lost $ip in the failover"
	for i in $(seq 100); do
		[ -n "$(rc 6392 zscore nwsen:bans "$ip/32")" ] && break
		sleep 0.05
	done
	[ -n "$(rc 6392 zscore nwsen:bans "$ip/32")" ] || nw_fail "the new master never got $ip"
done
grep -q "master nwmaster is at 127.0.0.1:6392" "$DIR/gw1/natwarden.log" ||
	nw_fail "gw1 did not log the new master"
echo "3. both gateways moved to the new master; the ban it had lost was written back; no ban lost"

# 4. a failover with the gateways running: the old master comes back (the sentinels make it a
# replica of the new one), then whichever is master at that moment dies
redis_start master --port 6391 --bind 127.0.0.1 --save '' --appendonly no
wait_ping 6391
synced() { # PORT: a replica with its link up that holds the last ban
	[ "$(rc "$1" role 2>/dev/null | head -1)" = slave ] &&
		[ "$(rc "$1" info replication | tr -d '\r' | grep -c '^master_link_status:up')" = 1 ] &&
		[ -n "$(rc "$1" zscore nwsen:bans 203.0.113.42/32)" ]
}
for i in $(seq 300); do
	m=$(master)
	m=${m#127.0.0.1 }
	other=$([ "$m" = 6391 ] && echo 6392 || echo 6391)
	synced "$other" && [ "$(store 1 2>/dev/null)" = "127.0.0.1:$m up" ] &&
		[ "$(store 2 2>/dev/null)" = "127.0.0.1:$m up" ] &&
		break
	sleep 0.1
done
synced "$other" || nw_fail "no synced replica for the second failover (master $m)"
kill "${RPID[$([ "$m" = 6391 ] && echo master || echo replica)]}"
t0=$(date +%s%N)
ctl 2 ban 198.51.100.43 --time 1h >/dev/null || nw_fail "ban on gw2 while the master is gone"
has_ban 2 198.51.100.43 || nw_fail "gw2 does not enforce its ban at once"
wait_store 1 "127.0.0.1:$other up" || nw_fail "gw1 did not follow the second failover"
wait_store 2 "127.0.0.1:$other up" || nw_fail "gw2 did not follow the second failover"
t1=$(date +%s%N)
for ip in 198.51.100.41 203.0.113.42 198.51.100.43; do
	wait_ban 1 "$ip" || nw_fail "gw1 lost $ip in the second failover"
	wait_ban 2 "$ip" || nw_fail "gw2 lost $ip in the second failover"
done
echo "4. master $m killed under running gateways: both on $other $(( (t1 - t0) / 1000000 )) ms later (the sentinels' detection and failover included), every ban kept"
echo "PASS"
exit 0
