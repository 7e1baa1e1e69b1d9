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
# shellcheck source=bench/doc.sh
. bench/doc.sh

ROUNDS=${1:-${BENCH_ROUNDS:-3}}
OUT=$VM/bench
DOC=docs/BENCHMARKS.md
HEADING=${BENCH_HEADING:-"## VM: shutdownfs vs systemd-shutdown"}
RUN_LIMIT=${RUN_LIMIT:-240}

median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'; }

# ms between two console lines of a log (first match of each)
span_ms() {
	a=$(ts_ms "$1" "$2")
	b=$(ts_ms "$1" "$3")
	if [ -n "$a" ] && [ -n "$b" ]; then echo $((b - a)); fi
}

verdict_word() { # CHECKLOG
	md=$(verdict_get "$1" md_clean)
	if [ "$(verdict_get "$1" fs_clean)" = true ] && [ "$(verdict_get "$1" fsck)" = true ] &&
		[ "$md" != false ] && [ "$(verdict_get "$1" token)" = true ]; then
		echo clean
	else
		echo "not clean ($(sed -n 's/.*"detail":"\([^"]*\)".*/\1/p' "$1" | head -n 1))"
	fi
}

# dm-crypt mappings left at power-off: shutdownfs says so in its summary;
# systemd-shutdown 252 alone leaves the root's stack (and so LUKS) open
crypt_left() { # LAYOUT RUNLOG
	c=$(summary_get "$2" crypt_left)
	if [ -n "$c" ]; then echo "$c"
	elif [ "$1" = stack ]; then echo "1 (open)"
	else echo "-"; fi
}

md_stopped() { # LAYOUT RUNLOG: the kernel's own line, after the exec (assembly prints one too)
	[ "$1" = stack ] || { echo "-"; return 0; }
	if awk '/vmtest: exec stage4/ {e = 1} e && /md: md0 stopped/ {f = 1} END {exit !f}' "$2"; then
		echo yes
	else
		echo "no (running)"
	fi
}

case_name() { echo "bench-$3-$1-s$2"; } # CONFIG STRAGGLERS LAYOUT

# bench_boot CONFIG STRAGGLERS LAYOUT: ROUNDS run + check boots
bench_boot() {
	cfg=$1 strag=$2 layout=$3
	extra="vm.stage4=${cfg%-*} vm.stragglers=$strag"
	[ "$layout" = stack ] && extra="$extra vm.swap=/dev/mapper/vg0-swap"
	[ "$cfg" = shutdownfs-noskel ] && extra="$extra vm.skel=none"
	[ "$cfg" = shutdownfs-default ] && extra="$extra vm.skel=default"
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		WHY=""
		msg "$(case_name "$cfg" "$strag" "$layout")-$r"
		boot_pair "$(case_name "$cfg" "$strag" "$layout")-$r" "$layout" "$extra"
		r=$((r + 1))
	done
}

# bench_row CONFIG STRAGGLERS LAYOUT: one table row from the rounds' console logs
bench_row() {
	cfg=$1 strag=$2 layout=$3
	: > "$OUT/ms"
	: > "$OUT/verdicts"
	: > "$OUT/copy"
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		run=$VM/logs/$(case_name "$cfg" "$strag" "$layout")-$r-run.log
		check=$VM/logs/$(case_name "$cfg" "$strag" "$layout")-$r-check.log
		t=$(span_ms "$run" 'vmtest: exec stage4' 'reboot: Power down')
		echo "${t:-999999}" >> "$OUT/ms"
		verdict_word "$check" >> "$OUT/verdicts"
		us=$(sed -n 's/.*shutdownfs: ramfs: .* copied in \([0-9]*\) us.*/\1/p' "$run" | head -n 1)
		[ -z "$us" ] || echo $((us / 1000)) >> "$OUT/copy"
		r=$((r + 1))
	done
	med=$(median < "$OUT/ms")
	all=$(tr '\n' ' ' < "$OUT/ms" | sed 's/ $//')
	verdicts=$(sort -u "$OUT/verdicts" | tr '\n' ';' | sed 's/;$//')
	waited=""
	w=$(span_ms "$run" 'Sending SIGTERM' 'Sending SIGKILL')
	[ -z "$w" ] || waited="systemd kill wait ${w} ms"
	w=$(span_ms "$run" 'shutdownfs: sent SIGTERM' 'shutdownfs: killing ')
	[ -z "$w" ] || waited="${waited:+$waited, }shutdownfs kill grace ${w} ms"
	[ ! -s "$OUT/copy" ] || waited="${waited:+$waited, }ramfs copy $(median < "$OUT/copy") ms"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$layout" "$(label "$cfg")" \
		"$([ "$strag" = 1 ] && echo yes || echo no)" "$med" "$all" "$verdicts" \
		"$(md_stopped "$layout" "$run")" "$(crypt_left "$layout" "$run")" "${waited:--}"
}

# every case: CONFIG STRAGGLERS LAYOUT; the loop root is where systemd-shutdown
# alone leaves the host filesystem needing recovery
CASES="shutdownfs 0 stack
shutdownfs-noskel 0 stack
systemd 0 stack
exitrd 0 stack
shutdownfs 1 stack
shutdownfs-noskel 1 stack
systemd 1 stack
exitrd 1 stack
shutdownfs 0 loop
systemd 0 loop"
# BENCH_CASES: a subset (with BENCH_HEADING, into its own section), e.g.
# the README's install against systemd-shutdown:
#   BENCH_HEADING="## VM: the README install vs systemd-shutdown" \
#   BENCH_CASES="shutdownfs-default 0 stack
#   systemd 0 stack
#   shutdownfs-default 1 stack" sh bench/vm-bench.sh 3
CASES=${BENCH_CASES:-$CASES}

label() {
	case $1 in
	shutdownfs) echo "shutdownfs" ;;
	shutdownfs-noskel) echo "shutdownfs, no skeleton (native teardown only)" ;;
	shutdownfs-default) echo "shutdownfs, README install (make install, mkshutdownfs defaults)" ;;
	systemd) echo "systemd-shutdown alone" ;;
	exitrd) echo "systemd-shutdown → shutdownfs (exitrd)" ;;
	esac
}

