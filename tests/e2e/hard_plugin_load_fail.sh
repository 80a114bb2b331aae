#!/bin/bash
# e2e: a plugin that cannot be loaded stops natwarden at start, live in the gateway namespace:
#   - a plugin whose .so is missing;
#   - a .so built here against include/natwarden/plugin.h with abi_major = 99;
#   - a .so without the nw_plugin_descriptor symbol, and a file that is not a shared object.
# Each time natwarden exits non-zero (bounded: 20 s) with a message that names the plugin and the
# reason, leaves no queue bound and no process behind, and the gateway (fail_open = yes) forwards
# uninspected; the same configuration without the bad plugin then starts and inspects.
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/hard_lib.sh"
live_require
live_topology
PDIR="$LIVE_DIR/plugins"
mkdir -p "$PDIR"
CC=${CC:-gcc}
HAVE_CC=
command -v "$CC" >/dev/null && HAVE_CC=1

if [ -n "$HAVE_CC" ]; then
	cat >"$PDIR/badabi.c" <<'C'
/* a plugin descriptor from the future: ABI major 99 */
#include <natwarden/plugin.h>
static const struct nw_services *svc;
NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	.abi_major = 99, .abi_minor = 0, .size = sizeof(struct nw_plugin_desc),
	.build_options = NW_BUILD_OPTIONS, .name = "badabi", .version = "0",
	.description = "wrong ABI", .services = &svc,
};
C
	cat >"$PDIR/nodesc.c" <<'C'
/* a shared object that is not a natwarden plugin */
int nodesc_answer(void);
int nodesc_answer(void) { return 42; }
C
	"$CC" -shared -fPIC -I"$NW_SRC/include" -o "$PDIR/badabi.so" "$PDIR/badabi.c" || nw_fail "cannot build badabi.so"
	"$CC" -shared -fPIC -o "$PDIR/nodesc.so" "$PDIR/nodesc.c" || nw_fail "cannot build nodesc.so"
else
	echo "note: no C compiler ($CC): the wrong-ABI and no-descriptor cases are skipped"
fi
head -c 4096 /dev/urandom >"$PDIR/garbage.so"

# the ruleset (fail_open = yes) goes in once; nothing is bound yet, so traffic passes
hard_conf example "[example]"
live_apply
nw_expect_eq "$(live_get /)" "hello from priv" "forwarding before natwarden"

# try_plugin NAME PATTERN...: natwarden with NAME after example in the chain must refuse to start
# with a message matching every PATTERN (grep -E).
try_plugin() {
	local name=$1 rc pat
	shift
	{
		echo "[natwarden]"
		echo "plugins = example $name"
		echo "plugin_dir = $PDIR:$(nw_plugin_dirs)"
		echo "state_dir = $LIVE_DIR/state"
		echo "control_socket = $LIVE_SOCK"
		echo "queues = 0-1"
		echo "fail_open = yes"
		echo "[example]"
	} >"$LIVE_DIR/bad.conf"
	: >"$LIVE_DIR/bad.log"
	timeout 20 ip netns exec "$NS_GW" "$NATWARDEN" -c "$LIVE_DIR/bad.conf" -q 0:1 -l "$LIVE_DIR/log" \
		>"$LIVE_DIR/bad.log" 2>&1
	rc=$?
	[ "$rc" = 124 ] && nw_fail "$name: natwarden kept running with a plugin it cannot load"
	[ "$rc" != 0 ] || nw_fail "$name: natwarden exited 0"
	for pat in "$@"; do
		grep -qE -- "$pat" "$LIVE_DIR/bad.log" ||
			{ cat "$LIVE_DIR/bad.log" >&2; nw_fail "$name: message lacks /$pat/"; }
	done
	echo "$name: exit $rc: $(grep -m1 -E -- "$1" "$LIVE_DIR/bad.log")"
	nw_expect_eq "$(in_gw cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | wc -l)" 0 \
		"$name: queues left bound"
	nw_expect_eq "$(ip netns pids "$NS_GW" | wc -l)" 0 "$name: processes left in the gateway namespace"
	[ -e "$LIVE_SOCK" ] && ! "$NATWARDENCTL" -s "$LIVE_SOCK" status >/dev/null 2>&1 &&
		echo "note: $name: a stale control socket file was left at $LIVE_SOCK"
	nw_expect_eq "$(live_get / 3)" "hello from priv" "$name: fail-open forwarding after the refused start"
}

try_plugin nosuch "nosuch" "nosuch\.so not found"
if [ -n "$HAVE_CC" ]; then
	try_plugin badabi "badabi" "ABI 99\.0" "major versions differ"
	try_plugin nodesc "nodesc" "no nw_plugin_descriptor symbol"
fi
try_plugin garbage "garbage\.so"

# the same setup without the bad plugin starts and inspects
live_start
nw_expect_eq "$(live_get /)" "hello from priv" "forward with natwarden inline"
pk=$(live_stat 'd["packets"]')
[ "$pk" -gt 0 ] || nw_fail "natwarden saw no packets"
echo "PASS: unloadable plugins refused with a clear message; nothing left bound"
