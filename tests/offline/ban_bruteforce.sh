#!/bin/bash
# ban_bruteforce.sh: an SSH brute force (new connections over a ratelimit with action = offense)
# bans the source at the maxretry-th offense; its later packets are dropped by the ban; an
# ignoreip source doing the same is never banned; after bantime the attacker passes again; a
# restart keeps an active ban (local store under the state directory: --live-state, since an
# offline replay otherwise keeps its bans in memory only).
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] || { echo "ban plugin not built"; exit 77; }
[ -f "$NW_BUILD/plugins/ratelimit/.libs/ratelimit.so" ] || { echo "ratelimit plugin not built"; exit 77; }
GEN="$NW_SRC/tests/data/gen_ban.py"
python3 "$GEN" bruteforce "$NW_TMP/bf.pcap" >/dev/null || nw_fail generator
python3 "$GEN" attack "$NW_TMP/attack.pcap" >/dev/null || nw_fail generator
python3 "$GEN" return "$NW_TMP/return.pcap" >/dev/null || nw_fail generator
cat >"$NW_TMP/ban.conf" <<'CONF'
[natwarden]
plugins = ban ratelimit

[ban]
gateway_id = gw-test

[jail sshd]
maxretry = 3
findtime = 10m
bantime = 1h
bantime.increment = true
ignoreip = 127.0.0.1/8 ::1 203.0.113.0/24

[limit ssh-new]
proto = tcp
dport = 22
count = new-connections
key = src
rate = 1/min
burst = 3
action = offense
jail = sshd
CONF

# 1. the brute force
O="$NW_TMP/out1"
nw_offline "$NW_TMP/bf.pcap" "$NW_TMP/ban.conf" "$O" --live-state || nw_fail "natwarden -r: $(cat "$O/stderr")"
S="$O/stats.json"
E="$O/eve.json"
bans=$(nw_eve_count "$E" "e['event_type'] == 'ban' and e['ban']['action'] == 'ban'")
nw_expect_eq "$bans" 1 "ban events"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'ban' and e['ban']['action'] == 'ban' and e['ban']['ip'] == '198.51.100.7' and e['ban']['jail'] == 'sshd' and e['ban']['duration'] == 3600 and e['ban']['origin'] == 'gw-test'")" 1 "ban of the attacker (jail sshd, 1h, origin)"
# banned at the 3rd offense: exactly maxretry offenses from the attacker were counted
off=$(python3 - "$E" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "ban":
        break
    if e["event_type"] == "offense" and e["offense"]["ip"] == "198.51.100.7":
        n += 1
print(n)
PY
)
nw_expect_eq "$off" 3 "attacker offenses before the ban"
# every attacker packet after the ban (but before it ran out) is dropped by the ban
after=$(python3 - "$E" <<'PY'
import json, sys
from datetime import datetime
ban = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "ban" and e["ban"]["action"] == "ban":
        ban = datetime.strptime(e["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
T0 = 1700000000
print(sum(1 for i in range(60) if T0 + 2 * i > ban))
PY
)
banned=$(nw_json "$S" "d['plugins']['ban']['verdicts']['drop']['banned']")
echo "attacker banned after $off offenses; $after later packets, $banned dropped by the ban"
[ "$after" -gt 30 ] || nw_fail "ban came too late ($after packets left)"
nw_expect_eq "$banned" "$after" "packets dropped by the ban"
# the ignored source is never banned, its offenses are counted as ignored
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'ban' and e['ban']['ip'].startswith('203.0.113.')")" 0 "bans of an ignoreip source"
[ "$(nw_json "$S" "d['plugins']['ban']['counters']['ignored']")" -ge 3 ] || nw_fail "ignored offenses not counted"
# the benign client is never dropped
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'drop' and e['src_ip'] == '198.51.100.20'")" 0 "drops of the benign client"
# after bantime: an expiry unban, and the late packet passes the ban
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'ban' and e['ban']['action'] == 'unban' and e['ban']['reason'] == 'expired'")" 1 "expiry unban"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'drop' and e['src_port'] == 43000")" 0 "drops of the attacker after bantime"
# the ban count is remembered for bantime.increment
nw_expect_eq "$(nw_store_rows "$O/state/ban.state" "SELECT jail, net, count FROM hist")" "sshd 198.51.100.7 1" \
	"ban count stored"

# 2. restart: the capture ends while the ban is on; a new process with the same state dir
#    drops the attacker from its first packet
O2="$NW_TMP/out2"
nw_offline "$NW_TMP/attack.pcap" "$NW_TMP/ban.conf" "$O2" --live-state || nw_fail "natwarden -r (attack): $(cat "$O2/stderr")"
nw_expect_eq "$(nw_store_rows "$O2/state/ban.state" "SELECT net, jail, action FROM bans")" "198.51.100.7 sshd drop" \
	"active ban stored"
O3="$NW_TMP/out3"
mkdir -p "$O3"
"$NATWARDEN" -r "$NW_TMP/return.pcap" -c "$NW_TMP/ban.conf" -l "$O3" --stats-json "$O3/stats.json" \
	--set "natwarden.plugin_dir=$(nw_plugin_dirs)" --set "natwarden.state_dir=$O2/state" \
	--live-state 2>"$O3/stderr" || nw_fail "natwarden -r (return): $(cat "$O3/stderr")"
nw_expect_eq "$(nw_json "$O3/stats.json" "d['plugins']['ban']['verdicts']['drop']['banned']")" 10 "attacker packets dropped after the restart"
nw_expect_eq "$(nw_eve_count "$O3/eve.json" "e['event_type'] == 'drop' and e['src_ip'] == '198.51.100.20'")" 0 "drops of the benign client after the restart"
nw_expect_eq "$(nw_store_rows "$O2/state/ban.state" "SELECT net FROM bans")" "198.51.100.7" \
	"ban kept at the second stop"
echo "restart: 10/10 attacker packets dropped by the restored ban"
exit 0
