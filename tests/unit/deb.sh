#!/bin/sh
# deb.sh — the Debian package: `dpkg-buildpackage -us -uc -b` on a copy of
# the tree (so its outputs land next to the copy, not next to the worktree;
# the static libraries of build/deps are reused), then what the .deb holds
# (dpkg-deb -c), its maintainer scripts (the unit enabled and started, the
# skeleton built, the trigger), and lintian with no error.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$TOP" || exit 1

ok() { printf 'PASS deb/%s\n' "$1"; }
ko() { printf 'FAIL deb/%s: %s\n' "$1" "$2"; }
no() {
	if [ "${CI:-}" = true ]; then ko "$1" "$2"; else printf 'SKIP deb/%s: %s\n' "$1" "$2"; fi
}

for t in dpkg-buildpackage dh lintian dpkg-deb; do
	if ! command -v "$t" >/dev/null 2>&1; then
		no build "$t not installed (make deps installs debhelper, lintian)"
		exit 0
	fi
done
if [ ! -f build/deps/.stamp ]; then
	no build "build/deps missing: run make deps"
	exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/sfs-deb.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/src/build/deps"
tar --exclude=./build --exclude=./.git -cf - . | (cd "$T/src" && tar xf -)
cp -a build/deps/include build/deps/lib build/deps/.stamp "$T/src/build/deps/"
if ! (cd "$T/src" && dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1; then
	ko build "dpkg-buildpackage failed: $(tail -n 5 "$T/build.log" | tr '\n' ' ')"
	exit 0
fi
set -- "$T"/shutdownfs_*.deb
deb=$1
if [ ! -f "$deb" ]; then
	ko build "no shutdownfs_*.deb next to the tree"
	exit 0
fi
ok build

dpkg-deb -c "$deb" | awk '{ print $6 }' > "$T/list"
missing=
for f in ./usr/sbin/shutdownfs ./usr/sbin/mkshutdownfs ./usr/lib/shutdownfs/exitrd-prepare \
	./usr/lib/shutdownfs/hooks.d/teardown/20-lvm ./usr/lib/shutdownfs/hooks.d/teardown/30-cryptsetup \
	./usr/lib/shutdownfs/hooks.d/teardown/40-mdadm ./usr/lib/shutdownfs/ramfs-skel/oldroot/.keep \
	./lib/systemd/system/shutdownfs-exitrd.service \
	./lib/systemd/system/dracut-shutdown.service.d/shutdownfs.conf \
	./lib/systemd/system/mkinitcpio-generate-shutdown-ramfs.service.d/shutdownfs.conf \
	./lib/systemd/system/mdadm-shutdown.service.d/shutdownfs.conf \
	./usr/share/man/man8/shutdownfs.8.gz ./usr/share/man/man8/mkshutdownfs.8.gz \
	./usr/share/man/man5/shutdownfs.conf.5.gz ./etc/shutdownfs.conf \
	./usr/share/doc/shutdownfs/copyright; do
	grep -qx -- "$f" "$T/list" || missing="$missing $f"
done
if [ -z "$missing" ]; then ok contents; else ko contents "missing:$missing"; fi

# the packaged binary is the one `make` builds: static, same version
dpkg-deb -x "$deb" "$T/x"
if readelf -d "$T/x/usr/sbin/shutdownfs" 2>/dev/null | grep -q 'Dynamic section'; then
	ko static-binary "usr/sbin/shutdownfs has a dynamic section"
elif [ "$("$T/x/usr/sbin/shutdownfs" --version)" != "$(build/shutdownfs --version)" ]; then
	ko static-binary "version differs from build/shutdownfs"
else
	ok static-binary
fi
unit=$T/x/lib/systemd/system/shutdownfs-exitrd.service
if grep -qx 'ExecStop=/usr/lib/shutdownfs/exitrd-prepare' "$unit" &&
	! grep -q '^ExecStart=' "$unit" && grep -qx 'WantedBy=sysinit.target' "$unit" &&
	grep -q "^PREFIX='/usr'" "$T/x/usr/lib/shutdownfs/exitrd-prepare"; then
	ok unit
else
	ko unit "the installed unit or helper is not what systemd/ says"
fi

dpkg-deb -e "$deb" "$T/ctl"
if grep -q "deb-systemd-helper enable 'shutdownfs-exitrd.service'" "$T/ctl/postinst" &&
	grep -q "deb-systemd-invoke start 'shutdownfs-exitrd.service'" "$T/ctl/postinst" &&
	grep -q 'if ! mkshutdownfs ' "$T/ctl/postinst"; then
	ok postinst
else
	ko postinst "postinst does not enable+start the unit and build the skeleton"
fi
if grep -qx 'interest-noawait /sbin/lvm' "$T/ctl/triggers" &&
	grep -qx 'interest-noawait /sbin/cryptsetup' "$T/ctl/triggers" &&
	grep -qx 'interest-noawait /sbin/mdadm' "$T/ctl/triggers" &&
	grep -q 'triggered' "$T/ctl/postinst"; then
	ok trigger
else
	ko trigger "no file trigger on lvm/cryptsetup/mdadm, or postinst ignores it"
fi
if grep -q 'shutdownfs-exitrd.skip' "$T/ctl/prerm" &&
	grep -q "deb-systemd-invoke stop 'shutdownfs-exitrd.service'" "$T/ctl/prerm" &&
	[ "$(grep -n 'shutdownfs-exitrd.skip' "$T/ctl/prerm" | head -n 1 | cut -d: -f1)" -lt \
		"$(grep -n 'deb-systemd-invoke stop' "$T/ctl/prerm" | cut -d: -f1)" ]; then
	ok prerm
else
	ko prerm "prerm does not flag the removal before stopping the unit"
fi
if grep -qx '/etc/shutdownfs.conf' "$T/ctl/conffiles"; then ok conffile
else ko conffile "/etc/shutdownfs.conf is not a conffile"; fi

if lintian --fail-on error "$deb" > "$T/lintian" 2>&1; then
	ok lintian
else
	ko lintian "$(grep '^E:' "$T/lintian" | head -n 3 | tr '\n' ' ')"
fi
