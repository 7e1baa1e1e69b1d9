#!/bin/sh
# t-faults.sh — bad input and faults, as a careless admin, a broken hook or a
# device shared with the host would bring them, in a real run as PID 1 of a
# PID + mount namespace: a skeleton that does not fit the ramfs or fails to
# copy (too big, or changed while copied), hooks that unmount the ramfs's /proc, /sys, /dev, a loop device the
# host still has mounted.
# The scenario fragments are single-quoted on purpose: they expand inside the
# namespace, not here.
# shellcheck disable=SC2016
set -u
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"

SKEL_BIN='sh sleep cat echo umount mount grep true'

run_fast() { ns_run --kill-timeout 1 --deadline 30 "$@"; }

# base_data, skel_hooks, add_hook, check_no_log: tests/ns/lib.sh (SKEL_BIN above)

# A skeleton larger than ramfs_size gets what a refused one gets: a ramfs
# holding only shutdownfs, and the full run from it (not the fallback on
# the old root, which leaves "/" mounted read-only and runs no hooks).
ns_begin
base_data
cat >> "$W/pre.sh" <<'S'
mkdir -p "$R/skel/bin"
head -c 2097152 /dev/zero > "$R/skel/bin/big"
echo 'ramfs_size = 1M' > "$R/etc/shutdownfs.conf"
S
run_fast --skel /skel poweroff
judge ns/skel-too-big-for-ramfs "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'skeleton /skel: needs 2.[0-9] MiB of tmpfs with shutdownfs, ramfs_size is 1.0 MiB'" \
	"check_log 'going on with a ramfs holding only shutdownfs'" \
	"check_no_log 'tearing down from the old root'" "check_log 'stage 2 in the ramfs'" \
	"check_summary result=clean left=0"
ns_end

# A skeleton that passes the size check but does not fit when copied: a
# file whose size says 0 but which reads a few KiB (/proc/self/maps bound
# over it), in a tmpfs sized to the page for the rest. The copy stops with
# ENOSPC; the half-copied tree is removed and the run goes on from a ramfs
# holding only shutdownfs.
ns_begin
base_data
cat >> "$W/pre.sh" <<'S'
mkdir -p "$R/skel/bin"
: > "$R/skel/bin/grows"
mount --bind /proc/self/maps "$R/skel/bin/grows"
head -c 65536 /dev/zero > "$R/skel/bin/filler"
exe=$(stat -c %s "$R/usr/sbin/shutdownfs")
echo "ramfs_size = $(( (exe + 4095) / 4096 * 4096 + 65536 ))" > "$R/etc/shutdownfs.conf"
S
run_fast --skel /skel poweroff
judge ns/skel-copy-enospc "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'skeleton: copy: .*going on with a ramfs holding only shutdownfs'" \
	"check_no_log 'tearing down from the old root'" "check_log 'stage 2 in the ramfs'" \
	"check_summary result=clean left=0"
ns_end

# A skeleton file cut short while it is copied: its content ends before
# its size (a sysfs attribute bound over it: 4096 bytes by stat, a few by
# read), as a file truncated between the stat and the read looks. The copy
# must not take it as whole: the tree is refused as a whole (no hooks run,
# the ramfs holds only shutdownfs), and the run goes on from the ramfs, not
# from the old root. (Grown, deleted, the tree removed mid-copy:
# tests/unit/test-skel-copy.c, deterministic through its copy seam.)
ns_begin
base_data
add_hook pre-umount 10-marker 0755 <<'H'
#!/bin/sh
echo "hook from a half-copied skeleton ran"
H
skel_hooks
cat >> "$W/pre.sh" <<'S'
: > "$S/bin/short"
mount --bind /sys/kernel/uevent_seqnum "$S/bin/short"
S
run_fast poweroff
judge ns/skel-file-cut-short "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'skeleton: copy bin/short: changed while being copied'" \
	"check_log 'skeleton: copy: .*going on with a ramfs holding only shutdownfs, without hooks'" \
	"check_log 'ramfs: 1 files, 0 dirs, 0 symlinks'" "check_no_log 'hook from a half-copied skeleton ran'" \
	"check_no_log 'tearing down from the old root'" "check_log 'stage 2 in the ramfs'" \
	"check_summary result=clean hooks_ok=0 left=0"
ns_end

# Hooks that unmount the ramfs's API filesystems: the run mounts them again
# after the hook, so the next script hook (exec'ed through /proc/self/fd)
# runs and native teardown still reads the mount table and sysfs.
for how in 'umount /proc:proc' 'umount /proc /sys:proc-sys' 'umount -a:all'; do
	cmd=${how%:*}
	ns_begin
	base_data
	add_hook pre-umount 10-unmount 0755 <<H
#!/bin/sh
$cmd
echo "ran $cmd: \$?"
H
	add_hook pre-umount 20-next 0755 <<'H'
#!/bin/sh
grep -c . /proc/self/mountinfo > /dev/null && echo "next hook sees /proc"
H
	add_hook teardown 10-teardown 0755 <<'H'
#!/bin/sh
[ -d /sys/class/block ] && echo "teardown hook sees /sys"
echo x > /tmp/x && echo "teardown hook can write /tmp"
H
	skel_hooks
	run_fast poweroff
	judge "ns/hook-umount-${how#*:}" "check_signal 130" check_images_clean "check_token data /token" \
		check_loops_detached "check_log 'hook pre-umount/10-unmount: ran $cmd'" \
		"check_log 'hook pre-umount/20-next: next hook sees /proc'" \
		"check_log 'hook teardown/10-teardown: teardown hook sees /sys'" \
		"check_log 'hook teardown/10-teardown: teardown hook can write /tmp'" \
		"check_no_log 'cannot read the mount table'" \
		"check_summary result=clean hooks_ok=3 hooks_failed=0 left=0" \
		"check_log 'hook pre-umount/10-unmount: /proc was gone, mounted it again'"
	ns_end
done

# A loop device the host has mounted, bound into the namespace's tree: the
# run unmounts its bind but must not touch the device (no LOOP_CLR_FD, so
# no autoclear set on the host's loop device).
host_loop=
host_loop_setup() {
	mkdir -p "$W/hostmnt"
	host_loop=$(losetup -f --show "$W/data.img") || return 1
	mount "$host_loop" "$W/hostmnt" || return 1
}
host_loop_check() {
	n=${host_loop#/dev/}
	[ "$(cat "/sys/block/$n/loop/autoclear" 2>/dev/null)" = 0 ] ||
		{ echo "$host_loop: autoclear set by the run ($(losetup -l "$host_loop"))"; return 1; }
	grep -q " $W/hostmnt " /proc/self/mountinfo || { echo "host mount gone"; return 1; }
}
ns_begin
mkimg data
if host_loop_setup; then
	cat >> "$W/pre.sh" <<'S'
mount --bind "$W/hostmnt" "$R/data"
S
	echo 'echo "$TOKEN" > /data/token' >> "$W/post.sh"
	run_fast --verbose poweroff
	judge ns/loop-mounted-by-host-untouched "check_signal 130" host_loop_check \
		"check_log '${host_loop#/dev/} (.*data.img): in use outside this namespace, left alone'"
	umount "$W/hostmnt" 2>/dev/null || :
	judge ns/loop-mounted-by-host-data check_images_clean "check_token data /token"
else
	fail ns/loop-mounted-by-host-untouched "cannot attach and mount a loop device on the host"
	umount "$W/hostmnt" 2>/dev/null || :
fi
[ -z "$host_loop" ] || losetup -d "$host_loop" 2>/dev/null || :
ns_end
