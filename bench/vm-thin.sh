#!/bin/sh
# vm-thin.sh — benchmark (not a test): shutdownfs's native teardown of a
# thin pool holding 1, 10 and 100 thin LVs, each with an active thin
# snapshot (layouts thin1, thin10, thin100: guest/layouts/thin.sh), the root
# on the first one. Per size: the dm devices the run removed (the summary's
# dm=), the teardown phase's time from its phase lines (shutdownfs.verbose=1),
# the time per device, exec to power-off, and the check boot's thin_check.
# Usage: sh bench/vm-thin.sh [SIZES]   (root, repo root, after make; SIZES "1 10 100")
set -eu
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

SIZES=${1:-1 10 100}
RUN_LIMIT=${RUN_LIMIT:-600}
CHECK_LIMIT=${CHECK_LIMIT:-600}

phase_us() { # LOG PHASE: its start, us after stage 1 began
	sed -n "s/.*shutdownfs: phase $2, \([0-9]*\) us after stage 1 began.*/\1/p" "$1" | tail -n 1
}

vm_prepare
l=""
for n in $SIZES; do l="$l thin$n"; done
# shellcheck disable=SC2086 # a list of layout names
layouts_prepare $l
echo "| thin LVs | dm devices removed | teardown phase ms | ms per device | exec to power-off ms | result | thin_check |"
echo "| ---: | ---: | ---: | ---: | ---: | --- | --- |"
for n in $SIZES; do
	layout_ready "thin$n" || { echo "| $n | layout not built ($VM/logs/setup-thin$n.log) | | | | | |"; continue; }
	WHY=""
	boot_pair "bench-thin$n" "thin$n" "vm.stage4=shutdownfs vm.hooks=native shutdownfs.verbose=1"
	dm=$(summary_get "$RUNLOG" dm)
	a=$(phase_us "$RUNLOG" teardown)
	b=$(phase_us "$RUNLOG" "busy mounts")
	td=$(( (${b:-0} - ${a:-0}) / 1000 ))
	per=$(awk -v t="$td" -v d="${dm:-0}" 'BEGIN { if (d > 0) printf "%.1f", t / d; else print "-" }')
	e=$(ts_ms "$RUNLOG" 'vmtest: exec stage4')
	p=$(ts_ms "$RUNLOG" 'reboot: Power down')
	echo "| $n | ${dm:-?} | $td | $per | $(( ${p:-0} - ${e:-0} )) | $(summary_get "$RUNLOG" result) | $(verdict_get "$CHECKLOG" thin_check) |"
	[ -z "$WHY" ] || echo "vm-thin: thin$n: $WHY" >&2
done
