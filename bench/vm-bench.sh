#!/bin/sh
# VM benchmark: shutdownfs vs systemd-shutdown alone vs systemd-shutdown handing
# over to shutdownfs as exitrd, on the same md RAID1 -> LUKS2 -> LVM guest, with
# and without a SIGTERM-ignoring straggler. Guest ms from the exec of the stage-4
# program to "reboot: Power down" (kernel timestamps), and the check boot's verdict.
# Writes the section "## VM: shutdownfs vs systemd-shutdown" of docs/BENCHMARKS.md.
# Usage: sh bench/vm-bench.sh [ROUNDS]   (from the repo root, after make)
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

ROUNDS=${1:-${BENCH_ROUNDS:-3}}
OUT=$VM/bench
DOC=docs/BENCHMARKS.md
HEADING="## VM: shutdownfs vs systemd-shutdown"
RUN_LIMIT=${RUN_LIMIT:-240}

median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'; }

# ms between two console lines of a log (first match of each)
span_ms() {
	a=$(ts_ms "$1" "$2")
	b=$(ts_ms "$1" "$3")
	if [ -n "$a" ] && [ -n "$b" ]; then echo $((b - a)); fi
}

verdict_word() { # CHECKLOG
	if [ "$(verdict_get "$1" fs_clean)" = true ] && [ "$(verdict_get "$1" fsck)" = true ] &&
		[ "$(verdict_get "$1" md_clean)" = true ] && [ "$(verdict_get "$1" token)" = true ]; then
		echo clean
	else
		echo "not clean ($(sed -n 's/.*"detail":"\([^"]*\)".*/\1/p' "$1" | head -n 1))"
	fi
}

# left open at power-off, from the run log
left_open() {
	case $1 in
	shutdownfs | exitrd)
		c=$(summary_get "$2" crypt_left)
		echo "crypt_left=${c:-?} md stopped=$(summary_get "$2" md)"
		;;
	systemd)
		# systemd 252 detaches dm/md only when they are free; the root holds them
		if grep -q 'Could not detach DM\|Not all DM devices detached\|DM devices.*failed' "$2"; then
			echo "dm left open"
		else
			echo "see log"
		fi
		;;
	esac
}

# bench_case CONFIG STRAGGLERS: ROUNDS boots, appends a row to $OUT/rows
bench_case() {
	cfg=$1 strag=$2
	: > "$OUT/ms"
	: > "$OUT/verdicts"
	extra="vm.stage4=$cfg vm.stragglers=$strag vm.swap=/dev/mapper/vg0-swap"
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		WHY=""
		name=bench-$cfg-s$strag-$r
		msg "$name"
		boot_pair "$name" stack "$extra"
		t=$(span_ms "$RUNLOG" 'vmtest: exec stage4' 'reboot: Power down')
		echo "${t:-999999}" >> "$OUT/ms"
		verdict_word "$CHECKLOG" >> "$OUT/verdicts"
		last=$RUNLOG
		r=$((r + 1))
	done
	med=$(median < "$OUT/ms")
	all=$(tr '\n' ' ' < "$OUT/ms")
	verdicts=$(sort -u "$OUT/verdicts" | tr '\n' ';' | sed 's/;$//')
	waited=""
	w=$(span_ms "$last" 'Sending SIGTERM' 'Sending SIGKILL')
	[ -z "$w" ] || waited="systemd kill wait ${w} ms"
	w=$(span_ms "$last" 'shutdownfs: .*SIGTERM' 'shutdownfs: .*SIGKILL')
	[ -z "$w" ] || waited="${waited:+$waited, }shutdownfs kill grace ${w} ms"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$cfg")" \
		"$([ "$strag" = 1 ] && echo yes || echo no)" "$med" "$all" "$verdicts" \
		"$(left_open "$cfg" "$last")" "${waited:--}" >> "$OUT/rows"
}

label() {
	case $1 in
	shutdownfs) echo "shutdownfs" ;;
	systemd) echo "systemd-shutdown alone" ;;
	exitrd) echo "systemd-shutdown → shutdownfs (exitrd)" ;;
	esac
}

sizes() {
	echo "- binary: build/shutdownfs $(stat -c %s build/shutdownfs) bytes (static)"
	skel=$VM/rootfs/usr/lib/shutdownfs/skel
	if [ -d "$skel" ]; then
		echo "- skeleton (mkshutdownfs on the guest's Debian userland): $(du -sk "$skel" | cut -f1) KiB"
	else
		echo "- skeleton: none in the guest (shutdownfs ran with itself only)"
	fi
	ram=$(grep -h -m 1 'shutdownfs: .*\(tmpfs\|ramfs\).*\(KiB\|bytes\|kB\)' "$VM"/logs/bench-shutdownfs-s0-1-run.log 2>/dev/null |
		sed 's/^\[[^]]*\] //' | head -n 1)
	echo "- RAM of the ramfs at pivot, as shutdownfs logs it: ${ram:-not logged}"
}

section() {
	echo "$HEADING"
	echo
	echo "Measured by \`sh bench/vm-bench.sh $ROUNDS\` on $(date -u +%Y-%m-%d): QEMU $(qemu-system-x86_64 --version |
		sed -n 's/.*version \([^ ]*\).*/\1/p') TCG, -smp $VM_SMP, -m $VM_MEM, Debian kernel $KVER,"
	echo "systemd $(dpkg-query -W -f '${Version}' systemd), root on md RAID1 → LUKS2 → LVM → ext4, swap on LVM."
	echo "Time: guest ms from the exec of the stage-4 program (init's \`vmtest: exec\` kmsg line)"
	echo "to the kernel's \`reboot: Power down\`, kernel timestamps; $ROUNDS rounds each, median."
	echo "Verdict: the check boot (md members clean, ext4 clean and e2fsck -fn clean, unsynced token present)."
	echo "Straggler: a shell ignoring SIGTERM with a file on the root open for writing, plus a sleep."
	echo
	echo "| stage 4 | straggler | median ms | all rounds ms | check boot | left open | waited for |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	cat "$OUT/rows"
	echo
	sizes
	echo
}

doc_update() {
	section > "$OUT/section.md"
	[ -f "$DOC" ] || printf '# Benchmarks\n\n' > "$DOC"
	awk -v h="$HEADING" -v f="$OUT/section.md" '
		$0 == h { skip = 1; while ((getline l < f) > 0) print l; done = 1; next }
		skip && /^## / { skip = 0 }
		!skip { print }
		END { if (!done) { print ""; while ((getline l < f) > 0) print l } }
	' "$DOC" > "$OUT/doc.md"
	cat "$OUT/doc.md" > "$DOC"
	msg "wrote $HEADING to $DOC"
}

main() {
	[ "$(id -u)" = 0 ] || die "needs root (packages, qemu disks)"
	have_binary || die "build/shutdownfs not built: run make"
	VM_PROGRESS=1
	vm_prepare
	mkdir -p "$OUT"
	: > "$OUT/rows"
	for strag in 0 1; do
		for cfg in shutdownfs systemd exitrd; do
			bench_case "$cfg" "$strag"
		done
	done
	cat "$OUT/rows"
	doc_update
}

main "$@"
