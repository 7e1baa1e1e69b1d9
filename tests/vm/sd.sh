#!/bin/sh
# sd.sh — the systemd scenarios' rig: a Debian 12 root built by mmdebstrap
# (debroot.sh) with systemd as PID 1, udev, lvm2, cryptsetup, mdadm and the
# shutdownfs .deb installed by apt as the README says (its postinst enables
# shutdownfs-exitrd.service and builds the skeleton), on md RAID1 -> LUKS2 ->
# LVM (root ext4 + swap LV) made by a setup boot; the rig's kernel and
# toolbox, with guest/sdinit as the initramfs's /init. Sourced by run.sh
# after lib.sh.
# shellcheck shell=sh

# shellcheck source=tests/vm/debroot.sh
. "$VMSRC/debroot.sh"

# dracut too: its dracut-shutdown.service and mdadm's mdadm-shutdown.service
# (active when dracut is installed) both claim /run/initramfs at shutdown,
# and must yield to shutdownfs-exitrd.service
SD_PKGS="systemd systemd-sysv udev lvm2 cryptsetup mdadm e2fsprogs kmod busybox-static binutils dracut"
SD_RUN_LIMIT=${SD_RUN_LIMIT:-400}
SD_CHECK_LIMIT=${SD_CHECK_LIMIT:-120}
SD_MEM=${SD_MEM:-1024}
# TCG on a loaded host runs the guest many times slower than real hardware
# (a 2 s lvm hook was once stuck 100 s in the kernel clearing pages): the
# deadline and hook timeouts of the run are widened, not its steps changed
SD_SLOW=${SD_SLOW:-shutdownfs.deadline=300 shutdownfs.hook_timeout=120}
# Every row boots without transparent huge pages: under TCG each huge-page
# fault clears 2 MiB with an emulated `rep stosb`, and lvm in the shipped
# hook sat 100 s in the kernel that way (soft lockups, reading
# /proc/PID/cmdline into a fresh buffer) in 2 of 4 runs; 2 s in the others.
SD_KARGS=${SD_KARGS:-transparent_hugepage=never}

# The package, built as tests/unit/deb.sh does (a copy of the tree, so the
# outputs stay out of the worktree's parent), cached by a hash of what goes in.
sd_deb() {
	SD_DEB=$VM/sd/shutdownfs.deb
	h=$(inputs_hash build/shutdownfs mkshutdownfs.sh Makefile docs/shutdownfs.8 \
		docs/mkshutdownfs.8 docs/shutdownfs.conf.5 docs/shutdownfs.conf \
		"$(tree_hash debian)" "$(tree_hash systemd)" "$(tree_hash hooks.d)" "$(tree_hash ramfs-skel)")
	stamp_ok "$SD_DEB" "$h" && [ -f "$SD_DEB" ] && return 0
	pkg_ensure dpkg-dev debhelper
	msg "building the shutdownfs package"
	t=$VM/sd/debbuild
	rm -rf "$t"
	mkdir -p "$t/src/build/deps"
	tar --exclude=./build --exclude=./.git -cf - . | (cd "$t/src" && tar xf -)
	cp -a build/deps/include build/deps/lib build/deps/.stamp "$t/src/build/deps/"
	(cd "$t/src" && dpkg-buildpackage -us -uc -b) > "$VM/sd/deb.log" 2>&1 ||
		die "dpkg-buildpackage failed (see $VM/sd/deb.log)"
	cp "$t"/shutdownfs_*.deb "$SD_DEB"
	rm -rf "$t"
	stamp_set "$SD_DEB" "$h"
}

# the rig's toolbox with sdinit as /init
sd_initrd() {
	SD_INITRD=$VM/sd/initrd.cpio
	h=$(inputs_hash "$(cat "$BOX.stamp")" "$VMSRC/guest/sdinit")
	stamp_ok "$SD_INITRD" "$h" && [ -f "$SD_INITRD" ] && return 0
	rm -rf "$VM/sd/initrd.d"
	cp -a "$BOX" "$VM/sd/initrd.d"
	rm -f "$VM/sd/initrd.d/shutdown"
	install -m 0755 "$VMSRC/guest/sdinit" "$VM/sd/initrd.d/init"
	(cd "$VM/sd/initrd.d" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) \
		> "$SD_INITRD.tmp" || die "cpio failed"
	mv "$SD_INITRD.tmp" "$SD_INITRD"
	rm -rf "$VM/sd/initrd.d"
	stamp_set "$SD_INITRD" "$h"
}

# boots with our initramfs and more memory than the rig's busybox guests
sd_boot() { # LOG LIMIT APPEND DISK...
	INITRD_SAVED=$INITRD VM_MEM_SAVED=$VM_MEM
	INITRD=$SD_INITRD VM_MEM=$SD_MEM
	vm_boot "$@" && sd_rc=0 || sd_rc=$?
	INITRD=$INITRD_SAVED VM_MEM=$VM_MEM_SAVED
	return "$sd_rc"
}

