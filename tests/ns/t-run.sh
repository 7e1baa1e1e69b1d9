#!/bin/sh
# t-run.sh — the run as PID 1 of a PID + mount namespace: each action, nested
# and bind mounts, stragglers, loop-in-loop, a mount held from outside, exitrd
# mode, bad skeletons and configs (a ramfs too small for the skeleton is in
# t-faults.sh).
# The scenario fragments are single-quoted on purpose: they expand inside the
# namespace, not here.
# shellcheck disable=SC2016
set -u
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"

# short grace and deadline: the namespace has few processes
run_fast() { ns_run --kill-timeout 1 --deadline 30 "$@"; }


# Every action ends the namespace's PID 1 with the signal reboot(2) maps it to.
for a in poweroff:130 reboot:129 halt:130 kexec:129; do
	act=${a%%:*}
	ns_begin
	base_data
	run_fast "$act"
	judge "ns/action-$act" "check_signal ${a#*:}" check_images_clean \
		"check_token data /token" check_loops_detached \
		"check_summary action=$act result=clean left=0"
	ns_end
done

# Mounts nested four deep, each its own image; a file in the deepest.
ns_begin
nested_four
echo 'echo "$TOKEN" > /data/a/b/c/token' >> "$W/post.sh"
run_fast poweroff
judge ns/nested-4-deep "check_signal 130" check_images_clean "check_token n4 /token" \
	check_loops_detached "check_summary result=clean left=0"
ns_end

# A bind mount of a submount, elsewhere in the tree.
ns_begin
mkimg outer 8
mkimg sub 8
cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/outer.img" "$R/data"
mkdir -p "$R/data/sub" && mount -o loop "$W/sub.img" "$R/data/sub"
mkdir -p "$R/mnt/bind" && mount --bind "$R/data/sub" "$R/mnt/bind"
S
echo 'echo "$TOKEN" > /mnt/bind/token' >> "$W/post.sh"
run_fast poweroff
judge ns/bind-of-submount "check_signal 130" check_images_clean "check_token sub /token" \
	check_loops_detached "check_summary result=clean left=0"
ns_end

# A straggler ignores SIGTERM and holds a file open for writing.
ns_begin
base_data
cat >> "$W/post.sh" <<'S'
sh -c 'trap "" TERM; exec 3>>/data/held; echo "$TOKEN" >&3; while :; do sleep 1; done' &
sleep 0.2
S
run_fast poweroff
judge ns/straggler-ignores-sigterm "check_signal 130" check_images_clean \
	"check_token data /held" check_loops_detached \
	"check_summary result=clean left=0" "check_log 'killing [0-9]* (sh) holding /data/held'"
ns_end

# A filesystem on a loop file that lives inside another loop-mounted one.
ns_begin
mkimg outer 48
cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/outer.img" "$R/data"
truncate -s 16M "$R/data/inner.img"
mkfs.ext4 -q -F "$R/data/inner.img"
mkdir -p "$R/mnt/inner"
mount -o loop "$R/data/inner.img" "$R/mnt/inner"
S
echo 'echo "$TOKEN" > /mnt/inner/token' >> "$W/post.sh"
run_fast poweroff
check_inner() {
	debugfs -R "dump /inner.img $W/inner.img" "$W/outer.img" 2>/dev/null
	e2fsck -fn "$W/inner.img" > /dev/null 2>&1 || { echo "inner e2fsck failed"; return 1; }
	[ "$(debugfs -R 'cat /token' "$W/inner.img" 2>/dev/null)" = "$TOKEN" ] || { echo "inner token missing"; return 1; }
}
judge ns/loop-in-loop "check_signal 130" check_images_clean check_inner check_loops_detached \
	"check_summary result=clean left=0"
ns_end

# A mount held from outside the namespace (a process in its mount namespace
# but not its PID namespace, so it cannot be killed): read-only + detached,
# result=degraded, and the reboot still comes within bounds.
ns_begin
base_data
cat >> "$W/pre.sh" <<'S'
echo ready > "$W/ready"
read -r _go < "$W/go"
S
mkfifo "$W/ready" "$W/go"
hold_from_outside() {
	read -r _r < "$W/ready"
	# timeout -> unshare -> the namespace's PID 1
	init=$(cut -d' ' -f1 "/proc/$NS_PID/task/$NS_PID/children" 2>/dev/null)
	init=$(cut -d' ' -f1 "/proc/$init/task/$init/children" 2>/dev/null)
	nsenter --target "$init" --mount sh -c "cd '$R/data' && exec sleep 120" &
	HOLDER=$!
	sleep 0.3
	echo go > "$W/go"
}
# shellcheck disable=SC2034 # read by ns_run in lib.sh
NS_AFTER_START=hold_from_outside
run_fast poweroff
# shellcheck disable=SC2034
NS_AFTER_START=
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
sleep 0.2
judge ns/held-from-outside "check_signal 130" "check_summary result=degraded" check_images_clean \
	"check_log 'remounted read-only'" "check_log 'detached, superblock still referenced'" \
	"[ $NS_MS -lt 20000 ] || echo 'took $NS_MS ms'"
