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

# --- faults (issue #11): each judged by the check boot and by the deadline ---------------

# the run, from the exec of stage 4 to the kernel's last line, within LIMIT s
expect_within() { # LIMIT-SECONDS
	t0=$(ts_ms "$RUNLOG" 'vmtest: exec stage4')
	t1=$(ts_ms "$RUNLOG" 'reboot: \(Power down\|Restarting system\|System halted\)')
	if [ -z "$t0" ] || [ -z "$t1" ]; then
		why "no timestamps for the exec and the end"
	elif [ $((t1 - t0)) -gt $(($1 * 1000)) ]; then
		why "took $((t1 - t0)) ms from the exec, limit $1 s"
	fi
}
expect_log() { # PATTERN WHAT
	grep -q -e "$1" "$RUNLOG" || why "$2"
}

# A dead device (dm error target, or dm delay with a 1 h delay and a writer
# stuck on it) under a mounted filesystem beside the healthy stack: the
# deadline holds, the LUKS mapping of the stack is removed (key wiped), md
# stops, the root ends clean, and what was left is named.
dead_case() { # error|delay
	name=dead-$1
	need_binary "$name" || return 0
	x=$(blank_disk "$name" 16)
	boot_pair "$name" stack "vm.stage4=shutdownfs vm.hooks=native vm.dead=$1 vm.xdisk=/dev/vdc \
vm.swap=/dev/mapper/vg0-swap shutdownfs.deadline=60" "$x"
	rm -f "$x"
	expect_exit poweroff
	expect_log 'vmtest: dead device' "the dead device was not set up"
	expect_within 63
	expect_log 'cryptroot): removed, key wiped' "the LUKS mapping above the healthy stack was not removed"
	expect_md_stopped
	expect_clean_disks
	if [ "$1" = delay ]; then
		expect_summary crypt_left 0 md 1 result degraded
		expect_log 'shutdownfs: .*dead' "the summary's leftovers do not name the dead device"
	else
		expect_summary crypt_left 0 md 1
	fi
	report "$name"
}
sc_dead_error() { dead_case error; }
sc_dead_delay() { dead_case delay; }

# A swap file on the root filesystem, in use: swapped off (through the fd
# noted before the first unmount), the root unmounted, the stack torn down.
sc_swapfile() {
	need_binary swapfile || return 0
	boot_pair swapfile stack "vm.stage4=shutdownfs vm.hooks=native vm.swapfile=1 \
vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_log 'vmtest: swapon /swapfile' "the swap file was not turned on"
	expect_log 'shutdownfs: swapoff .*swapfile' "the swap file was not swapped off"
	expect_summary result clean swapoff 2 dm 3 md 1 crypt_left 0 left 0
	expect_clean_disks
	expect_md_stopped
	report swapfile
}

# A crypt mapping made with plain `dmsetup create` (no CRYPT- uuid), held to
# the end by a writer stuck on the slow device under it: kexec is refused,
# the machine reboots, and the log says why.
sc_kexec_plaincrypt() {
	need_binary kexec-plaincrypt || return 0
	x=$(blank_disk kexec-plaincrypt 16)
	boot_pair kexec-plaincrypt plain "vm.stage4=shutdownfs vm.action=kexec vm.plaincrypt=1 \
vm.xdisk=/dev/vdb shutdownfs.deadline=45" "$x"
	rm -f "$x"
	expect_exit reboot
	expect_log "vmtest: plaincrypt held (uuid '')" "the plain crypt mapping was not set up"
	expect_log 'shutdownfs: kexec refused: ' "kexec was not refused"
	expect_summary action kexec crypt_left 1
	expect_within 48
	report kexec-plaincrypt
}

