#!/bin/sh
# vm tier: QEMU (TCG) boots of Debian's kernel; each scenario is a run boot that
# shuts down through its stage-4 program and a check boot that judges the disks.
# Prints PASS/FAIL/SKIP lines (tests/README.md). Run from the repo root after make.
# Usage: sh tests/vm/run.sh [SCENARIO...]
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
# shellcheck source=tests/vm/sd.sh
. tests/vm/sd.sh
# shellcheck source=tests/vm/sv.sh
. tests/vm/sv.sh

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
	# isa-debug-exit, where configured, is a second judge: it must agree
	# with the summary the guest logged
	if [ "$EXIT_VERDICT" != none ]; then
		r=$(summary_get "$RUNLOG" result)
		[ "$r" = "$EXIT_VERDICT" ] || why "isa-debug-exit said $EXIT_VERDICT, the summary $r"
	fi
	EXIT_VERDICT=none
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
	expect_layers "root /oldroot unmounted" "swap vg0-swap off" \
		"lv vg0-root removed" "lv vg0-swap removed" "luks cryptroot removed, key wiped" \
		"md md0 stopped"
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

# The shipped unit's ExecStop (exitrd-prepare) on a /run mounted noexec, as
# Debian's initramfs-tools mounts it: it mounts its own tmpfs (exec) on
# /run/initramfs, so systemd-shutdown's access(X_OK) passes and it hands
# over; every layer closed.
sc_exitrd_noexec() {
	need_binary exitrd-noexec || return 0
	boot_pair exitrd-noexec stack "vm.stage4=exitrd vm.exitrd=prepare vm.runfs=noexec \
vm.sdtimeout=5s vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_log 'vmtest: /run: [^ ]*noexec' "/run was not noexec"
	expect_log 'vmtest: exitrd-prepare: /run/initramfs ready for systemd-shutdown' \
		"exitrd-prepare did not prepare /run/initramfs"
	expect_log 'shutdownfs: .*exitrd, the old root is at' "systemd-shutdown did not hand over"
	expect_summary result clean crypt_left 0 left 0
	expect_clean_disks
	expect_md_stopped
	report exitrd-noexec
}

# The same on a /run that is full (its last inode and byte taken): no
# /run/initramfs can be made, exitrd-prepare says so, and systemd-shutdown
# goes on with its own path to the power-off; shutdownfs does not run.
sc_exitrd_run_full() {
	need_binary exitrd-run-full || return 0
	boot_pair exitrd-run-full stack "vm.stage4=exitrd vm.exitrd=prepare vm.runfs=full \
vm.sdtimeout=5s vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_log 'vmtest: /run full: 0 inodes' "/run was not made full"
	expect_log 'vmtest: exitrd-prepare: cannot create /run/initramfs (is /run full or read-only?); no /run/initramfs/shutdown, systemd-shutdown keeps its own path' \
		"exitrd-prepare did not log its failure"
	expect_log 'vmtest: exitrd: no /run/initramfs/shutdown' "a /run/initramfs/shutdown was left"
	expect_log 'systemd-shutdown\[1\]: ' "systemd-shutdown did not run"
	if grep -q 'shutdownfs: ' "$RUNLOG"; then why "shutdownfs ran without an exitrd"; fi
	expect_verdict token true
	report exitrd-run-full
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
	boot_pair hung-hook stack \
		"vm.stage4=shutdownfs vm.hook=hang shutdownfs.hook_timeout=3 vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	expect_summary result clean hooks_timeout 1 crypt_left 0 left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report hung-hook
}

