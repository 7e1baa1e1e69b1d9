#!/bin/sh
# run.sh — the unit tier: every test binary (musl static, then host libc with
# ASan/UBSan), the shell test scripts of tests/unit, and the fuzz corpus.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=build
for t in tests/unit/test-*.c; do
	n=$(basename "$t" .c)
	for kind in unit unit-asan; do
		bin=$B/$kind/$n
		tag=$n
		[ "$kind" = unit ] || tag=asan/$n
		if [ ! -x "$bin" ]; then
			echo "FAIL $tag: not built (make unit)"
			continue
		fi
		# failures print FAIL lines; their details go to the .stderr file
		UNIT_TAG=$tag ASAN_OPTIONS=detect_leaks=0 "$bin" 2> "$B/$kind/$n.stderr" || :
	done
done 2>&1 | tee "$B/unit.out" | grep -E '^(PASS|FAIL|SKIP) '
# a binary that crashed outside a test prints nothing for it: count it
for t in tests/unit/test-*.c; do
	n=$(basename "$t" .c)
	grep -q "^[A-Z]* $n/" "$B/unit.out" || echo "FAIL $n: printed no result"
	grep -q "^[A-Z]* asan/$n/" "$B/unit.out" || echo "FAIL asan/$n: printed no result"
done
for s in tests/unit/*.sh; do
	[ "$s" = tests/unit/run.sh ] && continue
	TOP=$TOP sh "$s" || echo "FAIL unit/$(basename "$s" .sh): script exited $?"
done
if command -v clang > /dev/null && [ -x "$B/fuzz/fuzz-config" ]; then
	if "$B/fuzz/fuzz-config" -runs=0 tests/fuzz/corpus > "$B/fuzz/replay.log" 2>&1; then
		echo "PASS fuzz/replay-corpus"
	else
		echo "FAIL fuzz/replay-corpus: see $B/fuzz/replay.log"
	fi
else
	echo "SKIP fuzz/replay-corpus: clang with libFuzzer not installed (make deps)"
fi
