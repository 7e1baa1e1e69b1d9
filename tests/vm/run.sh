#!/bin/sh
# vm tier: QEMU (TCG) boots of Debian's kernel; each scenario is a run boot that
# shuts down through its stage-4 program and a check boot that judges the disks.
# Prints PASS/FAIL/SKIP lines (tests/README.md). Run from the repo root after make.
# Usage: sh tests/vm/run.sh [SCENARIO...]
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

RUN_LIMIT=${RUN_LIMIT:-150}
CHECK_LIMIT=${CHECK_LIMIT:-120}

# --- one scenario: run boot, check boot, and what they printed -------------------------

WHY=""
why() { WHY="$WHY${WHY:+; }$*"; }

# boot_pair NAME LAYOUT CMDLINE [QEMU-ARG...]: sets RUNLOG CHECKLOG RUNRC CHECKRC
boot_pair() {
	name=$1 layout=$2 extra=$3
	shift 3
	work=$VM/work/$name
	rm -rf "$work"
	RUNLOG=$VM/logs/$name-run.log CHECKLOG=$VM/logs/$name-check.log
	token=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
	disks=$(layout_disks "$layout" "$work")
	# shellcheck disable=SC2086 # disk paths (no spaces) and qemu args
	vm_boot "$RUNLOG" "$RUN_LIMIT" "vm.mode=run vm.layout=$layout vm.token=$token $extra" \
		$disks "$@" && RUNRC=0 || RUNRC=$?
	# shellcheck disable=SC2086
	vm_boot "$CHECKLOG" "$CHECK_LIMIT" "vm.mode=check vm.layout=$layout vm.token=$token" \
		$disks && CHECKRC=0 || CHECKRC=$?
	rm -rf "$work"
	grep -q 'VERDICT {' "$CHECKLOG" || why "check boot gave no verdict (rc $CHECKRC)"
}

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

report() { # NAME
	if [ -z "$WHY" ]; then
		echo "PASS vm-$1"
	else
		echo "FAIL vm-$1: $WHY (logs: $VM/logs/$1-*.log)"
	fi
	WHY=""
}

skip() { echo "SKIP vm-$1: $2"; }

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
	report standin
}

sc_stack() {
	need_binary stack || return 0
	boot_pair stack stack "vm.stage4=shutdownfs vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_summary result clean md 1 dm 3 crypt_left 0 swapoff 1
	expect_clean_disks
	expect_verdict md_clean true
	report stack
}

sc_plain() {
	need_binary plain || return 0
	boot_pair plain plain "vm.stage4=shutdownfs"
	expect_exit poweroff
	expect_summary result clean
	expect_clean_disks
	report plain
}

sc_loop_root() {
	need_binary loop-root || return 0
	boot_pair loop-root loop "vm.stage4=shutdownfs"
	expect_exit poweroff
	expect_summary result clean loop 1
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
	report reboot
}

sc_halt() {
	need_binary halt || return 0
	boot_pair halt stack "vm.stage4=shutdownfs vm.action=halt vm.swap=/dev/mapper/vg0-swap"
	expect_exit halt
	expect_summary action halt result clean
	expect_clean_disks
	expect_verdict md_clean true
	report halt
}

sc_exitrd() {
	need_binary exitrd || return 0
	boot_pair exitrd stack "vm.stage4=exitrd vm.sdtimeout=5s vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	grep -q 'systemd-shutdown' "$RUNLOG" || why "systemd-shutdown did not run"
	expect_summary result clean crypt_left 0 md 1
	expect_clean_disks
	expect_verdict md_clean true
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
	report exitrd-standin
}

ALL="control standin stack plain loop_root reboot halt exitrd exitrd_standin"

main() {
	if [ "$(id -u)" != 0 ]; then
		skip all "needs root (packages, qemu disks)"
		return 0
	fi
	vm_prepare
	if [ $# -eq 0 ]; then
		# shellcheck disable=SC2086
		set -- $ALL
	fi
	for s; do
		s=$(echo "$s" | tr - _)
		"sc_$s"
	done
}

main "$@"
