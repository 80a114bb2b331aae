#!/bin/bash
# e2e: the rendered ruleset applies twice without change, `firewall remove` leaves the operator's
# own rules (and removes all of natwarden's), and --persist writes the rules and sysctl files.
source "$(dirname "$0")/live_lib.sh"
live_require
ip netns add "$NS_GW" || nw_fail "netns"
ip -n "$NS_GW" link add pub0 type veth peer name priv0
live_conf
snap() { in_gw iptables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'; }

# the operator's own rules
in_gw iptables -A FORWARD -s 203.0.113.0/24 -j ACCEPT
in_gw iptables -t nat -A POSTROUTING -s 10.99.0.0/16 -o pub0 -j MASQUERADE
in_gw iptables -t mangle -A PREROUTING -j MARK --set-mark 0x100
before=$(snap)

live_apply
one=$(snap)
live_apply
two=$(snap)
nw_expect_eq "$two" "$one" "second apply changes nothing"
echo "$one" | grep -q -- '-A FORWARD -j NW-FORWARD' || nw_fail "jump into NW-FORWARD missing"
nw_expect_eq "$(echo "$one" | grep -c -- '-j NW-FORWARD')" 1 "one jump into NW-FORWARD"
echo "$one" | grep -q -- '--queue-balance 0:1 --queue-bypass' || nw_fail "NFQUEUE rule missing"
echo "$one" | grep -q -- '-s 203.0.113.0/24 -j ACCEPT' || nw_fail "operator rule lost by apply"
nw_expect_eq "$(in_gw cat /proc/sys/net/ipv4/ip_forward)" 1 "ip_forward"

in_gw "$NATWARDENCTL" -c "$LIVE_DIR/nw.conf" firewall remove >/dev/null || nw_fail "remove"
after=$(snap)
echo "$after" | grep -q 'NW-' && nw_fail "natwarden rules left after remove: $(echo "$after" | grep NW-)"
# only the FORWARD policy (DROP, left in place on purpose) differs from before
nw_expect_eq "$(echo "$after" | sed 's/^:FORWARD DROP/:FORWARD ACCEPT/')" "$before" \
	"the operator's ruleset after remove"
in_gw "$NATWARDENCTL" -c "$LIVE_DIR/nw.conf" firewall remove >/dev/null || nw_fail "second remove"

# --persist (into a scratch directory instead of /etc)
NATWARDEN_PERSIST_DIR="$LIVE_DIR/etc" in_gw "$NATWARDENCTL" -c "$LIVE_DIR/nw.conf" \
	firewall apply --persist >/dev/null || nw_fail "apply --persist"
grep -q -- '-A NW-INSPECT -j NFQUEUE' "$LIVE_DIR/etc/iptables/rules.v4" || nw_fail "rules.v4"
grep -q 'net.ipv4.ip_forward = 1' "$LIVE_DIR/etc/sysctl.d/60-natwarden.conf" || nw_fail "sysctl.d"
# a saved file restores on a fresh namespace (what iptables-persistent does at boot)
ip netns add "$NS_PRIV"
ip -n "$NS_PRIV" link add pub0 type veth peer name priv0
ip netns exec "$NS_PRIV" ipset create natwarden-ban4 hash:ip timeout 0
ip netns exec "$NS_PRIV" ipset create natwarden-bannet4 hash:net timeout 0
ip netns exec "$NS_PRIV" iptables-restore <"$LIVE_DIR/etc/iptables/rules.v4" || nw_fail "rules.v4 does not restore"
echo "PASS: ruleset idempotent, remove is clean, persist works"
