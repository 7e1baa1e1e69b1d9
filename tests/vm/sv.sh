#!/bin/sh
# sv.sh — the Debian sysvinit scenarios' rig: a Debian 12 root built by
# mmdebstrap (debroot.sh) with sysvinit-core (sysv-rc, initscripts), udev,
# lvm2, cryptsetup, mdadm and the shutdownfs .deb (sd.sh's sd_deb), no
# systemd-sysv; guest/sv-customize sets up shutdownfs-handover as
# docs/init-sysvinit.md tells a user. It boots on md RAID1 -> LUKS2 -> LVM
# made by the same setup boot as the systemd root (guest/sdinit), with
# Debian's /sbin/init as PID 1 running its own /etc/init.d/rc. Sourced by
# run.sh after lib.sh and sd.sh.
# shellcheck shell=sh

SV_PKGS="sysvinit-core udev lvm2 cryptsetup mdadm e2fsprogs kmod busybox-static binutils"
SV_RUN_LIMIT=${SV_RUN_LIMIT:-400}
SV_CHECK_LIMIT=${SV_CHECK_LIMIT:-120}

# md members of the stack, made once per root image by a setup boot
sv_disks() {
	SV_P=$VM/sv/pristine
	h=$(inputs_hash "$(cat "$SV_ROOT.stamp")" "$(cat "$SD_INITRD.stamp")")
	stamp_ok "$SV_P" "$h" && return 0
	msg "building the sysvinit scenarios' disks (setup boot)"
	rm -rf "$SV_P"
	mkdir -p "$SV_P"
	mb=$(($(stat -c %s "$SV_ROOT") / 1048576 + 64))
	for d in md0 md1; do truncate -s "${mb}M" "$SV_P/$d.img"; done
	sd_boot "$VM/logs/sv-setup.log" 900 "vm.mode=sdsetup" "$SV_P/md0.img" "$SV_P/md1.img" \
		"ro:$SV_ROOT" || die "setup boot did not finish (see $VM/logs/sv-setup.log)"
	grep -q 'vmtest: SDSETUP-OK' "$VM/logs/sv-setup.log" ||
		die "setup boot failed (see $VM/logs/sv-setup.log)"
	stamp_set "$SV_P" "$h"
}

sv_prepare() {
	# shellcheck disable=SC2086 # a list of package names
	pkg_ensure $HOST_PKGS
	mkdir -p "$VM/logs" "$VM/sd" "$VM/sv"
	kernel_fetch
	box_build
	INITRD=${INITRD:-$VM/initrd.cpio}
	sd_initrd
	sd_deb
	SV_ROOT=$(debroot_image sysv "$SV_PKGS $SD_DEB" "$VMSRC/guest/sv-customize")
	[ -f "$SV_ROOT" ] || die "no Debian sysvinit root image"
	sv_disks
}

# sv_boot_pair NAME CMDLINE: a run boot to runlevel 2, where the inittab's
# scenario line types the command, then a check boot on the same disks.
sv_boot_pair() {
	extra=$2
	deb_boot_pair "$1" "$SV_P" "$SV_RUN_LIMIT" "$SV_CHECK_LIMIT" "$SD_KARGS $extra"
}

# guest ms from the user's command to the kernel's power-down/restart line
sv_shutdown_ms() {
	a=$(ts_ms "$RUNLOG" 'vmtest: the user types')
	b=$(ts_ms "$RUNLOG" 'reboot: \(Power down\|Restarting system\)')
	[ -n "$a" ] && [ -n "$b" ] && echo $((b - a))
}

# --- scenarios (assertions from run.sh) ---------------------------------------------

# Debian's sysvinit booted, with its own rc, and no systemd in the root
expect_sv_boot() {
	grep -q 'vmtest: runlevel N 2 reached at .*; PID 1 is /usr/sbin/init;' "$RUNLOG" ||
		why "runlevel 2 not reached with sysvinit's /sbin/init as PID 1"
	grep -q 'vmtest: systemd installed: no' "$RUNLOG" || why "systemd is installed in the root"
	grep -q 'vmtest: systemd installed: no; rc0.d: .*K[0-9]*shutdownfs-handover' "$RUNLOG" ||
		why "update-rc.d did not link shutdownfs-handover into rc0.d"
	grep -q 'vmtest: holder [0-9]* writes /var/tmp/held' "$RUNLOG" || why "no writer on the root"
}