# md members of the stack, made once per root image by a setup boot
sd_disks() {
	SD_P=$VM/sd/pristine
	h=$(inputs_hash "$(cat "$SD_ROOT.stamp")" "$(cat "$SD_INITRD.stamp")")
	stamp_ok "$SD_P" "$h" && return 0
	msg "building the systemd scenarios' disks (setup boot)"
	rm -rf "$SD_P"
	mkdir -p "$SD_P"
	mb=$(($(stat -c %s "$SD_ROOT") / 1048576 + 64))
	for d in md0 md1; do truncate -s "${mb}M" "$SD_P/$d.img"; done
	sd_boot "$VM/logs/sd-setup.log" 900 "vm.mode=sdsetup" "$SD_P/md0.img" "$SD_P/md1.img" \
		"ro:$SD_ROOT" || die "setup boot did not finish (see $VM/logs/sd-setup.log)"
	grep -q 'vmtest: SDSETUP-OK' "$VM/logs/sd-setup.log" ||
		die "setup boot failed (see $VM/logs/sd-setup.log)"
	stamp_set "$SD_P" "$h"
}

sd_prepare() {
	# shellcheck disable=SC2086 # a list of package names
	pkg_ensure $HOST_PKGS
	mkdir -p "$VM/logs" "$VM/sd"
	kernel_fetch
	box_build
	INITRD=${INITRD:-$VM/initrd.cpio}
	sd_initrd
	sd_deb
	# sd-customize builds dracut's initramfs for the rig's kernel
	SD_KDIR=$KDIR DEBROOT_HASH_EXTRA="kernel $(cat "$KDIR/.pkg")"
	export SD_KDIR
	SD_ROOT=$(debroot_image sysd "$SD_PKGS $SD_DEB" "$VMSRC/guest/sd-customize")
	unset DEBROOT_HASH_EXTRA
	[ -f "$SD_ROOT" ] || die "no Debian root image"
	sd_disks
}

# deb_boot_pair NAME PRISTINE RUN-LIMIT CHECK-LIMIT CMDLINE: a run boot of a
# Debian root on copies of the md members in PRISTINE, then a check boot on
# the same disks. Sets RUNLOG CHECKLOG RUNRC CHECKRC, like boot_pair.
# shellcheck disable=SC2034 # RUNRC and friends are read by the callers
deb_boot_pair() {
	name=$1
	work=$VM/work/$name
	rm -rf "$work"
	mkdir -p "$work"
	RUNLOG=$VM/logs/$name-run.log CHECKLOG=$VM/logs/$name-check.log
	token=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for d in md0 md1; do cp --reflink=auto --sparse=always "$2/$d.img" "$work/$d.img"; done
	VM_SHOW=${VM_TAIL:-}
	sd_boot "$RUNLOG" "$3" "vm.mode=sdrun vm.token=$token $5" \
		"$work/md0.img" "$work/md1.img" && RUNRC=0 || RUNRC=$?
	VM_SHOW=""
	sd_boot "$CHECKLOG" "$4" "vm.mode=sdcheck vm.token=$token" \
		"$work/md0.img" "$work/md1.img" && CHECKRC=0 || CHECKRC=$?
	rm -rf "$work"
	grep -q 'VERDICT {' "$CHECKLOG" || why "check boot gave no verdict (rc $CHECKRC)"
}

# sd_boot_pair NAME CMDLINE: the systemd root to multi-user.target and
# `systemctl poweroff`, then the check boot.
sd_boot_pair() {
	extra=$2
	deb_boot_pair "$1" "$SD_P" "$SD_RUN_LIMIT" "$SD_CHECK_LIMIT" \
		"systemd.firstboot=off $SD_KARGS $extra"
}

# kernel ms of a log's first line matching PATTERN, wherever on the line
# the timestamp is: the serial console interleaves the getty's prompt
# (`vmsd login: [  123.046693] vmtest: ...`), which ts_ms does not read
sd_ts_ms() { # LOG PATTERN
	grep -a -m 1 -e "$2" "$1" | grep -o '\[ *[0-9]*\.[0-9]\{3\}' | head -n 1 |
		tr -d '[ .' | sed 's/^0*\([0-9]\)/\1/'
}

# guest ms from `systemctl poweroff` to the kernel's power-down line
sd_shutdown_ms() {
	a=$(sd_ts_ms "$RUNLOG" 'vmtest: exec stage4=systemctl')
	b=$(sd_ts_ms "$RUNLOG" 'reboot: \(Power down\|Restarting system\)')
	[ -n "$a" ] && [ -n "$b" ] && echo $((b - a))
}
