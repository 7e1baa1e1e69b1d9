#!/bin/sh
# exitrd-prepare: ExecStop of shutdownfs-exitrd.service. At shutdown, mount
# a small tmpfs (exec, unlike Debian's /run) on /run/initramfs, copy the
# skeleton mkshutdownfs built at install time into it and the shutdownfs
# binary as /shutdown, which systemd-shutdown then switch_roots into and
# execs. Any failure leaves no /run/initramfs/shutdown, so systemd-shutdown
# goes on with its own path; every failure is logged. See docs/integration.md.
set -u
umask 022

# Install-time paths, rewritten by `make install` (sed of the at-sign words).
PREFIX='@PREFIX@'
case $PREFIX in @*) PREFIX=/usr ;; esac
dir=${SHUTDOWNFS_EXITRD_DIR:-/run/initramfs}
skel=${SHUTDOWNFS_SKEL:-$PREFIX/lib/shutdownfs/skel}
bin=${SHUTDOWNFS_BIN:-$PREFIX/sbin/shutdownfs}
# tmpfs size cap in KiB (default: a quarter of the RAM)
size_k=${SHUTDOWNFS_EXITRD_SIZE_K:-}
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

me=exitrd-prepare
mounted=0
nl='
'

msg() { printf '%s: %s\n' "$me" "$*"; }

# Undo a half-made exitrd and say why systemd keeps its own path.
fail() {
	if [ "$mounted" -eq 1 ]; then
		umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null || rm -f "$dir/shutdown"
	fi
	msg "$*; no $dir/shutdown, systemd-shutdown keeps its own path" >&2
	exit 1
}

# Few programs run here: at shutdown, under load, every exec costs (under
# QEMU TCG about a second each); shell builtins do the rest.
now_ms() {
	read -r nm_up nm_rest < /proc/uptime
	: "$nm_rest"
	nm_cs=${nm_up#*.}
	nm_cs=${nm_cs#0}
	echo $((${nm_up%.*} * 1000 + ${nm_cs:-0} * 10))
}

is_mountpoint() {
	while read -r im_id im_parent im_dev im_root im_mp im_rest; do
		: "$im_id" "$im_parent" "$im_dev" "$im_root" "$im_rest"
		[ "$im_mp" != "$1" ] || return 0
	done < /proc/self/mountinfo
	return 1
}

# An exitrd made earlier in this boot (the unit restarted): replace it.
drop_old() {
	if is_mountpoint "$dir"; then
		umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null ||
			fail "cannot unmount the $dir mounted earlier"
	fi
}

# The tmpfs's cap (a cap reserves nothing): a quarter of the RAM, far above
# any skeleton, without measuring it (du would be one more program);
# SHUTDOWNFS_EXITRD_SIZE_K sets it in KiB.
size_opt() {
	if [ -n "$size_k" ]; then echo "${size_k}k"; else echo 25%; fi
}

# The unit is also stopped when the package is removed (its prerm drops this
# flag first): an exitrd made then would hold RAM until the next boot.
# systemctl is-system-running would tell too, but costs seconds under load.
skip_flag=${SHUTDOWNFS_EXITRD_SKIP:-/run/shutdownfs-exitrd.skip}

main() {
	t0=$(now_ms)
	if [ -e "$skip_flag" ] && [ "${1:-}" != --now ]; then
		rm -f -- "$skip_flag"
		msg "$skip_flag: the package is being removed, nothing prepared"
		exit 0
	fi
	[ -x "$bin" ] || fail "$bin: missing or not executable"
	what="the skeleton and shutdownfs"
	if [ ! -d "$skel" ]; then
		msg "no skeleton at $skel (run mkshutdownfs): the exitrd holds only shutdownfs, no hooks" >&2
		what="shutdownfs alone"
	fi
	drop_old
	if [ ! -d "$dir" ]; then
		mkdir -p -- "$dir" 2>/dev/null || fail "cannot create $dir (is /run full or read-only?)"
	fi
	# not noexec: systemd-shutdown checks access(shutdown, X_OK) and
	# Debian's initramfs-tools mounts /run noexec
	mount -t tmpfs -o "mode=0755,nosuid,nodev,size=$(size_opt)" shutdownfs-exitrd "$dir" ||
		fail "cannot mount a tmpfs on $dir"
	mounted=1
	t1=$(now_ms)
	if [ -d "$skel" ]; then
		err=$(cp -a -- "$skel/." "$dir/" 2>&1) || fail "copying $skel: ${err%%"$nl"*}"
	fi
	# /shutdown last, and atomically: a half-copied one must never be run
	# (cp -p keeps the installed 0755)
	if ! err=$(cp -p -- "$bin" "$dir/.shutdown.new" 2>&1 &&
		mv -f -- "$dir/.shutdown.new" "$dir/shutdown" 2>&1); then
		fail "copying $bin: ${err%%"$nl"*}"
	fi
	# proves what systemd-shutdown will need: exec from there (not PID 1,
	# so the binary only prints its version)
	"$dir/shutdown" --version >/dev/null 2>&1 || fail "$dir/shutdown does not run"
	t2=$(now_ms)
	msg "$dir ready for systemd-shutdown: $what copied in $((t2 - t1)) ms, $((t2 - t0)) ms in all"
}

main "$@"
