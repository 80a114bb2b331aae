#!/bin/bash
# ops_ctl: the control socket is root:GROUP 0660 and natwarden serves only root, its own uid and
# members of control_group (checked with SO_PEERCRED, refusals logged once per 10 s); status
# names version, plugins, config and rule count; the daemon's commands (status, stats, help,
# reload, reopen, bans, ban/unban) answer in text and JSON; `rules test FILE` is a dry run.
source "$(dirname "$0")/live_lib.sh"
live_require
for t in useradd groupadd setpriv runuser; do
	command -v "$t" >/dev/null || live_skip "no $t"
done
[ -f "$NW_BUILD/plugins/ban/.libs/ban.so" ] && [ -f "$NW_BUILD/plugins/signature/.libs/signature.so" ] ||
	nw_fail "ban and signature plugins not built"

SFX=$$
GRP="nwctlg$SFX"
U_IN="nwctli$SFX"
U_OUT="nwctlo$SFX"
ops_ctl_cleanup() {
	userdel "$U_IN" >/dev/null 2>&1
	userdel "$U_OUT" >/dev/null 2>&1
	groupdel "$U_IN" >/dev/null 2>&1
	groupdel "$U_OUT" >/dev/null 2>&1
	groupdel "$GRP" >/dev/null 2>&1
	live_cleanup
}
trap ops_ctl_cleanup EXIT
groupadd --system "$GRP" || nw_fail "groupadd $GRP"
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group -G "$GRP" "$U_IN" ||
	nw_fail "useradd $U_IN"
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group "$U_OUT" ||
	nw_fail "useradd $U_OUT"
GID=$(getent group "$GRP" | cut -d: -f3)

live_topology
live_conf
RULES="$LIVE_DIR/local.rules"
cat >"$RULES" <<'R'
alert tcp any any -> any 8000 (msg:"ops_ctl probe"; flow:to_server; content:"ops-ctl-probe"; sid:9100001; rev:1;)
alert tcp any any -> any 8000 (msg:"second"; content:"other-probe"; sid:9100002; rev:1;)
R
sed -i -e 's/^plugins = example$/plugins = example signature ban/' \
	-e "/^\[natwarden\]\$/a control_group = $GRP" "$LIVE_DIR/nw.conf"
cat >>"$LIVE_DIR/nw.conf" <<CONF

[signature]
rules = $RULES

[ban]

[jail web]
maxretry = 3
findtime = 10m
bantime = 1h
CONF
# the test users reach the socket through LIVE_DIR (mktemp made it 0700)
chmod 0711 "$LIVE_DIR"
chmod 0644 "$LIVE_DIR/nw.conf" "$RULES"
"$NATWARDEN" -T -c "$LIVE_DIR/nw.conf" >"$LIVE_DIR/T.log" 2>&1 || nw_fail "natwarden -T: $(cat "$LIVE_DIR/T.log")"
live_apply
live_start
CTL=("$NATWARDENCTL" -s "$LIVE_SOCK")

# --- the socket file: root:GROUP, 0660
nw_expect_eq "$(stat -c '%U %g %a' "$LIVE_SOCK")" "root $GID 660" "socket owner, group, mode"

# --- root is served
"${CTL[@]}" status >"$LIVE_DIR/st.txt" || nw_fail "root: status refused"
# --- a member of the group is served: through initgroups (runuser), the primary gid and a
#     supplementary group given explicitly
runuser -u "$U_IN" -- "${CTL[@]}" status >"$LIVE_DIR/in.txt" 2>&1 ||
	nw_fail "group member (runuser): $(cat "$LIVE_DIR/in.txt")"
setpriv --reuid="$U_IN" --regid="$GRP" --clear-groups "${CTL[@]}" stats >/dev/null 2>"$LIVE_DIR/in2.txt" ||
	nw_fail "primary group member: $(cat "$LIVE_DIR/in2.txt")"
setpriv --reuid="$U_IN" --regid="$U_IN" --groups="$GID" "${CTL[@]}" status >/dev/null 2>"$LIVE_DIR/in3.txt" ||
	nw_fail "supplementary group member: $(cat "$LIVE_DIR/in3.txt")"
