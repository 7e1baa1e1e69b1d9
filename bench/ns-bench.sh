#!/bin/sh
# ns-bench.sh — benchmark (not a test): exec of shutdownfs to reboot(2) (the
# summary's ms=, taken just before it) as PID 1 of a PID + mount namespace,
# for 10, 100, 1000, 10000 idle mounts (tmpfs, nested 16 deep, binds of one
# tmpfs) and for 1, 8, 32, 64 loop-mounted ext4 images; medians of ROUNDS,
# the cost per item, and whether it grows linearly. Root only.
# Usage: sh bench/ns-bench.sh      (ROUNDS=3, MOUNTS="10 100 1000 10000", IMAGES="1 8 32 64",
#                                  KINDS="tmpfs nested bind", BIN=build/shutdownfs)
# Loop devices past the ones /dev holds (max_loop=8 makes 8 at boot) are
# made by loop-control (losetup -f); where no udev makes their node, the
# bench makes it in $W from /sys/block/loopN/dev.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
ROUNDS=${ROUNDS:-3}
MOUNTS=${MOUNTS-10 100 1000 10000}
IMAGES=${IMAGES-1 8 32 64}
NS_LIMIT=120
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"
MKMOUNTS=$TOP/build/ns/mkmounts
mkdir -p "$TOP/build/ns"
${CC_HOST:-cc} -O1 -Wall -o "$MKMOUNTS" "$NS_DIR/mkmounts.c"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'; }

# one_run: the scenario in $W is set up; prints ms= of the summary (a run
# that is not clean is said on stderr: BIN= may be an older binary).
one_run() {
	ns_run --kill-timeout 1 --deadline 100 poweroff
	s=$(summary)
	[ -n "$s" ] || { echo "bench: no summary" >&2; tail -n 20 "$W/log" >&2; exit 1; }
	case $s in *result=clean*) ;; *) echo "bench: not clean: $s" >&2 ;; esac
	printf '%s\n' "$s" | sed -n 's/.* ms=\([0-9]*\)$/\1/p'
}

# series KIND N...: "KIND N median_ms" lines
mounts_series() {
	kind=$1
	shift
	for n; do
		: > /tmp/sfs-nsbench
		r=0
		while [ "$r" -lt "$ROUNDS" ]; do
			ns_begin
			echo "\"$MKMOUNTS\" \"\$R/mnt/idle\" $n $kind" >> "$W/pre.sh"
			one_run >> /tmp/sfs-nsbench
			ns_end
			r=$((r + 1))
		done
		echo "$kind $n $(median < /tmp/sfs-nsbench)"
	done
}

images_series() {
	for n; do
		: > /tmp/sfs-nsbench
		r=0
		while [ "$r" -lt "$ROUNDS" ]; do
			ns_begin
			cat "$TOP/bench/loop-mount.sh" >> "$W/pre.sh"
			i=0
			while [ "$i" -lt "$n" ]; do
				mkimg "i$i" 4
				echo "mkdir -p \"\$R/data/$i\" && loop_mount \"\$W/i$i.img\" \"\$R/data/$i\"" >> "$W/pre.sh"
				echo "echo x > /data/$i/f" >> "$W/post.sh"
				i=$((i + 1))
			done
			one_run >> /tmp/sfs-nsbench
			why=$(check_images_clean) || { echo "bench: $why" >&2; ns_end; exit 1; }
			why=$(check_loops_detached) || { echo "bench: $why" >&2; ns_end; exit 1; }
			ns_end
			r=$((r + 1))
		done
		echo "loop-images $n $(median < /tmp/sfs-nsbench)"
	done
}

# table: per-item cost between consecutive sizes, and linearity: the cost
# per item of the last step at most 2x that of the step before it (the
# smallest sizes are dominated by fixed costs and noise)
report() {
	awk '
	{ k = $1; n[k, ++c[k]] = $2; t[k, c[k]] = $3; order[k] = 1 }
	END {
		printf "| kind | items | exec to reboot(2), ms (median) | ms per item since the previous size |\n"
		printf "| --- | ---: | ---: | ---: |\n"
		for (k in order) {
			for (i = 1; i <= c[k]; i++) {
				per = i > 1 ? sprintf("%.3f", (t[k, i] - t[k, i - 1]) / (n[k, i] - n[k, i - 1])) : "-"
				printf "| %s | %d | %d | %s |\n", k, n[k, i], t[k, i], per
			}
			if (c[k] >= 3) {
				a = (t[k, c[k] - 1] - t[k, c[k] - 2]) / (n[k, c[k] - 1] - n[k, c[k] - 2])
				b = (t[k, c[k]] - t[k, c[k] - 1]) / (n[k, c[k]] - n[k, c[k] - 1])
				lin[k] = (b <= 2 * a + 0.05) ? "linear" : "NOT linear"
				line = line sprintf("%s: %s (%.3f ms/item from %d to %d, %.3f from %d to %d); ", k, lin[k], \
					a, n[k, c[k] - 2], n[k, c[k] - 1], b, n[k, c[k] - 1], n[k, c[k]])
			}
		}
		print ""
		print line
	}' /tmp/sfs-nsbench.all
}

: > /tmp/sfs-nsbench.all
# shellcheck disable=SC2086 # lists of sizes
{
	for k in ${KINDS:-tmpfs nested bind}; do
		mounts_series "$k" $MOUNTS
	done
	images_series $IMAGES
} | tee -a /tmp/sfs-nsbench.all
report
rm -f /tmp/sfs-nsbench /tmp/sfs-nsbench.all
