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
# tmpfs size in KiB; default: what is copied, plus a quarter, plus 1 MiB
size_k=${SHUTDOWNFS_EXITRD_SIZE_K:-}
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

me=exitrd-prepare
mounted=0

msg() { printf '%s: %s\n' "$me" "$*"; }

# Undo a half-made exitrd and say why systemd keeps its own path.
fail() {
	if [ "$mounted" -eq 1 ]; then
		umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null || rm -f "$dir/shutdown"
	fi
	msg "$*; no $dir/shutdown, systemd-shutdown keeps its own path" >&2
	exit 1
}

# busybox's date may lack %N: /proc/uptime has centiseconds everywhere
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

is_mountpoint() {
	awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# An exitrd made earlier in this boot (the unit restarted): replace it.
drop_old() {
	if is_mountpoint "$dir"; then
		umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null ||
			fail "cannot unmount the $dir mounted earlier"
	fi
}

sizes() {
	bin_k=$((($(wc -c < "$bin") + 1023) / 1024))
	skel_k=0
	if [ -d "$skel" ]; then
		skel_k=$(du -sk -- "$skel" | cut -f1)
	else
		msg "no skeleton at $skel (run mkshutdownfs): the exitrd holds only shutdownfs, no hooks" >&2
	fi
	[ -n "$size_k" ] || size_k=$(((bin_k + skel_k) * 5 / 4 + 1024))
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
	sizes
	drop_old
	mkdir -p -- "$dir" 2>/dev/null || fail "cannot create $dir (is /run full or read-only?)"
	# not noexec: systemd-shutdown checks access(shutdown, X_OK) and
	# Debian's initramfs-tools mounts /run noexec
	mount -t tmpfs -o "mode=0755,nosuid,nodev,size=${size_k}k" shutdownfs-exitrd "$dir" ||
		fail "cannot mount a tmpfs on $dir"
	mounted=1
	t1=$(now_ms)
	if [ -d "$skel" ]; then
		err=$(cp -a -- "$skel/." "$dir/" 2>&1) || fail "copying $skel: $(printf '%s' "$err" | head -n 1)"
	fi
	# /shutdown last, and atomically: a half-copied one must never be run
	if ! err=$(cp -- "$bin" "$dir/.shutdown.new" 2>&1 && chmod 0755 "$dir/.shutdown.new" &&
		mv -f -- "$dir/.shutdown.new" "$dir/shutdown" 2>&1); then
		fail "copying $bin: $(printf '%s' "$err" | head -n 1)"
	fi
	# proves what systemd-shutdown will need: exec from there (not PID 1,
	# so the binary only prints its version)
	"$dir/shutdown" --version >/dev/null 2>&1 || fail "$dir/shutdown does not run"
	t2=$(now_ms)
	msg "$dir ready for systemd-shutdown: skeleton ${skel_k} KiB + shutdownfs ${bin_k} KiB, copied in $((t2 - t1)) ms, $((t2 - t0)) ms in all"
}

main "$@"