# --- anyone else: the socket's mode already keeps them out
if setpriv --reuid="$U_OUT" --regid="$U_OUT" --clear-groups "${CTL[@]}" status >"$LIVE_DIR/out.txt" 2>&1; then
	nw_fail "a user outside $GRP was served"
fi
grep -q "Permission denied" "$LIVE_DIR/out.txt" || nw_fail "outsider: $(cat "$LIVE_DIR/out.txt")"
# --- and if the mode is wrong, SO_PEERCRED still refuses (5 tries: one log line)
chmod 0666 "$LIVE_SOCK"
for i in 1 2 3 4 5; do
	if runuser -u "$U_OUT" -- "${CTL[@]}" reload >"$LIVE_DIR/out.txt" 2>&1; then
		nw_fail "a user outside $GRP was served through a 0666 socket"
	fi
	grep -q "permission denied: natwardenctl needs root or membership of group $GRP" "$LIVE_DIR/out.txt" ||
		nw_fail "refusal text: $(cat "$LIVE_DIR/out.txt")"
done
chmod 0660 "$LIVE_SOCK"
OUT_UID=$(id -u "$U_OUT")
nw_expect_eq "$(grep -c "control socket: refused pid [0-9]* uid $OUT_UID " "$LIVE_DIR/natwarden.log")" 1 \
	"refusal log lines (rate-limited)"
"${CTL[@]}" status --json >"$LIVE_DIR/st.json" || nw_fail "status --json"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" 'd["control"]["refused"]')" 5 "refused count"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" 'd["reloads"]')" 0 "a refused reload did nothing"

# --- status: version, plugins with ABI, config, rule count
VERSION=$("$NATWARDEN" --version | awk '{ print $2 }')
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" 'd["version"]')" "$VERSION" "status version"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" 'd["config"]')" "$(realpath "$LIVE_DIR/nw.conf")" "status config"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" 'd["queues"]')" "[0, 1]" "status queues"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" 'd["rules_loaded"]')" 2 "status rules_loaded"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" '" ".join(p["name"] for p in d["plugins"])')" \
	"example signature ban" "status plugins"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" 'all(p["abi"] == "1.0" or p["abi"].startswith("1.") for p in d["plugins"])')" \
	True "plugin ABI versions"
nw_expect_eq "$(nw_json "$LIVE_DIR/st.json" '[p["path"] for p in d["plugins"]][1].endswith("signature.so")')" \
	True "plugin path"
grep -q "^natwarden $VERSION running" "$LIVE_DIR/st.txt" || nw_fail "status text: $(head -1 "$LIVE_DIR/st.txt")"
grep -qE "^rules: +2 loaded, 0 failed" "$LIVE_DIR/st.txt" || nw_fail "status text lacks the rule count"
grep -qE "^  signature +[^ ]+ +ABI 1\.[0-9]+ +/" "$LIVE_DIR/st.txt" || nw_fail "status text lacks plugin lines"

# --- traffic, then stats in text and JSON agree
for i in 1 2 3; do
	nw_expect_eq "$(live_get /)" "hello from priv" "request $i"
done
in_inet curl -s --max-time 5 -H "X-Probe: ops-ctl-probe" -o /dev/null "http://198.51.100.1/" || true
"${CTL[@]}" stats >"$LIVE_DIR/stats.txt" || nw_fail "stats"
grep -q "queue 0" "$LIVE_DIR/stats.txt" || nw_fail "stats text lacks queue lines"
pk=$(live_stat 'd["packets"]')
[ "$pk" -ge 6 ] || nw_fail "stats: $pk packets"
[ "$(live_stat 'd["alerts"]')" -ge 1 ] || nw_fail "stats: the probe rule did not alert"

# --- help lists the core's and the plugins' commands
"${CTL[@]}" help >"$LIVE_DIR/help.txt" || nw_fail "help"
for c in status stats reload reopen bans ban unban; do
	grep -qE "^$c([ 	]|$)" "$LIVE_DIR/help.txt" || nw_fail "help lacks $c"
done

