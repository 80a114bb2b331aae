#!/bin/bash
# ops_deb: `dpkg-buildpackage -b` builds a .deb that installs (user natwarden, unit, config as a
# conffile), whose natwarden answers --version and accepts its shipped config with -T, and that
# removes and purges cleanly. Builds a copy of the source tree; takes a minute or two (more on a
# busy machine: a whole optimised build).
# nw-timeout: 900
source "$NW_SRC/tests/lib.sh"
set -u

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg -i)"; exit 77; }
for t in dpkg-buildpackage dh dpkg-checkbuilddeps; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (apt-get install debhelper dpkg-dev)"; exit 77; }
done
[ -f "$NW_SRC/debian/control" ] || nw_fail "no debian/ in $NW_SRC"
nw_tmpdir
VERSION=$(sed -n 's/^AC_INIT(\[natwarden\], \[\([^]]*\)\].*/\1/p' "$NW_SRC/configure.ac")
[ -n "$VERSION" ] || nw_fail "cannot read the version from configure.ac"
SRC="$NW_TMP/natwarden-$VERSION"
mkdir -p "$SRC"
# the tree as a release would have it: no build directories, no VCS, no generated cache
(cd "$NW_SRC" && tar --exclude='./build*' --exclude='./tools/build' --exclude=./.git \
	--exclude=autom4te.cache --exclude='*~' --exclude='./debian/natwarden' \
	--exclude='./debian/tmp' --exclude='./debian/.debhelper' -cf - .) | tar -xf - -C "$SRC" ||
	nw_fail "cannot copy the source tree"

(cd "$SRC" && DEB_BUILD_PROFILES=nocheck DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$NW_TMP/build.log" 2>&1 ||
	nw_fail "dpkg-buildpackage failed; last lines:
$(tail -25 "$NW_TMP/build.log")"
DEB=$(ls "$NW_TMP"/natwarden_"$VERSION"_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || nw_fail "no natwarden_${VERSION}_*.deb built"

# the package's own metadata: config files are conffiles, the unit and binaries are in it
conffiles=$(dpkg-deb -f "$DEB" Conffiles 2>/dev/null; dpkg-deb -I "$DEB" conffiles 2>/dev/null)
echo "$conffiles" | grep -qx /etc/natwarden/natwarden.conf ||
	nw_fail "/etc/natwarden/natwarden.conf is not a conffile: $conffiles"
contents=$(dpkg-deb -c "$DEB")
for f in ./usr/sbin/natwarden ./usr/sbin/natwardenctl ./lib/systemd/system/natwarden.service \
	./etc/logrotate.d/natwarden; do
	echo "$contents" | grep -q " $f\$" || nw_fail "$f missing from the package"
done
echo "$contents" | grep -q '/natwarden/signature\.so$' || nw_fail "plugins missing from the package"
# the libraries configure requires are runtime dependencies (through ${shlibs:Depends})
depends=$(dpkg-deb -f "$DEB" Depends)
for lib in libhtp libcap2 libnetfilter-queue libevent libpcre2 libvectorscan libinih libsqlite3 libssl; do
	echo "$depends" | grep -q "$lib" || nw_fail "Depends lacks $lib: $depends"
done
dpkg-deb -I "$DEB" >/dev/null && [ -n "$(dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./usr/share/doc/natwarden/copyright 2>/dev/null | grep -x 'License: MIT')" ] ||
	nw_fail "the package's copyright file does not name the MIT license"

# The package is installed system-wide: runs of the suite on one machine (CI, a second clone)
# take turns from here to the purge, or one would purge the other's install.
exec 9>/run/lock/natwarden-ops-deb.lock
flock -w 600 9 || nw_fail "another ops_deb run held /run/lock/natwarden-ops-deb.lock for 10 minutes"
# dpkg ARGS: dpkg, waiting (up to 5 minutes) while another install holds dpkg's own lock
dpkg_w() {
	local i log="$NW_TMP/dpkg.log"
	for ((i = 0; i < 60; i++)); do
		dpkg "$@" >"$log" 2>&1 && return 0
		grep -q "lock" "$log" || break
		sleep 5
	done
	cat "$log"
	return 1
}
if dpkg-query -W -f='${Status}' natwarden 2>/dev/null | grep -q installed; then
	echo "SKIP: a natwarden package is already installed here; not touching it"
	exit 77
fi
if [ -e /usr/sbin/natwarden ] || [ -e /etc/natwarden ]; then
	echo "SKIP: /usr/sbin/natwarden or /etc/natwarden exists outside dpkg; not touching it"
	exit 77
fi

had_user=0
getent passwd natwarden >/dev/null && had_user=1
cleanup() {
	dpkg_w --purge natwarden >/dev/null 2>&1
	if [ "$had_user" = 0 ] && getent passwd natwarden >/dev/null; then
		userdel natwarden >/dev/null 2>&1
		groupdel natwarden >/dev/null 2>&1
	fi
	rm -rf "$NW_TMP"
}
trap cleanup EXIT

dpkg_w -i "$DEB" >"$NW_TMP/install.log" 2>&1 || nw_fail "dpkg -i failed: $(cat "$NW_TMP/install.log")"
out=$(/usr/sbin/natwarden --version) || nw_fail "natwarden --version failed"
case "$out" in "natwarden $VERSION "*) ;; *) nw_fail "natwarden --version said: $out" ;; esac
/usr/sbin/natwarden -T -c /etc/natwarden/natwarden.conf >"$NW_TMP/T.log" 2>&1 ||
	nw_fail "natwarden -T rejected the shipped config: $(cat "$NW_TMP/T.log")"
/usr/sbin/natwardenctl --version >/dev/null || nw_fail "natwardenctl --version failed"
getent passwd natwarden >/dev/null || nw_fail "postinst did not create the user natwarden"
nw_expect_eq "$(stat -c %U /var/lib/natwarden)" natwarden "owner of /var/lib/natwarden"
nw_expect_eq "$(stat -c %U /var/log/natwarden)" natwarden "owner of /var/log/natwarden"
nw_expect_eq "$(stat -c %G:%a /etc/natwarden/natwarden.conf)" natwarden:640 \
	"group and mode of the config"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/natwarden.service >"$NW_TMP/verify.log" 2>&1 ||
		nw_fail "systemd-analyze verify: $(cat "$NW_TMP/verify.log")"
fi

dpkg_w -r natwarden >/dev/null 2>&1 || nw_fail "dpkg -r failed"
[ ! -e /usr/sbin/natwarden ] || nw_fail "/usr/sbin/natwarden left after dpkg -r"
[ -e /etc/natwarden/natwarden.conf ] || nw_fail "dpkg -r removed a conffile (only purge should)"
dpkg_w --purge natwarden >/dev/null 2>&1 || nw_fail "dpkg --purge failed"
[ ! -e /etc/natwarden/natwarden.conf ] || nw_fail "conffile left after purge"
[ ! -e /var/lib/natwarden ] || nw_fail "/var/lib/natwarden left after purge"
echo "ops_deb: ok ($(basename "$DEB"))"
