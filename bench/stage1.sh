#!/bin/sh
# stage1.sh — benchmark (not a test): stage 1 time, from the exec of
# shutdownfs to the exec of stage 2 in the ramfs, with 1 MiB and 64 MiB
# skeletons; the skeleton copy rate; and exec to reboot(2) for the four-deep
# scenario with no stragglers. Runs each ROUNDS times as PID 1 of a PID +
# mount namespace (tests/ns/lib.sh) and prints medians. Root only.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
ROUNDS=${ROUNDS:-15}
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'; }

# skel_run MIB: one run with a skeleton of MIB MiB in 64 files.
skel_run() {
	ns_begin
	cat >> "$W/pre.sh" <<S
mkdir -p "\$R/skel/bin"
i=0
while [ \$i -lt 64 ]; do
	head -c $(($1 * 16384)) /dev/urandom > "\$R/skel/bin/f\$i"
	i=\$((i + 1))
done
S
	ns_run --kill-timeout 1 --skel /skel poweroff
	[ "$NS_RC" = 130 ] || { echo "bench: run ended with $NS_RC" >&2; cat "$W/log" >&2; exit 1; }
	s1=$(sed -n 's/.*stage 2 in the ramfs, \([0-9]*\) us after.*/\1/p' "$W/log")
	cp=$(sed -n 's/.*ramfs: .* \([0-9]*\) bytes copied in \([0-9]*\) us/\1 \2/p' "$W/log")
	echo "$s1 $cp"
	ns_end
}

for mib in 1 64; do
	: > "/tmp/sfs-bench.$mib"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		skel_run "$mib" >> "/tmp/sfs-bench.$mib"
		r=$((r + 1))
	done
	s1=$(cut -d' ' -f1 "/tmp/sfs-bench.$mib" | median)
	rate=$(awk '{ if ($3 > 0) print int($2 / $3 * 1000000 / 1048576) }' "/tmp/sfs-bench.$mib" | median)
	echo "stage1 skel=${mib}MiB median_us=$s1 copy_MiB_per_s=$rate rounds=$ROUNDS"
	rm -f "/tmp/sfs-bench.$mib"
done

# exec to reboot(2): nested four deep, no stragglers
: > /tmp/sfs-bench.deep
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	ns_begin
	nested_four
	ns_run --skel /none poweroff
	sed -n 's/.*summary .* ms=\([0-9]*\)$/\1/p' "$W/log" >> /tmp/sfs-bench.deep
	ns_end
	r=$((r + 1))
done
echo "exec-to-reboot nested-4-deep median_ms=$(median < /tmp/sfs-bench.deep) rounds=$ROUNDS"
rm -f /tmp/sfs-bench.deep