# --- bans: ban, list (text and JSON), unban
"${CTL[@]}" ban 203.0.113.77 --jail web >"$LIVE_DIR/ban.txt" 2>&1 || nw_fail "ban: $(cat "$LIVE_DIR/ban.txt")"
"${CTL[@]}" bans | grep -q 203.0.113.77 || nw_fail "bans does not list 203.0.113.77"
"${CTL[@]}" bans --json >"$LIVE_DIR/bans.json" || nw_fail "bans --json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$LIVE_DIR/bans.json" || nw_fail "bans --json is not JSON"
grep -q 203.0.113.77 "$LIVE_DIR/bans.json" || nw_fail "bans --json lacks the ban"
"${CTL[@]}" unban 203.0.113.77 >/dev/null || nw_fail "unban"
if "${CTL[@]}" bans | grep -q 203.0.113.77; then nw_fail "still banned after unban"; fi

# --- reload and reopen
"${CTL[@]}" reload >"$LIVE_DIR/reload.txt" || nw_fail "reload: $(cat "$LIVE_DIR/reload.txt")"
"${CTL[@]}" reopen >"$LIVE_DIR/reopen.txt" || nw_fail "reopen: $(cat "$LIVE_DIR/reopen.txt")"
grep -q "reopened .*eve.json" "$LIVE_DIR/reopen.txt" || nw_fail "reopen: $(cat "$LIVE_DIR/reopen.txt")"
nw_expect_eq "$("${CTL[@]}" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["reloads"])')" 1 \
	"reload counted"
# --- malformed and unknown requests: an error, and the daemon lives on
if "${CTL[@]}" no-such-command >/dev/null 2>&1; then nw_fail "unknown command succeeded"; fi
in_gw python3 - "$LIVE_SOCK" <<'PY' || nw_fail "malformed request"
import socket, sys
for req in (b"NWCTL9 status\n", b"NWCTL1  status\n", b"NWCTL1 %zz\n", b"x" * 5000 + b"\n"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    try:
        s.sendall(req)
    except OSError:
        pass
    data = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except ConnectionResetError:
        pass
    s.close()
    if data and not data.startswith(b"NWCTL1 -"):
        sys.exit("reply %r to %r" % (data[:40], req[:20]))
PY
"${CTL[@]}" status >/dev/null || nw_fail "daemon gone after malformed requests"

# --- rules test: a dry run with the running config's [signature] settings
BAD="$LIVE_DIR/bad.rules"
cat >"$BAD" <<'R'
alert tcp any any -> any 80 (msg:"fine"; content:"abc"; sid:9200001;)
alert tcp any any -> any 80 (msg:"broken"; content:"abc"; nosuchkeyword; sid:9200002;)
alert tcp any any -> any 80 (msg:"fine too"; content:"def"; sid:9200003;)
R
if "${CTL[@]}" rules test "$BAD" >"$LIVE_DIR/rt.txt" 2>&1; then nw_fail "rules test of a bad file succeeded"; fi
grep -q "bad.rules: 2 loaded, 1 failed" "$LIVE_DIR/rt.txt" || nw_fail "rules test: $(cat "$LIVE_DIR/rt.txt")"
grep -q "bad.rules:2: .*nosuchkeyword" "$LIVE_DIR/rt.txt" || nw_fail "rules test lacks file:line: $(cat "$LIVE_DIR/rt.txt")"
"${CTL[@]}" rules test "$BAD" --json >"$LIVE_DIR/rt.json"
nw_expect_eq "$(nw_json "$LIVE_DIR/rt.json" '(d["loaded"], d["failed"], d["ok"], d["config_from"])')" \
	"(2, 1, False, 'daemon')" "rules test --json"
"${CTL[@]}" rules test "$RULES" >"$LIVE_DIR/rt2.txt" 2>&1 || nw_fail "rules test of a good file: $(cat "$LIVE_DIR/rt2.txt")"
# nothing changed in the daemon
nw_expect_eq "$("${CTL[@]}" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rules_loaded"], d["reloads"])')" \
	"2 1" "daemon after rules test"
echo "PASS: socket root:$GRP 0660, members served, outsiders refused (5, logged once), ctl commands"
