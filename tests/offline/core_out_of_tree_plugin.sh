#!/bin/bash
# make install stages the header and natwarden-plugin.pc; the example plugin builds out of tree
# with `pkg-config natwarden-plugin` and natwarden loads it and applies its verdicts.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
stage="$NW_TMP/stage"
make -s -C "$NW_BUILD" install DESTDIR="$stage" >"$NW_TMP/install.log" 2>&1 || nw_fail "make install: $(tail -5 "$NW_TMP/install.log")"
pc=$(find "$stage" -name natwarden-plugin.pc | head -1)
[ -n "$pc" ] || nw_fail "natwarden-plugin.pc not installed"
hdr=$(find "$stage" -path '*/natwarden/plugin.h' | head -1)
[ -n "$hdr" ] || nw_fail "plugin.h not installed"
mkdir -p "$NW_TMP/oot"
cp "$NW_SRC/plugins/example/example.c" "$NW_SRC/plugins/example/Makefile.out-of-tree" "$NW_TMP/oot/"
PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$stage" \
	make -s -C "$NW_TMP/oot" -f Makefile.out-of-tree example.so check >"$NW_TMP/oot.log" 2>&1 || nw_fail "out-of-tree build: $(cat "$NW_TMP/oot.log")"
[ -f "$NW_TMP/oot/example.so" ] || nw_fail "no example.so"
python3 "$NW_SRC/tests/data/gen_core.py" "$NW_TMP" 2222 >/dev/null 2>&1 || nw_fail "capture generator"
printf '[natwarden]\nplugins = example\n[example]\ndrop_port = 2222\n' >"$NW_TMP/ex.conf"
mkdir -p "$NW_TMP/out"
"$NATWARDEN" -r "$NW_TMP/mix-eth.pcap" -c "$NW_TMP/ex.conf" -l "$NW_TMP/out" --stats-json "$NW_TMP/out/stats.json" \
	--set "natwarden.plugin_dir=$NW_TMP/oot" 2>"$NW_TMP/out/stderr" || nw_fail "natwarden with the out-of-tree plugin: $(cat "$NW_TMP/out/stderr")"
nw_expect_eq "$(nw_json "$NW_TMP/out/stats.json" 'd["verdicts"]["drop"]')" "$(nw_json "$NW_TMP/expect.json" 'd["to_drop"]')" "drops by the out-of-tree plugin"
echo ok
