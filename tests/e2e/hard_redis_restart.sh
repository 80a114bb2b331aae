#!/bin/bash
# e2e: Redis killed and restarted mid-traffic. Two gateways, each a live natwarden inline in its own
# NAT lab (gw1: 198.51.100.1, gw2: 203.0.113.1, both forwarding :80 to a private web server),
# share bans through one redis-server on a unix socket. A polite client (198.51.100.11) keeps
# fetching through both gateways the whole time. redis-server is killed; a ban of 198.51.100.10
# made on gw1 is enforced by gw1 at once (gw2 cannot know yet); redis-server is restarted and gw2
# enforces the ban without a restart. The polite client is served throughout.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || live_skip "redis-server missing"
[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] || nw_fail "ban plugin not built"
live_topology
ip -n "$NS_INET" addr add 198.51.100.11/24 dev eth0 || nw_fail "second client address"

# the second lab: inet eth1 203.0.113.10 <-> gw2 pub0 203.0.113.1 / priv0 <-> priv2 172.31.19.240
NS_GW2="nwg2-$LIVE_SFX"
NS_PRIV2="nwp2-$LIVE_SFX"
HARD_NS+=("$NS_GW2" "$NS_PRIV2")
ip netns add "$NS_GW2" && ip netns add "$NS_PRIV2" || nw_fail "namespaces"
ip -n "$NS_GW2" link add pub0 type veth peer name eth1 netns "$NS_INET" || nw_fail "veth"
ip -n "$NS_GW2" link add priv0 type veth peer name eth0 netns "$NS_PRIV2" || nw_fail "veth"
ip -n "$NS_INET" addr add 203.0.113.10/24 dev eth1
ip -n "$NS_GW2" addr add 203.0.113.1/24 dev pub0
ip -n "$NS_GW2" addr add 172.31.0.1/16 dev priv0
ip -n "$NS_PRIV2" addr add 172.31.19.240/16 dev eth0
for l in "$NS_INET eth1" "$NS_GW2 lo" "$NS_GW2 pub0" "$NS_GW2 priv0" "$NS_PRIV2 lo" "$NS_PRIV2 eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$NS_PRIV2" route add default via 172.31.0.1
# the internet host routes between its two links' addresses: gw2 reaches 198.51.100.0/24 via it
ip -n "$NS_GW2" route add 198.51.100.0/24 via 203.0.113.10
ip netns exec "$NS_PRIV2" python3 -m http.server 8000 --bind 172.31.19.240 --directory "$LIVE_DIR/www" \
	>"$LIVE_DIR/priv2-http.log" 2>&1 &
LIVE_PIDS+=($!)
live_wait_port "$NS_PRIV2" 172.31.19.240 8000

RSOCK="$LIVE_DIR/redis.sock"
KEY="$LIVE_DIR/hmac.key"
echo "0123456789abcdef-hard-redis" >"$KEY"
chmod 600 "$KEY"
hard_redis_start "$RSOCK" "$LIVE_DIR"

# gw_conf N PUBLIC-ADDRESS
gw_conf() {
	mkdir -p "$LIVE_DIR/gw$1/state" "$LIVE_DIR/gw$1/log"
	cat >"$LIVE_DIR/gw$1/nw.conf" <<CONF
[natwarden]
plugins = ban
plugin_dir = $(nw_plugin_dirs)
state_dir = $LIVE_DIR/gw$1/state
control_socket = $LIVE_DIR/gw$1/ctl.sock
queues = 0-1
fail_open = yes

[gateway]
public_interface = pub0
public_address = $2
private_interfaces = priv0
private_networks = 172.31.0.0/16

[forward web]
listen = 80/tcp
to = 172.31.19.240:8000

[ban]
store = redis
redis = unix:$RSOCK
redis_prefix = hardtest
gateway_id = gw$1
redis_hmac_key_file = $KEY
CONF
}
declare -A GWNS=([1]="$NS_GW" [2]="$NS_GW2") GWPID
gw_start() {
	local ns=${GWNS[$1]}
	ip netns exec "$ns" "$NATWARDENCTL" -c "$LIVE_DIR/gw$1/nw.conf" firewall apply >"$LIVE_DIR/gw$1/apply.out" 2>&1 ||
		{ cat "$LIVE_DIR/gw$1/apply.out" >&2; nw_fail "firewall apply gw$1"; }
	ip netns exec "$ns" "$NATWARDEN" -c "$LIVE_DIR/gw$1/nw.conf" -q 0:1 -l "$LIVE_DIR/gw$1/log" \
		>>"$LIVE_DIR/gw$1/natwarden.log" 2>&1 &
	GWPID[$1]=$!
	LIVE_PIDS+=($!)
	hard_wait 100 ctl "$1" status >/dev/null 2>&1 ||
		{ cat "$LIVE_DIR/gw$1/natwarden.log" >&2; nw_fail "gw$1 did not start"; }
}
ctl() { local n=$1; shift; "$NATWARDENCTL" -s "$LIVE_DIR/gw$n/ctl.sock" "$@"; }
has_ban() { ctl "$1" bans --json | python3 -c 'import json,sys; sys.exit(0 if any(b["ip"] == sys.argv[1] for b in json.load(sys.stdin)) else 1)' "$2"; }
counter() { ctl "$1" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["plugins"]["ban"]["counters"][sys.argv[1]])' "$2"; }
URL1=http://198.51.100.1/
URL2=http://203.0.113.1/
# get CLIENT URL [MAXTIME]
get() { in_inet curl -s --max-time "${3:-3}" --interface "$1" "$2"; }

