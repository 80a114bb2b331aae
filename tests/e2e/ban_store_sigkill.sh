#!/bin/bash
# e2e: kill -9 in the middle of a stream of bans, unbans and offense bans; after a restart with the
# same state directory, every change that was committed is there:
#   - committed = acknowledged: `natwardenctl ban/unban/offense` returned success before the kill
#     (the ban store commits before the command answers), and
#   - every ban/unban event that reached eve.json before the kill (the store commits before the
#     event is emitted);
# an address must end in the state of the last of its changes known committed either way (eve.json
# is written after the answer and may lag behind it);
# only the one command in flight at the kill may have gone either way. The old text store (saved
# at most once a second) lost the last second of acknowledged bans here.
NW_SRC=${NW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$NW_SRC/tests/e2e/ban_lib.sh"
ban_init banstorekill
ban_netns "nwsk-$BAN_SFX"
NS="nwsk-$BAN_SFX"

gw_conf_head 1 0
cat >>"$DIR/gw1/nw.conf" <<'CONF'
[ban]
store = local
gateway_id = gw1

[jail web]
maxretry = 1
findtime = 10m
bantime = 1h
CONF
gw_start 1 "$NS" 0

# the stream, in the background: each line of ops.log is written before the command ("try ...")
# and after its success ("ok ..."); 600 operations at most
OPS="$DIR/ops.log"
: >"$OPS"
(
	for i in $(seq 0 599); do
		a="198.51.$((100 + i / 250)).$((i % 250 + 1))"
		case $((i % 5)) in
		3)	# an offense in a maxretry = 1 jail: a ban through the jail (and its ban count)
			a="203.0.113.$((i / 5 % 250 + 1))"
			echo "try ban $a" >>"$OPS"
			out=$(ctl 1 offense web "$a" 2>/dev/null) && [[ $out == *banned* ]] &&
				echo "ok ban $a" >>"$OPS" ;;
		4)	# lift the ban made two steps before
			b="198.51.$((100 + (i - 2) / 250)).$(((i - 2) % 250 + 1))"
			echo "try unban $b" >>"$OPS"
			ctl 1 unban "$b" >/dev/null 2>&1 && echo "ok unban $b" >>"$OPS" ;;
		*)	echo "try ban $a" >>"$OPS"
			ctl 1 ban "$a" --time 1h >/dev/null 2>&1 && echo "ok ban $a" >>"$OPS" ;;
		esac
	done
) &
STREAM=$!
PIDS+=($STREAM)

acked() { grep -c '^ok ' "$OPS"; }
for i in $(seq 600); do
	[ "$(acked)" -ge 150 ] && break
	kill -0 "$STREAM" 2>/dev/null || break
	sleep 0.05
done
[ "$(acked)" -ge 150 ] || nw_fail "the stream did not get going ($(acked) operations acknowledged)"
kill -KILL "${GWPID[1]}"
wait "${GWPID[1]}" 2>/dev/null
kill "$STREAM" 2>/dev/null
wait "$STREAM" 2>/dev/null
cp "$DIR/gw1/log/eve.json" "$DIR/eve-at-kill.json"
cp "$OPS" "$DIR/ops-at-kill.log"
echo "killed after $(grep -c '^ok ' "$DIR/ops-at-kill.log") acknowledged operations"

gw_start 1 "$NS" 0
ctl 1 bans --json >"$DIR/bans.json" || nw_fail "natwardenctl bans"
grep -q "restored" "$DIR/gw1/natwarden.log" || nw_fail "no 'restored' line in the log"

python3 - "$DIR/ops-at-kill.log" "$DIR/eve-at-kill.json" "$DIR/bans.json" <<'PY' || nw_fail "committed changes lost"
import json, sys
ops, eve, bans = sys.argv[1:4]
have = {b["ip"] for b in json.load(open(bans))}
# every operation in the order it was tried; the first try left unacknowledged was in flight at
# the kill (the later ones found natwarden dead)
order, acked, pending, unacked = {}, {}, None, []
for line in open(ops):
    f = line.split()
    if len(f) != 3:
        continue
    if f[0] == "try":
        order.setdefault((f[1], f[2]), len(order))
        if pending:
            unacked.append(pending)
        pending = f[2]
    else:
        acked[f[2]] = f[1]
        pending = None
if pending:
    unacked.append(pending)
tried_last = unacked[0] if unacked else None
# what eve.json reported before the kill (a last line cut by the kill is skipped); eve.json is
# written by the main thread after the commit, so it may lag behind a command's answer
events = {}
for line in open(eve):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event_type") == "ban" and e["ban"].get("reason") != "expired":
        events.setdefault(e["ban"]["ip"], set()).add(e["ban"]["action"])
# an operation is known committed when it was acknowledged or reported; an address must be in
# the state of the last of its known-committed operations
last = {}
for ip, action in acked.items():
    last[ip] = (order.get((action, ip), -1), action, "acknowledged")
for ip, actions in events.items():
    for action in actions:
        o = order.get((action, ip), -1)
        if ip not in last or o > last[ip][0]:
            last[ip] = (o, action, "eve.json")
bad = []
for ip, (_, action, source) in sorted(last.items()):
    if ip == tried_last:
        continue  # in flight at the kill: either way
    if (ip in have) != (action == "ban"):
        bad.append("%s %s (%s) but %s after the restart" %
                   (action, ip, source, "listed" if ip in have else "absent"))
extra = [ip for ip in have if ip not in acked and ip not in events and ip != tried_last]
for ip in extra:
    bad.append("%s listed after the restart, never acknowledged nor reported" % ip)
nb = sum(1 for a in acked.values() if a == "ban")
print("acknowledged: %d bans kept, %d unbans; eve.json: %d addresses; %d bans after the "
      "restart; in flight at the kill: %s" % (nb, len(acked) - nb, len(events), len(have),
                                                tried_last or "nothing"))
if bad:
    print("\n".join(bad[:20]), file=sys.stderr)
    sys.exit(1)
PY
# the jail's ban count survived too: the offense bans have their history in the store
jb=$(nw_store_rows "$DIR/gw1/state/ban.state" "SELECT count(*) FROM hist WHERE jail = 'web'")
[ "$jb" -ge 1 ] || nw_fail "no ban count of jail web in the store"
gw_stop 1
echo "PASS: every acknowledged or reported ban change survived kill -9"