# median ms of a row: LAYOUT, stage-4 label, straggler yes|no
row_ms() {
	awk -F' [|] ' -v l="| $1" -v c="$2" -v s="$3" '$1 == l && $2 == c && $3 == s {print $4}' "$OUT/rows"
}

pct() { if [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ]; then echo "$(($1 * 100 / $2))%"; else echo "?"; fi; }

reading() {
	sd=$(row_ms stack "systemd-shutdown alone" no)
	sf=$(row_ms stack shutdownfs no)
	sn=$(row_ms stack "shutdownfs, no skeleton (native teardown only)" no)
	sds=$(row_ms stack "systemd-shutdown alone" yes)
	sfs=$(row_ms stack shutdownfs yes)
	sr=$(row_ms stack "shutdownfs, README install (make install, mkshutdownfs defaults)" no)
	srs=$(row_ms stack "shutdownfs, README install (make install, mkshutdownfs defaults)" yes)
	echo "Reading, against the goals of the benchmark:"
	echo
	echo "- Clean where systemd-shutdown alone is not: alone it leaves the LUKS mapping (key"
	echo "  in memory) and the LVs open and md0 running (the kernel's md reboot notifier then"
	echo "  marks it clean, after its 1 s sleep), and on the loop root the host filesystem needs"
	echo "  recovery. shutdownfs, alone or as exitrd, closes every layer (crypt_left=0, md0 stopped)."
	if [ -n "$sf" ]; then
		echo "- Time without stragglers: shutdownfs ${sf:-?} ms ($(pct "$sf" "$sd") of systemd-shutdown's ${sd:-?} ms)"
		echo "  with the rig's --all-hooks skeleton, ${sn:-?} ms ($(pct "$sn" "$sd")) without one. Most of the"
		echo "  difference is the ramfs copy: that skeleton holds ~20 MB (the fallback hooks' tools and"
		echo "  libraries), read through dm-crypt, whose AES TCG emulates in software."
	fi
	if [ -n "$sr" ]; then
		g1="NOT met"
		[ -z "$sd" ] || [ $((sr * 100)) -gt $((sd * 35)) ] || g1=met
		g2="NOT met"
		[ -z "$srs" ] || [ "$srs" -gt 6000 ] || g2=met
		echo "- README install: ${sr} ms without stragglers, $(pct "$sr" "$sd") of systemd-shutdown's ${sd:-?} ms"
		echo "  (goal: at most 35%: $g1); ${srs:-?} ms with the straggler (goal: within the 5 s kill grace + 1 s: $g2)."
	fi
	if [ -n "$sfs" ]; then
		echo "- With the straggler: shutdownfs ${sfs:-?} ms, bounded by its kill grace (5 s default);"
		echo "  systemd-shutdown ${sds:-?} ms, bounded by its 90 s DefaultTimeoutStopSec wait."
	fi
	echo
}

