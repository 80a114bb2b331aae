#!/bin/bash
# e2e: the ban store across upgrades and damage, with a live natwarden:
#   1. an old text store (ban.state, "# natwarden-ban-state 1") is migrated at start: its bans
#      and ban counts are in force, the text is kept as ban.state.migrated, the log says so, and
#      a restart does not migrate again;
#   2. a store that is no database (garbage) is kept aside as ban.state.corrupt-TIME with an
#      error in the log; natwarden starts with an empty store that works (a ban survives a
#      restart);
#   2b. a store damaged past its first pages: the bans read before the damage are enforced,
#      the file is kept aside, and the new store gets them all at the next tick (a restart
#      restores exactly as many);
#   3. a store that cannot be opened (a directory in its place) stops the start, with the path
#      and the reason in the log.
NW_SRC=${NW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$NW_SRC/tests/e2e/ban_lib.sh"
ban_init banstore
ban_netns "nwbs-$BAN_SFX"
NS="nwbs-$BAN_SFX"
ST="$DIR/gw1/state/ban.state"

gw_conf_head 1 0
cat >>"$DIR/gw1/nw.conf" <<'CONF'
[ban]
store = local
gateway_id = gw1

[jail sshd]
maxretry = 1
findtime = 10m
bantime = 1h
bantime.increment = true
CONF

# 1. migration
now=$(date +%s)
cat >"$ST" <<EOF
# natwarden-ban-state 1
ban 198.51.100.7 $((now + 3600)) $now drop 1 sshd gw0
ban 2001:db8:7::/64 0 $now reject 1 manual gw0
ban 198.51.100.8 $((now - 10)) $((now - 100)) drop 1 sshd gw0
hist sshd 198.51.100.9 3 $now
this line is damaged
# end
EOF
cp "$ST" "$DIR/text.orig"
gw_start 1 "$NS" 0
has_ban 1 198.51.100.7 || nw_fail "migrated ban 198.51.100.7 not in force"
has_ban 1 2001:db8:7::/64 || nw_fail "migrated permanent ban 2001:db8:7::/64 not in force"
has_ban 1 198.51.100.8 && nw_fail "a ban expired in the text store was restored"
grep -q "migrated 3 bans from the text store (1 bad lines skipped), kept as $ST.migrated" \
	"$DIR/gw1/natwarden.log" || { cat "$DIR/gw1/natwarden.log" >&2; nw_fail "no migration line in the log"; }
cmp -s "$ST.migrated" "$DIR/text.orig" || nw_fail "the text store was not kept as it was"
[ "$(head -c 15 "$ST")" = "SQLite format 3" ] || nw_fail "$ST is not an SQLite database now"
nw_expect_eq "$(counter 1 store_bad_lines)" 1 "bad lines counted"
# the migrated ban count (3 bans before) makes the next ban of 198.51.100.9 the 4th
out=$(ctl 1 offense sshd 198.51.100.9) || nw_fail "natwardenctl offense"
[[ $out == *banned* ]] || nw_fail "offense did not ban: $out"
nw_wait_grep '"ip":"198.51.100.9".*"reason":"[^"]*ban #4' "$DIR/gw1/log/eve.json" ||
	nw_fail "the migrated ban count was not used (no 'ban #4' in the ban event)"
gw_stop 1
gw_start 1 "$NS" 0
has_ban 1 198.51.100.7 || nw_fail "ban lost at the first restart after the migration"
has_ban 1 198.51.100.9 || nw_fail "offense ban lost at restart"
nw_expect_eq "$(grep -c "migrated" "$DIR/gw1/natwarden.log")" 1 "migrations (only the first start)"
gw_stop 1
echo "1. text store migrated: bans, permanent ban and ban counts kept; text kept as .migrated"

# 2. garbage in place of the database
head -c 65536 /dev/urandom >"$ST"
rm -f "$ST-wal" "$ST-shm"
gw_start 1 "$NS" 0
grep -q "ban store $ST was not a usable database (.*): kept as $ST.corrupt-.*, starting with an empty store" \
	"$DIR/gw1/natwarden.log" || { tail -5 "$DIR/gw1/natwarden.log" >&2; nw_fail "no error about the corrupt store"; }
aside=$(ls "$ST".corrupt-* 2>/dev/null | head -1)
[ -n "$aside" ] || nw_fail "the corrupt store was not kept aside"
has_ban 1 198.51.100.7 && nw_fail "bans from a corrupt store"
nw_expect_eq "$(counter 1 store_errors)" 1 "store_errors after a corrupt store"
ctl 1 ban 198.51.100.70 --time 1h >/dev/null || nw_fail "ban into the new store"
gw_stop 1
gw_start 1 "$NS" 0
has_ban 1 198.51.100.70 || nw_fail "the new store lost its ban at restart"
gw_stop 1
echo "2. corrupt store kept as $(basename "$aside"); natwarden started with a new, working store"

# 2b. 20000 bans, then pages in the middle of the file overwritten
rm -f "$ST".corrupt-*
python3 - "$ST" <<'PY' || nw_fail "filling the store"
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
db.executemany("INSERT INTO bans VALUES (?, ?, ?, 'drop', 1, 'bulk', 'gw1')",
               (("10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255), now + 3600, now)
                for i in range(20000)))
db.commit()
db.close()
PY
python3 - "$ST" <<'PY'
import os, sys
size = os.path.getsize(sys.argv[1])
with open(sys.argv[1], "r+b") as f:
    for off in range(size // 2, size - 8 * 4096, 8 * 4096):
        f.seek(off)
        f.write(b"\xa5" * 4096)
PY
gw_start 1 "$NS" 0
grep -q "bans read before it" "$DIR/gw1/natwarden.log" ||
	{ tail -5 "$DIR/gw1/natwarden.log" >&2; nw_fail "damage past the header not reported"; }
n=$(grep -o 'restored [0-9]* bans' "$DIR/gw1/natwarden.log" | tail -1 | cut -d' ' -f2)
[ "$n" -gt 0 ] && [ "$n" -lt 20001 ] || nw_fail "restored $n bans from a damaged store"
ls "$ST".corrupt-* >/dev/null 2>&1 || nw_fail "the damaged store was not kept aside"
rewritten() { grep -q "ban store $ST rewritten ($n bans)" "$DIR/gw1/natwarden.log"; }
for i in $(seq 100); do rewritten && break; sleep 0.1; done
rewritten || { tail -5 "$DIR/gw1/natwarden.log" >&2; nw_fail "the new store was not written"; }
gw_stop 1
gw_start 1 "$NS" 0
n2=$(grep -o 'restored [0-9]* bans' "$DIR/gw1/natwarden.log" | tail -1 | cut -d' ' -f2)
nw_expect_eq "$n2" "$n" "bans restored from the rewritten store"
gw_stop 1
echo "2b. store damaged past its header: $n of 20001 bans read, kept and written to a new store"

# 3. a directory where the store should be: no start
mv "$ST" "$DIR/store.ok"
rm -f "$ST-wal" "$ST-shm"
mkdir "$ST"
ip netns exec "$NS" "$NATWARDEN" -c "$DIR/gw1/nw.conf" -q 0 -l "$DIR/gw1/log" \
	>"$DIR/nostart.log" 2>&1 &
pid=$!
PIDS+=($pid)
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && nw_fail "natwarden runs without its ban store"
wait "$pid"
[ $? -ne 0 ] || nw_fail "natwarden exited 0 without its ban store"
grep -q "cannot open ban store $ST: " "$DIR/nostart.log" ||
	{ cat "$DIR/nostart.log" >&2; nw_fail "no reason given for the failed start"; }
echo "3. unusable store path: the start fails with '$(grep -o "cannot open ban store.*" "$DIR/nostart.log" | head -1)'"
echo "PASS"