gw_conf 1 198.51.100.1
gw_conf 2 203.0.113.1
gw_start 1
gw_start 2
for u in $URL1 $URL2; do
	nw_expect_eq "$(get 198.51.100.10 $u)" "hello from priv" "198.51.100.10 via $u before the ban"
done

# the polite client, through both gateways, all along
HARD_URL=$URL1 hard_curl_loop "$LIVE_DIR/loop1.out" 80 --interface 198.51.100.11
LOOP1=$HARD_LOOP_PID
HARD_URL=$URL2 hard_curl_loop "$LIVE_DIR/loop2.out" 80 --interface 198.51.100.11
LOOP2=$HARD_LOOP_PID
both_ok() { [ "$(hard_lines "$LIVE_DIR/loop1.out" ok)" -ge "$1" ] && [ "$(hard_lines "$LIVE_DIR/loop2.out" ok)" -ge "$1" ]; }
hard_wait 100 both_ok 3 || nw_fail "the polite client is not served through both gateways"

# Redis goes away mid-traffic; a ban on gw1 is in force on gw1 at once
hard_redis_stop
redis_gone() { [ "$(counter 1 redis_connected)" = 0 ]; }
hard_wait 100 redis_gone || nw_fail "gw1 did not notice Redis going away"
ctl 1 ban 198.51.100.10 --time 10m >/dev/null || nw_fail "ban on gw1 while Redis is down"
has_ban 1 198.51.100.10 || nw_fail "gw1 does not list its ban"
get 198.51.100.10 $URL1 2 >/dev/null && nw_fail "gw1 does not enforce its ban while Redis is down"
has_ban 2 198.51.100.10 && nw_fail "gw2 has a ban it cannot have received"
nw_expect_eq "$(get 198.51.100.10 $URL2)" "hello from priv" "gw2 before it can know the ban"
ok1=$(hard_lines "$LIVE_DIR/loop1.out" ok)
ok2=$(hard_lines "$LIVE_DIR/loop2.out" ok)
echo "Redis down: gw1 enforces the ban at once; polite client served $ok1 / $ok2 times so far"

# Redis comes back: gw2 gets the ban and enforces it, no restart
t0=$(date +%s%N)
hard_redis_start "$RSOCK" "$LIVE_DIR"
hard_wait 300 has_ban 2 198.51.100.10 || nw_fail "gw2 never received the ban made while Redis was down"
t1=$(date +%s%N)
get 198.51.100.10 $URL2 2 >/dev/null && nw_fail "gw2 lists the ban but does not enforce it"
get 198.51.100.10 $URL1 2 >/dev/null && nw_fail "gw1 stopped enforcing the ban"
echo "Redis back: gw2 enforced the ban $(((t1 - t0) / 1000000)) ms after redis-server was started"
for n in 1 2; do
	[ "${GWPID[$n]}" ] && kill -0 "${GWPID[$n]}" || nw_fail "gw$n died"
done
hard_wait 150 both_ok $((ok1 > ok2 ? ok1 + 3 : ok2 + 3)) || nw_fail "the polite client stopped being served"
wait "$LOOP1" "$LOOP2" 2>/dev/null
f1=$(hard_lines "$LIVE_DIR/loop1.out" fail)
f2=$(hard_lines "$LIVE_DIR/loop2.out" fail)
echo "polite client: gw1 $(hard_lines "$LIVE_DIR/loop1.out" ok) ok / $f1 failed, gw2 $(hard_lines "$LIVE_DIR/loop2.out" ok) ok / $f2 failed"
[ "$f1" = 0 ] && [ "$f2" = 0 ] || nw_fail "the polite client was refused while Redis went away and came back"
echo "PASS: Redis killed and restarted mid-traffic: bans enforced locally at once, shared after"