sizes() {
	echo "- binary: build/shutdownfs $(stat -c %s build/shutdownfs) bytes (static)"
	skel=$VM/rootfs/usr/lib/shutdownfs/skel
	dskel=$VM/rootfs/usr/lib/vmtest/skel-default
	if [ -d "$dskel" ]; then
		echo "- README install's skeleton (mkshutdownfs, no options, on the guest's Debian userland): $(du -sk "$dskel" | cut -f1) KiB"
	fi
	if [ -d "$skel" ]; then
		echo "- the rig's skeleton (mkshutdownfs --all-hooks, rows \"shutdownfs\"): $(du -sk "$skel" | cut -f1) KiB"
	else
		echo "- skeleton: none in the guest (shutdownfs ran with itself only)"
	fi
	ram=$(grep -h -m 1 'shutdownfs: .*\(tmpfs\|ramfs\).*\(KiB\|bytes\|kB\)' "$VM/logs/$(case_name shutdownfs 0 stack)-1-run.log" 2>/dev/null |
		sed 's/^\[[^]]*\] //' | head -n 1)
	echo "- RAM of the ramfs at pivot, as shutdownfs logs it: ${ram:-not logged}"
}

section() {
	echo "$HEADING"
	echo
	echo "Measured by \`sh bench/vm-bench.sh $ROUNDS\` on $(date -u +%Y-%m-%d): QEMU $(qemu-system-x86_64 --version |
		sed -n 's/.*version \([^ ]*\).*/\1/p') TCG, -smp $VM_SMP, -m $VM_MEM, Debian kernel $KVER,"
	echo "systemd $(dpkg-query -W -f '${Version}' systemd). Root \`stack\`: md RAID1 → LUKS2 → LVM → ext4, swap on LVM;"
	echo "root \`loop\`: an ext4 image file on an ext4 disk, loop-mounted, the disk mounted at /host."
	echo "Time: guest ms from the exec of the stage-4 program (init's \`vmtest: exec\` kmsg line)"
	echo "to the kernel's \`reboot: Power down\`, kernel timestamps; $ROUNDS rounds each, median."
	echo "Verdict: the check boot (md members clean, ext4 clean and e2fsck -fn clean, unsynced token present)."
	echo "Straggler: a shell ignoring SIGTERM with a file on the root open for writing, plus a sleep."
	echo "md0 stopped: the kernel's \`md: md0 stopped\` line; an md left running costs the kernel's"
	echo "reboot notifier a 1 s sleep. TCG makes copying (the skeleton into the ramfs) far slower than on hardware."
	echo
	echo "| root | stage 4 | straggler | median ms | all rounds ms | check boot | md0 stopped | crypt_left | waited for / spent on |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$OUT/rows"
	echo
	reading
	sizes
	echo
}

doc_update() {
	section > "$OUT/section.md"
	doc_section "$DOC" "$HEADING" "$OUT/section.md"
	msg "wrote $HEADING to $DOC"
}

# BENCH_REPORT=1: no boots, the table from the console logs of the last run
main() {
	[ "$(id -u)" = 0 ] || die "needs root (packages, qemu disks)"
	have_binary || die "build/shutdownfs not built: run make"
	VM_PROGRESS=1
	vm_prepare
	mkdir -p "$OUT"
	if [ -z "${BENCH_REPORT:-}" ]; then
		echo "$CASES" | while read -r cfg strag layout; do
			bench_boot "$cfg" "$strag" "$layout"
		done
	fi
	echo "$CASES" | while read -r cfg strag layout; do
		bench_row "$cfg" "$strag" "$layout"
	done > "$OUT/rows"
	cat "$OUT/rows"
	doc_update
}

main "$@"