# An md member that hangs (a dm delay of 1 h under md0's second member, from
# just before the exec): every write to the root waits on it. The deadline
# holds and the guest powers off; the disks are not judged clean (the
# member never got the writes).
sc_md_member_hangs() {
	need_binary md-member-hangs || return 0
	boot_pair md-member-hangs stack "vm.stage4=shutdownfs vm.hooks=native vm.mdslow=1 \
vm.swap=/dev/mapper/vg0-swap shutdownfs.deadline=45"
	expect_exit poweroff
	expect_log 'vmtest: md member mdslow hangs' "the md member was not made to hang"
	expect_within 48
	report md-member-hangs
}

# A FUSE daemon that never answers, a writer stuck on it: the mount is
# forced off or detached, the stack beside it still torn down (key wiped,
# md stopped, root clean), within the deadline.
sc_fuse_stall() {
	need_binary fuse-stall || return 0
	boot_pair fuse-stall stack "vm.stage4=shutdownfs vm.hooks=native vm.fuse=1 \
vm.swap=/dev/mapper/vg0-swap shutdownfs.deadline=60"
	expect_exit poweroff
	expect_log 'vmtest: fuse-stall on /mnt/fuse' "the FUSE daemon was not set up"
	expect_within 63
	expect_log 'cryptroot): removed, key wiped' "the LUKS mapping was not removed"
	expect_summary crypt_left 0 md 1
	expect_md_stopped
	expect_clean_disks
	report fuse-stall
}

# A low-memory guest (192 MiB: the rig's initramfs needs more than 128) with
# more in swap than fits in RAM, held by a
# tmpfs that stays mounted: swapoff fails with ENOMEM, the run says so and
# goes on, the stack is still torn down, nothing hangs past the deadline.
sc_lowmem_swap() {
	need_binary lowmem-swap || return 0
	x=$(blank_disk lowmem-swap 400)
	RUN_MEM=192
	boot_pair lowmem-swap stack "vm.stage4=shutdownfs vm.hooks=native vm.bigswap=1 \
vm.xdisk=/dev/vdc vm.stragglers=0 shutdownfs.protect=busybox shutdownfs.deadline=45" "$x"
	RUN_MEM=""
	rm -f "$x"
	expect_exit poweroff
	expect_log 'vmtest: big swap on' "the big swap was not set up"
	expect_log 'shutdownfs: swapoff .*vdc: Out of memory' "swapoff did not fail with ENOMEM"
	expect_log 'shutdownfs: left: swap .*vdc, still on' "the swap left on was not named"
	expect_within 48
	expect_summary crypt_left 0 md 1 result degraded
	expect_log 'cryptroot): removed, key wiped' "the LUKS mapping was not removed"
	expect_clean_disks
	report lowmem-swap
}

# A skeleton larger than ramfs_size: the run goes on from a ramfs holding
# only shutdownfs (native teardown, no hooks), not from the old root.
sc_skel_enospc() {
	need_binary skel-enospc || return 0
	boot_pair skel-enospc stack "vm.stage4=shutdownfs shutdownfs.ramfs_size=1M \
vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_log 'shutdownfs: skeleton .*ramfs holding only shutdownfs' "the skeleton was not refused"
	if grep -q 'tearing down from the old root' "$RUNLOG"; then why "fell back to the old root"; fi
	expect_summary result clean dm 3 md 1 crypt_left 0 left 0 hooks_ok 0
	expect_clean_disks
	expect_md_stopped
	report skel-enospc
}

ALL="control standin exitrd_standin stack stack_hooks plain loop_root reboot halt exitrd suspend
luks_on_lvm lvm_on_luks hung_hook watchdog softdog dead_error dead_delay swapfile kexec_plaincrypt
skel_enospc lowmem_swap md_member_hangs fuse_stall"

# a rig that could not be prepared is a failure of the tier, not silence
PREPARED=""
on_exit() {
	[ -n "$PREPARED" ] ||
		echo "FAIL vm-setup: kernel, toolbox, root image or setup boot failed (stderr; $VM/logs/setup.log)"
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
	for s; do
		s=$(echo "$s" | tr - _)
		"sc_$s"
	done
}

main "$@"