ns_end

# exitrd: what systemd-shutdown does — /run/initramfs bind-mounted on itself,
# /dev /proc /sys rbind-mounted and /run bind-mounted into it, pivot_root
# with the old root at /oldroot, exec /shutdown VERB with its own options.
ns_begin
base_data
cat >> "$W/post.sh" <<'S'
mount -t tmpfs -o mode=0755 run /run
mkdir -p /run/initramfs
cp /usr/sbin/shutdownfs /run/initramfs/shutdown
mount --bind /run/initramfs /run/initramfs
for d in oldroot dev proc sys run; do mkdir -p "/run/initramfs/$d"; done
for d in dev proc sys; do mount --rbind "/$d" "/run/initramfs/$d"; done
mount --bind /run /run/initramfs/run
cd /run/initramfs
pivot_root . oldroot
exec /shutdown poweroff --log-level=info --log-target=kmsg --timeout=90000000us --exit-code=0
S
ns_run
judge ns/exitrd "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'exitrd, the old root is at /oldroot'" \
	"check_summary action=poweroff result=clean left=0"
ns_end

# No skeleton: said so, and the run goes on with a ramfs holding only us.
ns_begin
base_data
run_fast --skel /no/such/skel poweroff
judge ns/skel-missing "check_signal 130" check_images_clean "check_token data /token" \
	"check_log 'skeleton /no/such/skel: missing'" "check_summary result=clean left=0"
ns_end

# A world-writable skeleton is refused, naming the offending path.
ns_begin
base_data
cat >> "$W/pre.sh" <<'S'
mkdir -p "$R/skel/hooks.d/final"
chmod 0777 "$R/skel/hooks.d"
S
run_fast --skel /skel poweroff
judge ns/skel-world-writable "check_signal 130" check_images_clean "check_token data /token" \
	"check_log 'skeleton /skel: .*hooks.d'" "check_summary result=clean left=0"
ns_end

# A config file full of garbage: warnings, defaults, a clean run.
ns_begin
base_data
cat >> "$W/pre.sh" <<'S'
{
	echo 'deadline = soon'
	echo 'no equals sign here'
	echo 'kill_timeout = 1'
	printf 'verbose = yes\000binary\n'
	head -c 70000 /dev/zero | tr '\0' 'x'; echo
	i=0; while [ $i -lt 300 ]; do echo "unknown_$i = $i"; i=$((i + 1)); done
	head -c 4096 /dev/urandom
} > "$R/etc/shutdownfs.conf"
chmod 0644 "$R/etc/shutdownfs.conf"
S
ns_run --deadline 30 poweroff
judge ns/config-garbage "check_signal 130" check_images_clean "check_token data /token" \
	"check_log 'shutdownfs.conf:1: bad value'" "check_log 'shutdownfs.conf:2: expected key = value'" \
	"check_log 'more warnings suppressed'" "check_summary result=clean left=0"
ns_end

# A config writable by others is ignored as a whole.
ns_begin
base_data
cat >> "$W/pre.sh" <<'S'
echo 'kill_timeout = 1' > "$R/etc/shutdownfs.conf"
chmod 0666 "$R/etc/shutdownfs.conf"
S
ns_run --deadline 30 poweroff
judge ns/config-unsafe-ignored "check_signal 130" check_images_clean \
	"check_log 'shutdownfs.conf: not root-owned or writable by group or others, ignoring it'"
ns_end

# PID 1 asked for --help (or plan): it prints, and still ends in a reboot.
ns_begin
base_data
run_fast --help
judge ns/pid1-help-reboots "check_signal 129" check_images_clean "check_token data /token" \
	"check_log 'PID 1 cannot return: rebooting'" "check_summary action=reboot result=clean"
ns_end

# `exec shutdown poweroff` through a symlink named shutdown, with no /oldroot
# mount: not an exitrd handover, so stage 1 runs.
ns_begin
base_data
echo 'ln -s /usr/sbin/shutdownfs /bin/shutdown && exec /bin/shutdown --kill-timeout 1 poweroff' >> "$W/post.sh"
ns_run
judge ns/shutdown-symlink-not-exitrd "check_signal 130" check_images_clean "check_token data /token" \
	"check_log 'no mount point: running stage 1'" "check_summary result=clean left=0"
ns_end

# An init that ran `umount -a` took /proc and /sys with it, and ignored
# SIGCHLD: the run mounts what it needs and resets its signals.
ns_begin
base_data
cat >> "$W/post.sh" <<'S'
umount /proc /sys
trap '' CHLD
S
run_fast poweroff
judge ns/no-proc-sigchld-ignored "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_summary result=clean left=0"
ns_end
