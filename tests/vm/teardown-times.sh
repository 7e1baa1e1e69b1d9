#!/bin/sh
# teardown-times.sh — per-scenario teardown time of the last vm run, from its
# console logs: guest ms from init's "vmtest: exec stage4" line to the
# kernel's "reboot: Power down" (or Restarting/halted, or kexec's "Starting
# new kernel"), kernel timestamps; from shutdownfs's "stage 2 in the ramfs"
# (after the kill grace and the skeleton copy) to the same line, which is the
# teardown proper; and the ms= of shutdownfs's summary.
# Prints a markdown table (docs/BENCHMARKS.md). Usage, from the repo root:
#   [KERNEL=6.12] sh tests/vm/teardown-times.sh [SCENARIO...]
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

row() { # SCENARIO
	log=$VM/logs/$1-run.log
	[ -f "$log" ] || return 0
	t0=$(ts_ms "$log" 'vmtest: exec stage4')
	t1=$(ts_ms "$log" 'reboot: \(Power down\|Restarting system\|System halted\)\|kexec_core: Starting new kernel')
	st=$(grep -a -m 1 -o 'vmtest: exec stage4=[a-z0-9]*' "$log" | sed 's/.*=//')
	res=$(summary_get "$log" result)
	dm=$(summary_get "$log" dm) md=$(summary_get "$log" md) ms=$(summary_get "$log" ms | tr -d '\r')
	t2=$(ts_ms "$log" 'shutdownfs: stage 2 in the ramfs')
	if [ -n "$t0" ] && [ -n "$t1" ]; then t="$((t1 - t0))"; else t="-"; fi
	if [ -n "$t2" ] && [ -n "$t1" ]; then u="$((t1 - t2))"; else u="-"; fi
	echo "| $1 | ${st:--} | $t | $u | ${ms:--} | ${res:--} | ${dm:--} | ${md:--} |"
}

if [ $# -eq 0 ]; then
	for l in "$VM"/logs/*-run.log; do
		[ -f "$l" ] || continue
		n=${l##*/}
		set -- "$@" "${n%-run.log}"
	done
fi
kver=$(cat "$VM/kernel/.kver" 2> /dev/null || echo "?")
echo "Kernel $kver (KERNEL=$KERNEL), logs in $VM/logs."
echo
echo "| scenario | stage 4 | exec to power-off (ms) | stage 2 to power-off (ms) | summary ms | result | dm | md |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for s; do row "$s"; done
