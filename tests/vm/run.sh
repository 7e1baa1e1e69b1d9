#!/bin/sh
# vm tier: QEMU (TCG) boots of Debian's kernel; each scenario is a run boot that
# shuts down through its stage-4 program and a check boot that judges the disks.
# Prints PASS/FAIL/SKIP lines (tests/README.md). Run from the repo root after make.
# Usage: sh tests/vm/run.sh [SCENARIO...]
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

# --- assertions on what the run and check boots printed ----------------------------------

expect_exit() { # how the run boot must end: poweroff|reboot|halt
	case $RUNRC in
	124) why "guest did not stop within ${RUN_LIMIT}s"; return 0 ;;
	0 | 2) ;;
	*) why "qemu exited $RUNRC" ;;
	esac
	case $1 in
	poweroff) line='reboot: Power down' ;;
	reboot) line='reboot: Restarting system' ;;
	halt) line='reboot: System halted' ;;
	esac
	grep -q "$line" "$RUNLOG" || why "no '$line' on the console"
	if grep -q 'Kernel panic' "$RUNLOG"; then why "kernel panic"; fi
}

expect_verdict() { # KEY VALUE
	v=$(verdict_get "$CHECKLOG" "$1")
	[ "$v" = "$2" ] || why "$1=$v (want $2)"
}

expect_clean_disks() {
	expect_verdict fs_clean true
	expect_verdict fsck true
	expect_verdict token true
}

# md0 stopped after the exec of stage 4, by the kernel's own line (assembly
# in the initramfs prints one too; a superblock reading clean proves little)
expect_md_stopped() {
	awk '/vmtest: exec stage4/ {e = 1} e && /md: md0 stopped/ {f = 1} END {exit !f}' "$RUNLOG" ||
		why "md0 was not stopped before power-off"
}

