#!/bin/bash
# ops_privdrop: nw_privdrop leaves a process as the service user with only CAP_NET_ADMIN, no way
# back to root, refuses root and unknown users, and works under a systemd-like bounding set.
source "$NW_SRC/tests/lib.sh"
set -u

PROBE="$NW_BUILD/tests/unit/privdrop_probe"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$PROBE" ] || { echo "SKIP: $PROBE not built (make tests/unit/privdrop_probe)"; exit 77; }
command -v useradd >/dev/null || { echo "SKIP: no useradd"; exit 77; }

nw_tmpdir
USER_NAME="nwtest$$"
USER_NAME=${USER_NAME:0:31}
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group "$USER_NAME" ||
	nw_fail "useradd $USER_NAME"
trap 'userdel "$USER_NAME" >/dev/null 2>&1; groupdel "$USER_NAME" >/dev/null 2>&1; rm -rf "$NW_TMP"' EXIT
TUID=$(id -u "$USER_NAME")
TGID=$(id -g "$USER_NAME")

# field LINE-PREFIX FILE: the first value after "Prefix:" in the probe's output
field() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
# all four ids (real, effective, saved, fs) of a Uid:/Gid: line
ids() { awk -v k="$1" '$1 == k { print $2, $3, $4, $5; exit }' "$2"; }

# 1: keep CAP_NET_ADMIN (bit 12 = 0x1000) and nothing else, in this thread and a new one
"$PROBE" "$USER_NAME" 1 >"$NW_TMP/keep.out" 2>"$NW_TMP/keep.err" ||
	nw_fail "probe failed: $(cat "$NW_TMP/keep.err")"
nw_expect_eq "$(ids Uid: "$NW_TMP/keep.out")" "$TUID $TUID $TUID $TUID" "uids after the drop"
nw_expect_eq "$(ids Gid: "$NW_TMP/keep.out")" "$TGID $TGID $TGID $TGID" "gids after the drop"
[ "$TUID" != 0 ] || nw_fail "test user has uid 0"
nw_expect_eq "$(awk '$1 == "Groups:" { $1 = ""; print; exit }' "$NW_TMP/keep.out" | xargs)" "$TGID" \
	"supplementary groups"
nw_expect_eq "$(field CapEff: "$NW_TMP/keep.out")" 0000000000001000 "CapEff (only CAP_NET_ADMIN)"
nw_expect_eq "$(field CapPrm: "$NW_TMP/keep.out")" 0000000000001000 "CapPrm (only CAP_NET_ADMIN)"
nw_expect_eq "$(field CapInh: "$NW_TMP/keep.out")" 0000000000000000 "CapInh"
nw_expect_eq "$(field CapAmb: "$NW_TMP/keep.out")" 0000000000000000 "CapAmb"
nw_expect_eq "$(field setuid0 "$NW_TMP/keep.out")" refused "setuid(0) after the drop"
nw_expect_eq "$(awk '$1 == "thread" && $2 == "CapEff:" { print $3 }' "$NW_TMP/keep.out")" \
	0000000000001000 "CapEff of a thread created after the drop"

# 1b: as the daemon drops (NET_ADMIN | AMBIENT = 3): programs it runs (ipset, iptables-save)
# inherit CAP_NET_ADMIN, and only that
"$PROBE" "$USER_NAME" 3 >"$NW_TMP/amb.out" 2>"$NW_TMP/amb.err" ||
	nw_fail "probe (ambient) failed: $(cat "$NW_TMP/amb.err")"
nw_expect_eq "$(field CapEff: "$NW_TMP/amb.out")" 0000000000001000 "CapEff (ambient)"
nw_expect_eq "$(field CapAmb: "$NW_TMP/amb.out")" 0000000000001000 "CapAmb (ambient)"
nw_expect_eq "$(field CapPrm: "$NW_TMP/amb.out")" 0000000000001000 "CapPrm (ambient)"

# 2: keep nothing
"$PROBE" "$USER_NAME" 0 >"$NW_TMP/none.out" 2>&1 || nw_fail "probe (keep 0) failed"
nw_expect_eq "$(field CapEff: "$NW_TMP/none.out")" 0000000000000000 "CapEff with keep=0"
nw_expect_eq "$(field CapPrm: "$NW_TMP/none.out")" 0000000000000000 "CapPrm with keep=0"

# 3: the systemd unit's bounding set (no CAP_SETPCAP): the drop still works
if command -v setpriv >/dev/null; then
	setpriv --bounding-set=-all,+net_admin,+net_raw,+setuid,+setgid,+dac_override \
		"$PROBE" "$USER_NAME" 1 >"$NW_TMP/bound.out" 2>&1 ||
		nw_fail "probe under a narrow bounding set failed: $(cat "$NW_TMP/bound.out")"
	nw_expect_eq "$(field CapEff: "$NW_TMP/bound.out")" 0000000000001000 \
		"CapEff under a narrow bounding set"
	nw_expect_eq "$(ids Uid: "$NW_TMP/bound.out")" "$TUID $TUID $TUID $TUID" \
		"uids under a narrow bounding set"
fi

# 4: refusals, each with a reason an operator can act on
if "$PROBE" root 1 >"$NW_TMP/root.out" 2>&1; then nw_fail "dropping to root was accepted"; fi
grep -q "is root" "$NW_TMP/root.out" || nw_fail "no reason for refusing root: $(cat "$NW_TMP/root.out")"
if "$PROBE" "nosuch$$" 1 >"$NW_TMP/nouser.out" 2>&1; then nw_fail "an unknown user was accepted"; fi
grep -q "no such user" "$NW_TMP/nouser.out" || nw_fail "unclear unknown-user error: $(cat "$NW_TMP/nouser.out")"
if command -v setpriv >/dev/null; then
	if setpriv --reuid="$TUID" --regid="$TGID" --clear-groups "$PROBE" "$USER_NAME" 1 \
		>"$NW_TMP/nonroot.out" 2>&1; then
		nw_fail "a non-root caller was accepted"
	fi
	grep -q "not root" "$NW_TMP/nonroot.out" || nw_fail "unclear non-root error: $(cat "$NW_TMP/nonroot.out")"
fi
echo "ops_privdrop: ok"