# after the handover: the writer killed, the root unmounted (not only
# remounted read-only), the LUKS mapping removed, md0 stopped
expect_sv_teardown() {
	h='shutdownfs: handover: action [a-z]* from /run/shutdownfs.handover/action'
	grep -q "$h" "$RUNLOG" || why "shutdownfs did not read the helper's action"
	# the writer outlived sendsigs and died of shutdownfs's SIGTERM
	awk -v h="$h" '$0 ~ h {e = 1} /vmtest: holder: SIGTERM/ {f = e; exit} END {exit !f}' "$RUNLOG" ||
		why "the writer on the root was not alive at the handover, or not killed after it"
	awk -v h="$h" '$0 ~ h {e = 1} e && /shutdownfs: sent SIGTERM to [0-9]+ processes/ {f = 1}
		END {exit !f}' "$RUNLOG" || why "shutdownfs killed nothing"
	awk -v h="$h" '$0 ~ h {e = 1} e && /EXT4-fs \(dm-[0-9]+\): unmounting filesystem/ {f = 1}
		END {exit !f}' "$RUNLOG" || why "the root was not unmounted after the handover"
	awk -v h="$h" '$0 ~ h {e = 1} e && /shutdownfs: dm-[0-9]* \(md0_crypt\): removed, key wiped/ {f = 1}
		END {exit !f}' "$RUNLOG" || why "md0_crypt was not removed after the handover"
	awk -v h="$h" '$0 ~ h {e = 1} e && /md: md0 stopped/ {f = 1} END {exit !f}' "$RUNLOG" ||
		why "md0 was not stopped after the handover"
}

# Debian's rc ran runlevel 0/6's K scripts up to ours (sendsigs before the
# handover) and none after it (umountfs, cryptdisks, halt/reboot)
expect_sv_rc() { # RUNLEVEL
	grep -q "INIT: Switching to runlevel: $1" "$RUNLOG" || why "init did not switch to runlevel $1"
	awk '/vmtest: the user types/ {u = 1} u && /Asking all remaining processes to terminate/ {s = 1}
		s && /shutdownfs: handover: asked sysvinit to re-exec/ {f = 1} END {exit !f}' "$RUNLOG" ||
		why "sendsigs did not run before the handover"
	late=$(awk '/vmtest: the user types/ {u = 1}
		u && /Deactivating swap|Unmounting local filesystems|crypto disks|Will now (halt|restart)/' "$RUNLOG")
	[ -z "$late" ] || why "K scripts after the handover ran: $(echo "$late" | tr '\n' ';')"
}

sysvinit_deb_case() { # NAME SVCMD ACTION RUNLEVEL
	need_binary "$1" || return 0
	sv_boot_pair "$1" "vm.svcmd=$2 ${SV_EXTRA:-}"
	expect_exit "$3"
	expect_sv_boot
	grep -q "vmtest: the user types /sbin/" "$RUNLOG" || why "the user's command did not run"
	grep -q 'shutdownfs: handover: asked sysvinit to re-exec through /run/initctl' "$RUNLOG" ||
		why "the rc script did not hand over"
	grep -q "shutdownfs: sysvinit state on fd 11: [0-9]* bytes, runlevel $4, closed" "$RUNLOG" ||
		why "shutdownfs did not read sysvinit's state on fd 11"
	expect_sv_rc "$4"
	expect_sv_teardown
	expect_summary action "$3" result clean crypt_left 0 left 0
	expect_clean_disks
	expect_verdict md_clean true
	report "$1"
	msg "$1: shutdown $(sv_shutdown_ms || echo '?') ms guest time; verdict: $(grep -a -o 'VERDICT {.*}' "$CHECKLOG")"
}
sc_sysvinit_deb_shutdown_h() { sysvinit_deb_case sysvinit-deb-shutdown-h shutdown-h poweroff 0; }
sc_sysvinit_deb_reboot() { sysvinit_deb_case sysvinit-deb-reboot reboot reboot 6; }

# reference row, same disks: Debian's sysvinit alone (the user took the
# script out with update-rc.d): its own K scripts stop the machine; the row
# passes when they ran and shutdownfs did not, and notes what they left
sc_sysvinit_deb_alone() {
	sv_boot_pair sysvinit-deb-alone "vm.svcmd=shutdown-h vm.svalone=1"
	expect_exit poweroff
	expect_sv_boot
	grep -q 'vmtest: shutdownfs-handover removed; rc0.d: ' "$RUNLOG" || why "the script was not removed"
	if grep -q 'vmtest: shutdownfs-handover removed; rc0.d: .*shutdownfs' "$RUNLOG"; then
		why "update-rc.d left a link"
	fi
	if grep -q 'shutdownfs: ' "$RUNLOG"; then why "shutdownfs ran though its script was removed"; fi
	grep -q 'Will now halt' "$RUNLOG" || why "Debian's halt script did not run"
	report sysvinit-deb-alone
	md=no luks=no
	if awk '/vmtest: the user types/ {e = 1} e && /md: md0 stopped/ {f = 1} END {exit !f}' "$RUNLOG"; then md=yes; fi
	if grep -q 'md0_crypt.*\(stopped\|closed\|removed\)' "$RUNLOG"; then luks=yes; fi
	msg "sysvinit-deb-alone: shutdown $(sv_shutdown_ms || echo '?') ms guest time; md0 stopped: $md; md0_crypt closed: $luks; $(grep -a -o 'Stopping remaining crypto disks.*' "$RUNLOG" | head -n 1); verdict: $(grep -a -o 'VERDICT {.*}' "$CHECKLOG")"
}
