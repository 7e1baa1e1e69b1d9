#!/bin/sh
# vm-profile.sh — not a test, not a table: one run of the README install's
# bench case (root `stack`, mkshutdownfs's default skeleton, no straggler)
# with shutdownfs.verbose=1, then where its time went: the kernel-stamped
# lines from the init's exec to the power-off, and shutdownfs's phase lines
# (console only, each with its time since stage 1 began).
# Usage: sh bench/vm-profile.sh [KERNEL-CMDLINE-WORD...]   (root, repo root, after make)
set -eu
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
vm_prepare
WHY=""
boot_pair vm-profile stack "vm.stage4=shutdownfs vm.stragglers=0 vm.swap=/dev/mapper/vg0-swap vm.skel=default shutdownfs.verbose=1 $*"
[ -z "$WHY" ] || echo "vm-profile: $WHY" >&2
awk '/vmtest: exec stage4/ {f = 1} f && (/^\[/ || /shutdownfs: phase /)' "$VM/logs/vm-profile-run.log"
