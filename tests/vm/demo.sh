#!/bin/sh
# make demo: build, make the disks (md RAID1 -> LUKS2 -> LVM -> ext4 + swap),
# boot the guest with its console on this terminal while shutdownfs brings
# every layer down, judge the disks in a second boot, print a verdict table.
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

yesno() { if [ "$1" = true ]; then echo yes; else echo "NO"; fi; }

# ms between the first lines matching two patterns
span() {
	a=$(ts_ms "$1" "$2")
	b=$(ts_ms "$1" "$3")
	if [ -n "$a" ] && [ -n "$b" ]; then echo $((b - a)); fi
}

row() { printf '  %-34s %s\n' "$1" "$2"; }

table() {
	fs=false
	if [ "$(verdict_get "$CHECKLOG" fs_clean)" = true ] &&
		[ "$(verdict_get "$CHECKLOG" fsck)" = true ]; then
		fs=true
	fi
	crypt=$(summary_get "$RUNLOG" crypt_left)
	luks=false
	[ "$crypt" = 0 ] && luks=true
	t0=$(ts_ms "$RUNLOG" 'shutdownfs: ')
	t1=$(ts_ms "$RUNLOG" 'reboot: Power down')
	ms="?"
	[ -n "$t0" ] && [ -n "$t1" ] && ms=$((t1 - t0))
	echo
	echo "shutdownfs demo: root on md RAID1 -> LUKS2 -> LVM -> ext4, swap on LVM"
	row "filesystem clean (dumpe2fs, fsck)" "$(yesno "$fs")"
	row "md members clean (mdadm --examine)" "$(yesno "$(verdict_get "$CHECKLOG" md_clean)")"
	row "LUKS closed before power-off" "$(yesno "$luks") (crypt_left=${crypt:-?})"
	row "data persisted (unsynced token)" "$(yesno "$(verdict_get "$CHECKLOG" token)")"
	row "exec to power-off (guest clock)" "$ms ms"
	w=$(span "$RUNLOG" 'shutdownfs: sent SIGTERM' 'shutdownfs: killing ')
	[ -z "$w" ] || row "  of it, waiting on the straggler" "$w ms (it ignores SIGTERM)"
	row "result (summary line)" "$(summary_get "$RUNLOG" result)"
	echo "  console logs: $RUNLOG, $CHECKLOG"
}

main() {
	[ "$(id -u)" = 0 ] || die "make demo needs root (packages, qemu disks)"
	msg "building shutdownfs (make)"
	make >&2 || die "make failed"
	have_binary || die "build/shutdownfs was not built"
	VM_PROGRESS=1
	msg "preparing kernel, initramfs, root image and disks (cached under $VM)"
	vm_prepare
	VM_TAIL=1
	msg "booting the guest (QEMU TCG); it runs /usr/sbin/shutdownfs poweroff at the end"
	boot_pair demo stack "vm.stage4=shutdownfs vm.swap=/dev/mapper/vg0-swap"
	case $RUNRC in
	124) warn "the guest did not power off within ${RUN_LIMIT}s" ;;
	0) ;;
	*) warn "qemu exited $RUNRC" ;;
	esac
	[ -z "$WHY" ] || warn "$WHY"
	table
}

main "$@"