# a wedged run (the hook stops PID 1 itself with a ptrace stop): a watchdog resets
# the guest. QEMU's -no-reboot turns the reset into an exit; no "reboot:" line.
# Returns 1 when skipped.
watchdog_case() { # NAME QEMU-ARG...
	name=$1
	shift
	need_binary "$name" || return 1
	boot_pair "$name" stack "vm.stage4=shutdownfs vm.hook=wedge shutdownfs.deadline=30 \
shutdownfs.hook_timeout=1000 shutdownfs.watchdog=auto vm.swap=/dev/mapper/vg0-swap${WD_CMDLINE:+ $WD_CMDLINE}" "$@"
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
# just before the exec, with the binary already read): every write to the
# root waits on it, and so does every read md sends to that member. The deadline
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

# A low-memory guest (128 MiB; its run boot on the small initramfs,
# RUN_INITRD=lite, as the full one does not unpack in 128 MiB) with more in
# swap than fits in RAM, held by a tmpfs that stays mounted: swapoff fails
# with ENOMEM, the run says so and goes on, the stack is still torn down,
# nothing hangs past the deadline.
sc_lowmem_swap() {
	need_binary lowmem-swap || return 0
	x=$(blank_disk lowmem-swap 400)
	RUN_MEM=128 RUN_INITRD=lite
	boot_pair lowmem-swap stack "vm.stage4=shutdownfs vm.hooks=native vm.bigswap=1 \
vm.xdisk=/dev/vdc vm.stragglers=0 shutdownfs.protect=busybox shutdownfs.deadline=45" "$x"
	RUN_MEM="" RUN_INITRD=""
	rm -f "$x"
	expect_exit poweroff
	grep -q 'Memory: .*K/1[23][0-9]*K available' "$RUNLOG" || why "the run boot did not have 128 MiB"
	expect_log 'vmtest: big swap on' "the big swap was not set up"
	expect_log 'shutdownfs: swapoff .*vdc: Out of memory' "swapoff did not fail with ENOMEM"
	expect_log 'shutdownfs: left: swap .*vdc, still on' "the swap left on was not named"
	expect_within 48
	expect_summary crypt_left 0 md 1 result degraded
	expect_log 'cryptroot): removed, key wiped' "the LUKS mapping was not removed"
	expect_clean_disks
	report lowmem-swap
}

# A second shutdown request while the run is under way: a teardown hook
# sends SIGTERM and SIGINT to PID 1, then holds the run while the host
# presses ctrl-alt-del (QEMU's sendkey; the kernel turns it into SIGINT to
# PID 1 since shutdownfs set RB_DISABLE_CAD). Each is logged and ignored:
# the run goes on to the power-off (not the reboot ctrl-alt-del would
# cause), the stack closed, the disks clean.
sc_second_request() {
	need_binary second-request || return 0
	PAIR_CAD='vmtest: second request: SIGTERM, SIGINT sent' \
		boot_pair second-request stack "vm.stage4=shutdownfs vm.hook=second \
shutdownfs.hook_timeout=30 shutdownfs.deadline=90 vm.swap=/dev/mapper/vg0-swap"
	expect_exit poweroff
	grep -q 'vmtest-host: sendkey ctrl-alt-delete' "$VM/logs/second-request-host.log" ||
		why "the host did not press ctrl-alt-del ($(cat "$VM/logs/second-request-host.log"))"
	expect_log 'shutdownfs: signal Terminated from pid [1-9][0-9]*: the shutdown is already under way' \
		"SIGTERM from the hook was not logged as ignored"
	expect_log 'shutdownfs: signal Interrupt from pid [1-9][0-9]*: the shutdown is already under way' \
		"SIGINT from the hook was not logged as ignored"
	expect_log 'shutdownfs: signal Interrupt from pid 0: the shutdown is already under way' \
		"ctrl-alt-del (SIGINT from the kernel) was not logged as ignored"
	expect_log 'vmtest: second request: hook done' "the hook did not run to its end"
	expect_summary action poweroff result clean crypt_left 0 left 0 hooks_timeout 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report second-request
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

# softdog from softdog.ko.xz: libkmod decompresses it (Debian's 6.1 has no
# CONFIG_MODULE_DECOMPRESS), shutdownfs loads and arms it, it fires; no
# stragglers: the kill grace and the skeleton copy must fit the 10 s deadline
sc_softdog_xz() {
	WD_CMDLINE="vm.kmod=xz vm.stragglers=0" watchdog_case softdog-xz || return 0
	grep -q 'vmtest: kmod: .*softdog.ko.xz in place of' "$RUNLOG" ||
		why "the guest did not put softdog.ko.xz in place"
	grep -q 'shutdownfs: module softdog: loaded' "$RUNLOG" || why "shutdownfs did not load softdog.ko.xz"
	grep -q 'shutdownfs: watchdog .*Software Watchdog.*armed' "$RUNLOG" ||
		why "shutdownfs did not arm softdog"
	grep -q 'softdog: Initiating system reboot' "$RUNLOG" || why "softdog did not fire"
	report softdog-xz
}

# --- the report across the reboot, the verdict to the host (#15) ----------------------

# The glance: the console's last shutdownfs lines are the layer lines
# (printed without a kernel timestamp: log_console) and then the summary,
# the same as the one logged; every "KIND NAME OUTCOME" asked for has its
# line there ("layer KIND dm-N (NAME): OUTCOME..., N ms"), and with
# LAYERS_IN_LAST=1 the same line is in what `shutdownfs last` printed.
expect_layers() { # "KIND NAME OUTCOME-REGEX" ...
	tr -d '\r' < "$RUNLOG" | grep '^shutdownfs: ' > "$RUNLOG.glance" || :
	last=$(tail -n 1 "$RUNLOG.glance")
	sum=$(sed -n 's/^\[[ 0-9.]*\] \(shutdownfs: summary .*\)$/\1/p' "$RUNLOG" | tr -d '\r' | head -n 1)
	if [ -z "$last" ] || [ "$last" != "$sum" ]; then
		why "the console's last shutdownfs line is not the summary: '$last'"
	fi
	if grep -v -e '^shutdownfs: layer ' -e '^shutdownfs: layers: and ' -e '^shutdownfs: summary ' \
		"$RUNLOG.glance" > /dev/null; then
		why "the glance has lines other than layers and the summary"
	fi
	for want; do
		k=${want%% *} rest=${want#* }
		n=${rest%% *} o=${rest#* }
		l=$(grep -m 1 -E "^shutdownfs: layer $k [^:]*$n\)?: $o.*, [0-9]+ ms\$" "$RUNLOG.glance") ||
			{ why "no glance line for $k $n ($o)"; continue; }
		[ -z "${LAYERS_IN_LAST:-}" ] || tr -d '\r' < "$CHECKLOG" | grep -qxF "  $l" ||
			why "shutdownfs last did not print '$l'"
	done
}

# ramoops in the guest: 1 MiB reserved at 256 MiB (below the initramfs, which
# QEMU loads at the top of the 512 MiB), 128 KiB records, and dumps kept up
# to KMSG_DUMP_SHUTDOWN (4), so a clean power-off leaves one. The check boot
# shares the run boot's RAM (PAIR_RAM), as a warm reboot would.
# shellcheck disable=SC2016 # a literal $: memmap=SIZE$ADDR reserves RAM
RAMOOPS='memmap=1M$0x10000000 ramoops.mem_address=0x10000000 ramoops.mem_size=0x100000 ramoops.record_size=0x20000 ramoops.max_reason=4'

# the check boot's `shutdownfs last` found the run's summary, with the verdict
expect_last() { # clean|degraded
	want_rc=0
	[ "$1" = clean ] || want_rc=1
	rc=$(sed -n 's/^LAST-RC \([0-9]*\).*/\1/p' "$CHECKLOG" | head -n 1)
	[ "$rc" = "$want_rc" ] || why "shutdownfs last exited ${rc:-nothing} (want $want_rc for $1)"
	sum=$(sed -n 's/.*\(shutdownfs: summary .*\)$/\1/p' "$RUNLOG" | head -n 1 | tr -d '\r')
	if [ -z "$sum" ]; then
		why "no summary in the run log"
	elif ! tr -d '\r' < "$CHECKLOG" | grep -qxF "  $sum"; then
		why "shutdownfs last did not print the run's summary"
	fi
	grep -q '^LAST-JSON .*"result": *"'"$1"'"' "$CHECKLOG" || why "last --json has no result $1"
}

# QEMU's exit status from isa-debug-exit: (0x10 << 1) | 1 clean, (0x11 << 1) | 1 degraded
expect_debug_exit() { # clean|degraded
	want=33
	[ "$1" = clean ] || want=35
	[ "$RUNRC" = "$want" ] || why "qemu exited $RUNRC (want $want: $1 by isa-debug-exit)"
	[ "$EXIT_VERDICT" = "$1" ] || why "the rig read exit verdict $EXIT_VERDICT (want $1)"
	if grep -q 'reboot: \(Power down\|Restarting\)' "$RUNLOG"; then
		why "the guest reached reboot(2): isa-debug-exit did not end it"
	fi
}

# a protected straggler (busybox sleep, mapped from the old root) keeps the
# root's superblock: the run must end degraded and say so
DEGRADE="shutdownfs.protect=sleep"

report_case() { # NAME clean|degraded EXTRA [LAYOUT]
	need_binary "$1" || return 1
	PAIR_RAM=1 CHECK_EXTRA="$RAMOOPS vm.last=1" \
		boot_pair "$1" "${4:-plain}" "vm.stage4=shutdownfs $RAMOOPS $3"
	expect_exit poweroff
	expect_summary result "$2"
	grep -q 'shutdownfs: report: pstore, ramoops keeps the kernel log at reboot' "$RUNLOG" ||
		why "the run did not find ramoops ready"
	grep -q 'vmtest: pstore file dmesg-ramoops-' "$CHECKLOG" || why "no ramoops dump after the reboot"
	expect_last "$2"
}

# on the stack, torn down by the shipped hooks: each layer still has its
# glance line, named after the hook, on the console and in the record
sc_report_clean() {
	report_case report-clean clean "vm.swap=/dev/mapper/vg0-swap" stack || return 0
	expect_clean_disks
	expect_md_stopped
	LAYERS_IN_LAST=1 expect_layers "root /oldroot unmounted" \
		"swap vg0-swap off" \
		"lv vg0-root removed by hook teardown/20-lvm" \
		"lv vg0-swap removed by hook teardown/20-lvm" \
		"luks cryptroot removed by hook teardown/30-cryptsetup, key wiped" \
		"md md0 stopped by hook teardown/40-mdadm"
	report report-clean
}

sc_report_degraded() {
	report_case report-degraded degraded "$DEGRADE" || return 0
	# the root the protected sleep keeps: its glance line says it was left
	LAYERS_IN_LAST=1 expect_layers "root /oldroot left read-only, lazily detached"
	report report-degraded
}

# The EFI variable route on real firmware: both boots under OVMF on one NVRAM
# file (PAIR_EFI), efivarfs loaded by the init; the run keeps its record in
# the variable (report = efivar: one NVRAM write), the check boot's
# `shutdownfs last` finds it there, with the summary and the glance's lines.
sc_report_efivar() {
	need_binary report-efivar || return 0
	PAIR_EFI=1 CHECK_EXTRA="vm.efi=1 vm.last=1" \
		boot_pair report-efivar plain "vm.stage4=shutdownfs vm.efi=1 shutdownfs.report=efivar"
	expect_exit poweroff
	expect_summary result clean
	grep -q 'vmtest: efi: booted by UEFI firmware' "$RUNLOG" || why "the run boot did not boot by OVMF"
	grep -q 'shutdownfs: report: efivar ShutdownfsReport-[-0-9a-f]*, [0-9]* bytes (one NVRAM write)' \
		"$RUNLOG" || why "the run did not write the EFI variable"
	grep -q 'vmtest: efivar ShutdownfsReport-' "$CHECKLOG" || why "no variable in efivarfs after the reboot"
	grep -q 'shutdownfs last: the last run, from efivar ' "$CHECKLOG" ||
		why "shutdownfs last did not read the EFI variable"
	expect_last clean
	LAYERS_IN_LAST=1 expect_layers "root /oldroot unmounted"
	expect_clean_disks
	report report-efivar
}

# isa-debug-exit ends the VM before reboot(2), so no kernel dump: the record
# goes to a raw disk (report_file), which the check boot reads back
exit_case() { # NAME clean|degraded EXTRA
	need_binary "$1" || return 1
	PAIR_REPORT_DISK=1 CHECK_EXTRA="shutdownfs.report_file=/dev/vdb vm.last=1" \
		boot_pair "$1" plain "vm.stage4=shutdownfs shutdownfs.report=file \
shutdownfs.report_file=/dev/vdb shutdownfs.notify=isa-debug-exit:0xf4 $3"
	expect_debug_exit "$2"
	grep -q 'shutdownfs: report: /dev/vdb, [0-9]* bytes' "$RUNLOG" || why "no record on /dev/vdb"
	expect_last "$2"
}

sc_exit_clean() {
	exit_case exit-clean clean "" || return 0
	expect_clean_disks
	report exit-clean
}

sc_exit_degraded() {
	exit_case exit-degraded degraded "$DEGRADE" || return 0
	report exit-degraded
}

# notify = virtio-serial: the summary line, exactly, on the host's side of a port
sc_notify_serial() {
	need_binary notify-serial || return 0
	boot_pair notify-serial plain "vm.stage4=shutdownfs shutdownfs.notify=virtio-serial:org.shutdownfs.verdict"
	expect_exit poweroff
	expect_summary result clean
	sum=$(sed -n 's/.*\(shutdownfs: summary .*\)$/\1/p' "$RUNLOG" | head -n 1 | tr -d '\r')
	[ -n "$SERIAL_LINE" ] || why "nothing arrived on the virtio-serial port"
	[ "$SERIAL_LINE" = "$sum" ] || why "the port said '$SERIAL_LINE', the console '$sum'"
	expect_clean_disks
	report notify-serial
}

# busybox init as PID 1 (an Alpine-like inittab: umount -a -r, swapoff -a
# as ::shutdown: lines) with the shipped ::restart: line and wrapper; the
# user types `poweroff` / `reboot`; SIGQUIT's path execs shutdownfs
busybox_init_case() { # NAME ACTION
	need_binary "$1" || return 0
	boot_pair "$1" stack "vm.stage4=busybox-init vm.action=$2 vm.swap=/dev/mapper/vg0-swap"
	expect_exit "$2"
	grep -q "vmtest: the user types /sbin/$2" "$RUNLOG" || why "the user's $2 did not run"
	grep -q 'shutdownfs: handover: SIGQUIT sent to busybox init' "$RUNLOG" ||
		why "the wrapper did not hand over"
	grep -q "shutdownfs: handover: action $2 from /run/shutdownfs.handover/action" "$RUNLOG" ||
		why "shutdownfs did not read the action from the handover's state"
	expect_summary action "$2" result clean crypt_left 0 left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report "$1"
}
sc_busybox_init_poweroff() { busybox_init_case busybox-init-poweroff poweroff; }
sc_busybox_init_reboot() { busybox_init_case busybox-init-reboot reboot; }

# sysvinit-core's programs, unpacked on the host (never installed there)
# onto a small ext4 disk the guest copies them from; cached by version
sysv_disk() {
	SVIMG=$VM/sysvinit.ext4
	d=$VM/sysvinit.d
	ver=$(apt-cache policy sysvinit-core | sed -n 's/ *Candidate: //p')
	h=$(inputs_hash "$ver")
	stamp_ok "$SVIMG" "$h" && [ -f "$SVIMG" ] && return 0
	rm -rf "$d" "$SVIMG"
	mkdir -p "$d/debs" "$d/x" "$d/root/sbin"
	(cd "$d/debs" && apt-get download sysvinit-core > /dev/null 2>&1) || return 1
	dpkg-deb -x "$d"/debs/sysvinit-core_*.deb "$d/x" || return 1
	for p in init shutdown halt; do
		cp "$d/x/sbin/$p" "$d/root/sbin/$p"
		ldd "$d/x/sbin/$p" | awk '/=> \// {print $3}' | while IFS= read -r lib; do
			mkdir -p "$d/root/lib"
			cp -L "$lib" "$d/root/lib/"
		done
	done
	mke2fs -q -t ext4 -d "$d/root" "$SVIMG" 16M || return 1
	stamp_set "$SVIMG" "$h"
}

# sysvinit's own /sbin/init as PID 1 on md RAID1 -> LUKS2 -> LVM; the user
# types `shutdown -h now` or `reboot`; init runs the shipped rc script in
# runlevel 0/6, whose handover binds shutdownfs over /sbin/init and asks
# for the re-exec (telinit u)
sysvinit_case() { # NAME SYSVCMD ACTION RUNLEVEL
	need_binary "$1" || return 0
	if ! sysv_disk; then
		why "cannot download or unpack sysvinit-core"
		report "$1"
		return 0
	fi
	boot_pair "$1" stack "vm.stage4=sysvinit vm.sysvcmd=$2 vm.swap=/dev/mapper/vg0-swap" "ro:$SVIMG"
	expect_exit "$3"
	grep -q 'vmtest: the user types /sbin/' "$RUNLOG" || why "the user's command did not run"
	grep -q 'shutdownfs: handover: asked sysvinit to re-exec through /run/initctl' "$RUNLOG" ||
		why "the rc script did not hand over"
	grep -q "shutdownfs: sysvinit state on fd 11: [0-9]* bytes, runlevel $4, closed" "$RUNLOG" ||
		why "shutdownfs did not read sysvinit's state on fd 11"
	expect_summary action "$3" result clean crypt_left 0 left 0
	expect_clean_disks
	expect_verdict md_clean true
	expect_md_stopped
	report "$1"
}
sc_sysvinit_shutdown_h() { sysvinit_case sysvinit-shutdown-h shutdown-h poweroff 0; }
sc_sysvinit_reboot() { sysvinit_case sysvinit-reboot reboot reboot 6; }

# Debian's runit and runit-init, unpacked on the host onto a small disk
runit_disk() {
	RNIMG=$VM/runit.ext4
	d=$VM/runit.d
	ver=$(apt-cache policy runit-init | sed -n 's/ *Candidate: //p')
	h=$(inputs_hash "$ver")
	stamp_ok "$RNIMG" "$h" && [ -f "$RNIMG" ] && return 0
	rm -rf "$d" "$RNIMG"
	mkdir -p "$d/debs" "$d/root"
	(cd "$d/debs" && apt-get download runit runit-init > /dev/null 2>&1) || return 1
	for deb in "$d"/debs/*.deb; do dpkg-deb -x "$deb" "$d/x" || return 1; done
	mkdir -p "$d/root/sbin" "$d/root/lib/runit"
	cp "$d/x/sbin/runit" "$d/root/sbin/"
	cp "$d/x/lib/runit/shutdown" "$d/x/lib/runit/runit-init" "$d/root/lib/runit/"
	mke2fs -q -t ext4 -d "$d/root" "$RNIMG" 8M || return 1
	stamp_set "$RNIMG" "$h"
}

# runit-init has no exec route: stage 3's handover must refuse and change
# nothing, and the check boot must find what runit leaves (the root not
# unmounted: fs not clean); a FAIL here means the limit changed, and
# docs/init-runit.md with it
sc_runit_limit() {
	need_binary runit-limit || return 0
	if ! runit_disk; then
		why "cannot download or unpack runit, runit-init"
		report runit-limit
		return 0
	fi
	boot_pair runit-limit stack "vm.stage4=runit vm.swap=/dev/mapper/vg0-swap" "ro:$RNIMG"
	case $RUNRC in 124) why "guest did not stop within ${RUN_LIMIT}s" ;; esac
	grep -q 'vmtest: the user types /sbin/shutdown -h now' "$RUNLOG" || why "the user's shutdown did not run"
	grep -q 'shutdownfs: handover: runit: no route to hand over by' "$RUNLOG" ||
		why "the handover did not refuse runit"
	grep -q 'vmtest: runit stage 3: handover exited 3' "$RUNLOG" || why "handover did not exit 3"
	if grep -q 'shutdownfs: summary' "$RUNLOG"; then why "shutdownfs ran under runit"; fi
	expect_verdict fs_clean false
	report runit-limit
}

# --- a real systemd machine (sd.sh): Debian 12 root, the package installed ------------

# md0 stopped, the root unmounted (not only remounted read-only) and the
# LUKS mapping closed after systemd-shutdown handed over
expect_handover_teardown() {
	grep -q 'shutdownfs: exitrd: systemd-shutdown handed over' "$RUNLOG" ||
		why "systemd-shutdown did not hand over to shutdownfs"
	awk '/shutdownfs: exitrd: systemd-shutdown handed over/ {e = 1}
		e && /md: md0 stopped/ {f = 1} END {exit !f}' "$RUNLOG" ||
		why "md0 was not stopped after the handover"
	awk '/shutdownfs: exitrd: systemd-shutdown handed over/ {e = 1}
		e && /EXT4-fs \(dm-[0-9]+\): unmounting filesystem/ {f = 1} END {exit !f}' "$RUNLOG" ||
		why "the root was not unmounted after the handover"
	# the cryptsetup hook closes it, or the native teardown removes it
	grep -q 'shutdownfs: \(dm-[0-9]* (md0_crypt): removed, key wiped\|hook teardown/30-cryptsetup: md0_crypt: closed\)' "$RUNLOG" ||
		why "md0_crypt was not removed"
}

# dracut is installed: its shutdown unit and mdadm's skipped by our drop-ins
expect_yielded() {
	for u in dracut-shutdown.service mdadm-shutdown.service; do
		grep -q "vmtest: $u: loaded, condition no, inactive" "$RUNLOG" ||
			why "$u did not yield /run/initramfs ($(grep -o "vmtest: $u: .*" "$RUNLOG"))"
	done
}

expect_systemd_boot() {
	grep -q 'vmtest: multi-user reached' "$RUNLOG" || why "multi-user.target not reached"
	grep -q 'vmtest: multi-user reached.*/run: [^ ]*noexec' "$RUNLOG" ||
		why "/run was not noexec as Debian's initramfs-tools mounts it"
}

# `systemctl poweroff` on a Debian 12 systemd machine, the .deb installed:
# shutdownfs-exitrd.service prepares /run/initramfs at stop, systemd-shutdown
# hands over, every layer is closed
sc_systemd() {
	need_binary systemd || return 0
	sd_boot_pair systemd "$SD_SLOW"
	expect_exit poweroff
	expect_systemd_boot
	grep -q "vmtest: shutdownfs-exitrd.service: active; /run/initramfs: 0 entries" "$RUNLOG" ||
		why "the unit was not active, or /run/initramfs held something during uptime"
	grep -q 'exitrd-prepare: /run/initramfs ready for systemd-shutdown' "$RUNLOG" ||
		why "the unit's ExecStop did not prepare /run/initramfs"
	expect_yielded
	expect_handover_teardown
	expect_summary action poweroff result clean crypt_left 0 left 0 ro 0 detached 0
	expect_clean_disks
	expect_verdict md_clean true
	report systemd
	sd_note systemd
}

sc_systemd_reboot() {
	need_binary systemd-reboot || return 0
	sd_boot_pair systemd-reboot "vm.sdaction=reboot $SD_SLOW"
	expect_exit reboot
	expect_systemd_boot
	expect_handover_teardown
	expect_summary action reboot result clean crypt_left 0 left 0
	expect_clean_disks
	report systemd-reboot
	sd_note systemd-reboot
}

# reference row, same disks: systemd alone (our unit masked for the boot)
sc_systemd_alone() {
	sd_boot_pair systemd-alone "systemd.mask=shutdownfs-exitrd.service"
	expect_exit poweroff
	expect_systemd_boot
	if grep -q 'shutdownfs: ' "$RUNLOG"; then why "shutdownfs ran though its unit was masked"; fi
	expect_verdict token true
	report systemd-alone
	sd_note systemd-alone
}

# reference row, same disks, same root: dracut owns /run/initramfs
# (vm.dracut=1: booted as from dracut's initramfs, shutdownfs-exitrd.service
# disabled as docs/integration.md says, so our drop-ins let dracut's units
# start). What dracut does, measured (docs/integration.md), asserted so a
# change shows: nothing held in /run/initramfs during uptime;
# dracut-shutdown.service unpacks /boot/initrd.img-KVER there at stop (and
# mdadm-shutdown.service adds its "shutdown mdraid" image); systemd-shutdown
# fails to stop md0 and to remove the root's dm devices and returns to the
# initrd; dracut's shutdown kills, unmounts /oldroot (the root really
# unmounted), removes the dm devices and stops md0 (which md refuses while
# dm-crypt holds it open: md0 stopped proves the LVs and md0_crypt gone);
# the check boot finds every layer clean.
sc_systemd_dracut() {
	sd_boot_pair systemd-dracut "vm.dracut=1"
	expect_exit poweroff
	grep -q 'vmtest: multi-user reached' "$RUNLOG" || why "multi-user.target not reached"
	grep -q 'vmtest: as dracut.s initramfs: /run exec' "$RUNLOG" || why "not booted as from dracut's initramfs"
	for u in dracut-shutdown.service mdadm-shutdown.service; do
		grep -q "vmtest: $u: loaded, condition yes, active" "$RUNLOG" ||
			why "$u did not start ($(grep -o "vmtest: $u: .*" "$RUNLOG"))"
	done
	grep -q 'vmtest: shutdownfs-exitrd.service: inactive; /run/initramfs: 1 entries; held 0 KiB' "$RUNLOG" ||
		why "/run/initramfs held more than .need_shutdown during uptime, or our unit ran"
	if grep -q 'shutdownfs: \|exitrd-prepare: ' "$RUNLOG"; then why "shutdownfs ran though its unit was disabled"; fi
	grep -q 'systemd-shutdown\[1\]: Could not stop MD /dev/md0: Device or resource busy' "$RUNLOG" ||
		why "systemd-shutdown did not find md0 busy (behaviour changed)"
	grep -q 'systemd-shutdown\[1\]: Returning to initrd' "$RUNLOG" ||
		why "systemd-shutdown did not hand over to dracut's exitrd"
	after_handover 'Returning to initrd' 'dracut Warning: Killing all remaining processes' ||
		why "dracut's shutdown did not run"
	after_handover 'Returning to initrd' 'EXT4-fs [(]dm-[0-9]+[)]: unmounting filesystem' ||
		why "the root was not unmounted by dracut's shutdown"
	after_handover 'Returning to initrd' 'dracut: Disassembling device-mapper devices' ||
		why "dracut did not remove the dm devices"
	after_handover 'Returning to initrd' 'md: md0 stopped' || why "md0 was not stopped by dracut"
	expect_clean_disks
	expect_verdict md_clean true
	report systemd-dracut
	sd_note systemd-dracut
}

# on demand: booted as from dracut's initramfs (/run exec, .need_shutdown)
# with the package enabled: shutdownfs wins /run/initramfs, dracut's units
# yield, every layer closed
sc_systemd_over_dracut() {
	sd_boot_pair systemd-over-dracut "vm.dracut=boot $SD_SLOW"
	expect_exit poweroff
	grep -q 'vmtest: as dracut.s initramfs: /run exec, /run/initramfs/.need_shutdown' "$RUNLOG" ||
		why "not booted as from dracut's initramfs"
	grep -q "vmtest: shutdownfs-exitrd.service: active; /run/initramfs: 1 entries; held 0 KiB" "$RUNLOG" ||
		why "the unit was not active, or /run/initramfs held more than .need_shutdown during uptime"
	expect_yielded
	if grep -q 'dracut Warning: Killing all remaining processes' "$RUNLOG"; then why "dracut's shutdown ran"; fi
	expect_handover_teardown
	expect_summary action poweroff result clean crypt_left 0 left 0 ro 0 detached 0
	expect_clean_disks
	expect_verdict md_clean true
	report systemd-over-dracut
	sd_note systemd-over-dracut
}

after_handover() { # MARK PATTERN: PATTERN on the run's console after MARK
	awk -v m="$1" -v p="$2" '$0 ~ m {e = 1} e && $0 ~ p {f = 1} END {exit !f}' "$RUNLOG"
}

# what a systemd row left behind, as a note on stderr (for the report)
sd_note() {
	md=no luks=no
	if awk '/exec stage4=systemctl/ {e = 1} e && /md: md0 stopped/ {f = 1} END {exit !f}' "$RUNLOG"; then md=yes; fi
	if grep -q '(md0_crypt): removed\|md0_crypt: closed' "$RUNLOG"; then luks=yes
	elif [ "$md" = yes ]; then luks="yes (md0 stopped)"; fi
	msg "$1: shutdown $(sd_shutdown_ms || echo '?') ms guest time; md0 stopped: $md; md0_crypt removed: $luks; verdict: $(grep -o 'VERDICT {.*}' "$CHECKLOG")"
}

# shellcheck source=tests/vm/scenarios-layouts.sh
. tests/vm/scenarios-layouts.sh

# every scenario, in the order the tier runs them (VM_JOBS at a time)
# The longest first (the real Debian machines, then the ones that wait out
# a watchdog or a hung device), so that VM_JOBS slots end together.
ALL="systemd_dracut systemd systemd_alone sysvinit_deb_shutdown_h sysvinit_deb_reboot
md_member_hangs watchdog softdog softdog_xz dead_delay second_request fuse_stall
control standin exitrd_standin stack stack_hooks plain loop_root reboot halt exitrd suspend
luks_on_lvm lvm_on_luks hung_hook
dead_error swapfile kexec_plaincrypt skel_enospc lowmem_swap
exitrd_noexec exitrd_run_full
report_clean report_degraded report_efivar exit_clean exit_degraded notify_serial
busybox_init_poweroff busybox_init_reboot runit_limit $LAYOUT_SCENARIOS"
# On Debian 13's 6.12 (KERNEL=6.12: its own toolbox, root image, disks and
# layouts, xz-compressed modules) make check runs the scenarios whose path
# through the kernel changes with its version: md, dm-crypt and LVM (stack),
# a module shutdownfs loads itself (softdog, a .ko.xz there), thin, RAID5,
# dm-integrity under md, external md metadata, kexec, and the sysfs graphs
# against the unit fixtures. The whole tier on it costs as long again as
# on 6.1, past the time budget: `KERNEL=6.12 sh tests/vm/run.sh all`.
ALL_612="stack softdog thin raid5 integrity_md imsm kexec fixtures"
# run by name only (sh tests/vm/run.sh NAME): what a row of ALL already
# covers on a less real root, and reference rows no issue judges by
EXTRA="sysvinit_shutdown_h sysvinit_reboot sysvinit_deb_alone systemd_reboot systemd_over_dracut"


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
	if [ "${1:-}" = --list ]; then
		echo "make check: $ALL"
		echo "make check on 6.12: $ALL_612"
		echo "by name: $EXTRA"
		return 0
	fi
	trap on_exit EXIT
	# shellcheck disable=SC2086 # lists of scenario names
	if [ $# -eq 0 ] && [ "$KERNEL" = 6.12 ]; then
		set -- $ALL_612
	elif [ $# -eq 0 ] || [ "$*" = all ]; then
		set -- $ALL
	fi
	# the busybox rig only when a scenario needs it, the Debian root likewise
	case " $* " in *" systemd"*) sd_prepare ;; esac
	case " $* " in *" sysvinit_deb"* | *" sysvinit-deb"*) sv_prepare ;; esac
	for s; do
		case $s in systemd* | sysvinit_deb* | sysvinit-deb*) ;; *) vm_prepare; break ;; esac
	done
	PREPARED=1
	# shellcheck disable=SC2046 # a list of layout names
	layouts_prepare $(scenario_layouts "$@")
	scenarios_run "$@"
}

main "$@"
