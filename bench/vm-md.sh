#!/bin/sh
# vm-md.sh — benchmark (not a test): on the stack scenario (md RAID1 -> LUKS2
# -> LVM, native teardown, no stragglers, no skeleton), guest ms from the removal of the
# LUKS mapping to the kernel's `md: md0 stopped`, and from the exec of
# shutdownfs to `reboot: Power down`, with the check boot's md verdict.
# Usage: sh bench/vm-md.sh [ROUNDS]   (root; run from the repo root after make)
set -eu
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
ROUNDS=${1:-1}

vm_prepare
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	WHY=
	boot_pair md-bench stack "vm.stage4=shutdownfs vm.hooks=native vm.stragglers=0 shutdownfs.skel=/none vm.swap=/dev/mapper/vg0-swap"
	luks=$(ts_ms "$RUNLOG" 'cryptroot): removed')
	md=$(awk '/vmtest: exec stage4/ {e = 1} e && /md: md0 stopped/ {print; exit}' "$RUNLOG" |
		sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p' | sed 's/^0*\([0-9]\)/\1/')
	ex=$(ts_ms "$RUNLOG" 'vmtest: exec stage4')
	off=$(ts_ms "$RUNLOG" 'reboot: Power down')
	echo "round=$r luks_to_md_stopped_ms=$((md - luks)) exec_to_power_down_ms=$((off - ex))" \
		"md_clean=$(verdict_get "$CHECKLOG" md_clean) fs_clean=$(verdict_get "$CHECKLOG" fs_clean)" \
		"summary=$(summary_get "$RUNLOG" result)${WHY:+ why=$WHY}"
	r=$((r + 1))
done
