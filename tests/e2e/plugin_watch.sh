#!/bin/bash
# plugin_watch: a plugin waits on its own socket in the core's main loop (ABI 1.2 watches). The
# example plugin's `listen` socket, live: every datagram sent to it becomes an 'example' EVE
# event and is counted (natwardenctl example); stopping the daemon deletes the watch and the
# socket, with no watch left behind. Offline (-r) there is no loop: the option is skipped with a
# notice and the run succeeds.
source "$(dirname "$0")/live_lib.sh"
live_require
[ -f "$NW_BUILD/plugins/example/.libs/example.so" ] || nw_fail "example plugin not built"

EXSOCK="$LIVE_DIR/example.sock"
ip netns add "$NS_GW" || nw_fail "netns $NS_GW"
LIVE_QUEUES=0
live_conf "listen = $EXSOCK"
live_start
[ -S "$EXSOCK" ] || nw_fail "the example did not create $EXSOCK"

# 20 messages, two with what a hostile sender might put in: quotes, control bytes, 2 KiB
python3 - "$EXSOCK" <<'PY' || nw_fail "cannot send to the example socket"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(18):
    s.sendto(b"hello %d\n" % i, sys.argv[1])
s.sendto(b'quote " and \x01\x02 control', sys.argv[1])
s.sendto(b"x" * 2048, sys.argv[1])
PY
got=
for _ in $(seq 100); do
	got=$("$NATWARDENCTL" -s "$LIVE_SOCK" example --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["messages"])')
	[ "$got" = 20 ] && break
	sleep 0.1
done
nw_expect_eq "$got" 20 "messages counted by the example"
nw_expect_eq "$(live_stat 'd["plugins"]["example"]["counters"]["messages"]')" 20 "messages counter"
live_stop
nw_expect_eq "$(nw_eve_count "$LIVE_DIR/log/eve.json" 'e["event_type"]=="example"')" 20 "example events"
nw_expect_eq "$(nw_eve_count "$LIVE_DIR/log/eve.json" 'e["event_type"]=="example" and e["example"]["message"]=="hello 17"')" 1 "a message's text in its event"
[ -e "$EXSOCK" ] && nw_fail "the socket file is left after stop"
grep -q "left .* watch" "$LIVE_DIR/natwarden.log" && nw_fail "a watch was left at stop: $(cat "$LIVE_DIR/natwarden.log")"
grep -q "listening on $EXSOCK" "$LIVE_DIR/natwarden.log" || nw_fail "no 'listening on' line"

# offline: no loop, the option is skipped with a notice; the replay itself runs
python3 "$NW_SRC/tests/data/gen_core.py" "$LIVE_DIR" 2222 >/dev/null 2>&1 || nw_fail "capture generator"
nw_offline "$LIVE_DIR/mix-eth.pcap" "$LIVE_DIR/nw.conf" "$LIVE_DIR/off" ||
	nw_fail "natwarden -r with listen set: $(cat "$LIVE_DIR/off/stderr")"
grep -q "listen = $EXSOCK: not used offline" "$LIVE_DIR/off/stderr" || nw_fail "no offline notice: $(cat "$LIVE_DIR/off/stderr")"
[ -e "$EXSOCK" ] && nw_fail "offline run created the socket"
echo PASS
