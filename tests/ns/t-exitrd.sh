#!/bin/sh
# t-exitrd.sh — systemd's exitrd as a systemd machine makes it: /run mounted
# noexec (as Debian's initramfs-tools does), /run/initramfs prepared by
# systemd/exitrd-prepare.sh (the unit's ExecStop), then exactly what
# systemd-shutdown 252 does: bind /run/initramfs on itself, rbind /dev /proc
# /sys, bind /run, pivot_root with the old root at /oldroot, exec /shutdown
# with the argv and environment systemd 252 builds. Then the preparation's
# failure paths (no binary, a tmpfs too small, no skeleton, a read-only
# /run), each leaving no /run/initramfs/shutdown.
# The scenario fragments are single-quoted on purpose: they expand inside the
# namespace, not here.
# shellcheck disable=SC2016
set -u
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"

PREP=$TOP/systemd/exitrd-prepare.sh

base_data() {
	mkimg data
	cat >> "$W/pre.sh" <<S
mount -o loop "\$W/data.img" "\$R/data"
mkdir -p "\$R/usr/lib/shutdownfs"
cp "$PREP" "\$R/usr/lib/shutdownfs/exitrd-prepare"
echo skel-marker > "\$R/usr/lib/shutdownfs/skel/marker"
S
	cat >> "$W/post.sh" <<'S'
exec 1>&2
echo "$TOKEN" > /data/token
for a in awk du cut head printf mv env tr wc; do ln -sf busybox "/bin/$a"; done
mount -t tmpfs -o mode=0755,nosuid,nodev,noexec run /run
S
}

# systemd-shutdown's switch_root_initramfs() and execv("/shutdown", argv)
switch_root_initramfs() {
	cat >> "$W/post.sh" <<'S'
[ -x /run/initramfs/shutdown ] || { echo "no executable /run/initramfs/shutdown"; exit 97; }
mount --bind /run/initramfs /run/initramfs
mount --make-private /run/initramfs
for d in oldroot dev proc sys run; do mkdir -p "/run/initramfs/$d"; done
for d in dev proc sys; do mount --rbind "/$d" "/run/initramfs/$d"; done
mount --bind /run /run/initramfs/run
cd /run/initramfs
pivot_root . oldroot
S
}

# The argv systemd 252 builds (src/core/main.c become_shutdown), with the
# watchdog environment it sets.
ns_begin
base_data
echo 'sh /usr/lib/shutdownfs/exitrd-prepare' >> "$W/post.sh"
switch_root_initramfs
cat >> "$W/post.sh" <<'S'
exec env WATCHDOG_USEC=0 /shutdown poweroff --log-level=6 --timeout=90000000us \
	--log-target=kmsg --log-color --log-location --log-time
S
ns_run
judge ns/exitrd-systemd-252 "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'exitrd-prepare: /run/initramfs ready for systemd-shutdown'" \
	"check_log 'exitrd: systemd-shutdown handed over: log-level=6 log-target=kmsg timeout=90000000us'" \
	"check_log 'exitrd, the old root is at /oldroot'" \
	"check_summary action=poweroff result=clean left=0"
ns_end

# `systemctl exit 3` in a container: PID 1 ends with status 3 after the
# teardown; --timeout=1s caps the kill timeout.
ns_begin
base_data
echo 'sh /usr/lib/shutdownfs/exitrd-prepare' >> "$W/post.sh"
switch_root_initramfs
cat >> "$W/post.sh" <<'S'
exec /shutdown exit --log-level=6 --timeout=1s --log-target=console --exit-code=3
S
ns_run
judge ns/exitrd-exit-code "check_signal 3" check_images_clean "check_token data /token" \
	"check_log 'kill timeout 1000 ms, systemd'" "check_log 'ending the container with status 3'" \
	"check_summary action=poweroff result=clean left=0"
ns_end

# Old systemd's separate values: still a poweroff, not a bad second verb.
ns_begin
base_data
echo 'sh /usr/lib/shutdownfs/exitrd-prepare' >> "$W/post.sh"
switch_root_initramfs
cat >> "$W/post.sh" <<'S'
exec /shutdown poweroff --log-level 6 --timeout 90000000us --log-target kmsg
S
ns_run
judge ns/exitrd-separate-values "check_signal 130" check_images_clean \
	"check_summary action=poweroff result=clean left=0"
ns_end

# The preparation's failure paths, then the run systemd would do without us
# (its own path; here stage 1 of shutdownfs stands in for it).
# prep_case NAME ENV WANT: exitrd-prepare fails, says WANT, leaves no shutdown
prep_case() {
	ns_begin
	base_data
	cat >> "$W/post.sh" <<S
if env $2 sh /usr/lib/shutdownfs/exitrd-prepare; then echo "PREP-RC=0"; else echo "PREP-RC=\$?"; fi
if [ -e /run/initramfs/shutdown ]; then echo PREP-LEFT-SHUTDOWN; fi
if awk '\$5 == "/run/initramfs" { f = 1 } END { exit !f }' /proc/self/mountinfo; then echo PREP-LEFT-MOUNT; fi
S
	ns_run --kill-timeout 1 --deadline 30 poweroff
	judge "ns/exitrd-prepare-$1" "check_log 'PREP-RC=1'" \
		"if grep PREP-LEFT $W/log; then false; fi" "check_log '$3'" \
		"check_log 'systemd-shutdown keeps its own path'" "check_signal 130" check_images_clean
	ns_end
}
prep_case no-binary SHUTDOWNFS_BIN=/usr/sbin/nosuch 'nosuch: missing or not executable'
prep_case tmpfs-full SHUTDOWNFS_EXITRD_SIZE_K=64 'copying /usr/sbin/shutdownfs'
prep_case run-read-only SHUTDOWNFS_EXITRD_DIR=/sys/initramfs 'cannot create /sys/initramfs'

# The package's removal flag: nothing prepared. No skeleton: the exitrd holds
# the binary only, and still hands over. Run again: it replaces the first.
ns_begin
base_data
cat >> "$W/post.sh" <<'S'
: > /run/sk
SHUTDOWNFS_EXITRD_SKIP=/run/sk sh /usr/lib/shutdownfs/exitrd-prepare &&
	[ ! -e /run/initramfs/shutdown ] && [ ! -e /run/sk ] && echo PREP-SKIPPED
SHUTDOWNFS_SKEL=/usr/lib/shutdownfs/none sh /usr/lib/shutdownfs/exitrd-prepare
sh /usr/lib/shutdownfs/exitrd-prepare
n=$(awk '$5 == "/run/initramfs"' /proc/self/mountinfo | wc -l)
[ "$n" = 1 ] && echo PREP-ONE-MOUNT
[ -f /run/initramfs/marker ] && echo PREP-SKEL-COPIED
S
switch_root_initramfs
echo 'exec /shutdown reboot --log-level=6 --timeout=90000000us --log-target=kmsg' >> "$W/post.sh"
ns_run
judge ns/exitrd-prepare-skip-no-skel-again "check_signal 129" check_images_clean \
	"check_log PREP-SKIPPED" "check_log 'no skeleton at /usr/lib/shutdownfs/none'" "check_log PREP-ONE-MOUNT" \
	"check_log PREP-SKEL-COPIED" "check_summary action=reboot result=clean left=0"
ns_end