expect_summary() { # KEY VALUE ...
	if ! grep -q 'shutdownfs: summary ' "$RUNLOG"; then
		why "no shutdownfs summary line"
		return 0
	fi
	while [ $# -ge 2 ]; do
		v=$(summary_get "$RUNLOG" "$1")
		[ "$v" = "$2" ] || why "summary $1=$v (want $2)"
		shift 2
	done
}

# names carry the kernel when it is not the default: vm-6.12-stack
VMTAG=$([ "$KERNEL" = 6.1 ] || echo "-$KERNEL")

report() { # NAME
	if [ -z "$WHY" ]; then
		echo "PASS vm$VMTAG-$1"
	else
		echo "FAIL vm$VMTAG-$1: $WHY (logs: $VM/logs/$1-*.log)"
	fi
	WHY=""
}

skip() { echo "SKIP vm$VMTAG-$1: $2"; }

need_binary() { # NAME: false (and SKIP) without build/shutdownfs
	have_binary && return 0
	skip "$1" "build/shutdownfs not built"
	return 1
}

# the binary says it has FEATURE (grep, never run it on the host)
binary_has() { grep -a -q -e "$1" build/shutdownfs; }

# --- scenarios --------------------------------------------------------------------------

# negative control: poweroff -f right after writes, no teardown: must be judged not clean
sc_control() {
	boot_pair control stack "vm.stage4=control vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	if [ "$(verdict_get "$CHECKLOG" fs_clean)" != false ]; then
		why "checker judged an unclean stop clean"
	fi
	report control
}

# positive control: a shell stand-in tears the stack down: must be judged clean
sc_standin() {
	boot_pair standin stack "vm.stage4=standin vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report standin
}

# native teardown: the skeleton's lvm/cryptsetup/mdadm hooks removed
sc_stack() {
	need_binary stack || return 0
	boot_pair stack stack "vm.stage4=shutdownfs vm.hooks=native vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_summary result clean md 1 dm 3 crypt_left 0 swapoff 1 left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report stack
}

# the shipped hooks (from the skeleton mkshutdownfs built) close the stack
sc_stack_hooks() {
	need_binary stack-hooks || return 0
	if [ ! -d "$VM/rootfs/usr/lib/shutdownfs/skel/hooks.d" ]; then
		skip stack-hooks "no skeleton with hooks (mkshutdownfs) in the guest root"
		return 0
	fi
	boot_pair stack-hooks stack "vm.stage4=shutdownfs vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_summary result clean crypt_left 0 hooks_failed 0 hooks_timeout 0 left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report stack-hooks
}

sc_plain() {
	need_binary plain || return 0
	boot_pair plain plain "vm.stage4=shutdownfs"
	expect_exit poweroff
	expect_summary result clean
	expect_clean_disks
	report plain
}

# The host filesystem is mounted under the root it backs (a cycle): shutdownfs
# may need a read-only remount and a lazy detach (result=degraded); what counts
# is that both filesystems end clean and the loop device is detached.
sc_loop_root() {
	need_binary loop-root || return 0
	boot_pair loop-root loop "vm.stage4=shutdownfs"
	expect_exit poweroff
	expect_summary loop 1 left 0 crypt_left 0 result clean
	expect_clean_disks
	report loop-root
}

sc_reboot() {
	need_binary reboot || return 0
	boot_pair reboot stack "vm.stage4=shutdownfs vm.action=reboot vm.swap=/dev/mapper/vg0-swap"
	expect_exit reboot
	expect_summary action reboot result clean
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report reboot
}

sc_halt() {
	need_binary halt || return 0
	boot_pair halt stack "vm.stage4=shutdownfs vm.action=halt vm.swap=/dev/mapper/vg0-swap"
	expect_exit halt
	expect_summary action halt result clean
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report halt
}

sc_exitrd() {
	need_binary exitrd || return 0
	boot_pair exitrd stack "vm.stage4=exitrd vm.sdtimeout=5s vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	grep -q 'systemd-shutdown\[1\]: ' "$RUNLOG" || why "systemd-shutdown did not run"
	grep -q 'shutdownfs: .*exitrd, the old root is at' "$RUNLOG" ||
		why "shutdownfs did not run as systemd's exitrd"
	expect_summary result clean crypt_left 0 left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report exitrd
}

# systemd-shutdown handing over to the stand-in: proves the exitrd plumbing of the rig
sc_exitrd_standin() {
	boot_pair exitrd-standin stack \
		"vm.stage4=exitrd vm.exitrd=standin vm.sdtimeout=5s vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	grep -q 'standin: stage 2 in ramfs' "$RUNLOG" || why "the exitrd /shutdown did not run"
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report exitrd-standin
}

# a suspended dm device (the extra LV) under a mounted filesystem
sc_suspend() {
	need_binary suspend || return 0
	if ! binary_has 'left suspended'; then
		skip suspend "build/shutdownfs does not resume suspended dm devices yet"
		return 0
	fi
	boot_pair suspend stack \
		"vm.stage4=shutdownfs vm.hooks=native vm.extra=1 vm.suspend=1 vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	grep -q 'vmtest: suspended vg0-extra' "$RUNLOG" || why "vg0-extra was not suspended"
	expect_summary result clean dm 4 md 1 crypt_left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report suspend
}

# LUKS on LVM: the crypt mapping goes before the LV under it
sc_luks_on_lvm() {
	need_binary luks-on-lvm || return 0
	boot_pair luks-on-lvm lol "vm.stage4=shutdownfs vm.hooks=native"
	expect_exit poweroff
	expect_summary result clean dm 2 crypt_left 0 left 0
	expect_clean_disks
	report luks-on-lvm
}

# LVM on LUKS: the LV goes before the crypt mapping under it
sc_lvm_on_luks() {
	need_binary lvm-on-luks || return 0
	boot_pair lvm-on-luks lul "vm.stage4=shutdownfs vm.hooks=native"
	expect_exit poweroff
	expect_summary result clean dm 2 crypt_left 0 left 0
	expect_clean_disks
	report lvm-on-luks
}

# a teardown hook that sleeps 1000 s: killed at hook_timeout, the stack still ends clean
sc_hung_hook() {
	need_binary hung-hook || return 0
	if ! binary_has 'hooks_timeout'; then
		skip hung-hook "build/shutdownfs has no hook timeouts yet"
		return 0
	fi
	boot_pair hung-hook stack \
		"vm.stage4=shutdownfs vm.hook=hang shutdownfs.hook_timeout=3 vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_summary result clean hooks_timeout 1 crypt_left 0 left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report hung-hook
}

# a wedged run (the hook stops the guardian, PID 1 waits on it): a watchdog resets
# the guest. QEMU's -no-reboot turns the reset into an exit; no "reboot:" line.
# Returns 1 when skipped.
watchdog_case() { # NAME QEMU-ARG...
	name=$1
	shift
	need_binary "$name" || return 1
	if ! binary_has 'WDIOC\|watchdog'; then
		skip "$name" "build/shutdownfs has no watchdog support yet"
		return 1
	fi
	boot_pair "$name" stack "vm.stage4=shutdownfs vm.hook=wedge shutdownfs.deadline=10 \
shutdownfs.hook_timeout=1000 shutdownfs.watchdog=auto vm.swap=/dev/mapper/vg0-swap" "$@"
	case $RUNRC in
	124) why "guest was not reset within ${RUN_LIMIT}s" ;;
	0) ;;
	*) why "qemu exited $RUNRC" ;;
	esac
	if grep -q 'reboot: \(Power down\|Restarting system\)' "$RUNLOG"; then
		why "the run ended by reboot(2), not by the watchdog"
	fi
}

sc_watchdog() {
	watchdog_case watchdog -device i6300esb || return 0
	grep -q 'shutdownfs: watchdog .*i6300ESB.*armed' "$RUNLOG" ||
		why "shutdownfs did not arm the i6300esb"
	report watchdog
}

sc_softdog() {
	watchdog_case softdog || return 0
	grep -q 'shutdownfs: watchdog .*Software Watchdog.*armed' "$RUNLOG" ||
		why "shutdownfs did not arm softdog"
	grep -q 'softdog: Initiating system reboot' "$RUNLOG" || why "softdog did not fire"
	report softdog
}

# shellcheck source=tests/vm/scenarios-layouts.sh
. tests/vm/scenarios-layouts.sh

ALL="control standin exitrd_standin stack stack_hooks plain loop_root reboot halt exitrd suspend
luks_on_lvm lvm_on_luks hung_hook watchdog softdog $LAYOUT_SCENARIOS"

# a rig that could not be prepared is a failure of the tier, not silence
PREPARED=""
on_exit() {
	[ -n "$PREPARED" ] ||
		echo "FAIL vm$VMTAG-setup: kernel, toolbox, root image or setup boot failed (stderr; $VM/logs/setup.log)"
}

main() {
	if [ "$(id -u)" != 0 ]; then
		skip all "needs root (packages, qemu disks)"
		return 0
	fi
	trap on_exit EXIT
	vm_prepare
	PREPARED=1
	if [ $# -eq 0 ]; then
		# shellcheck disable=SC2086
		set -- $ALL
	fi
	# shellcheck disable=SC2046 # a list of layout names
	layouts_prepare $(scenario_layouts "$@")
	scenarios_run "$@"
}

main "$@"
