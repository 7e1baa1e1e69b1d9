#!/bin/sh
# record-graphs.sh — copies the sysfs graphs the last setup boots recorded
# ($VM/layouts/*/graph-NAME) into tests/fixtures/sysfs/recorded/KVER/, to be
# committed; tests/fixtures/sysfs/check-recorded.sh compares the fixtures
# with them. Usage, after `[KERNEL=6.12] sh tests/vm/run.sh fixtures`:
#   [KERNEL=6.12] sh tests/vm/record-graphs.sh
set -eu

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

kver=$(cat "$VM/kernel/.kver") || die "no kernel in $VM"
out=tests/fixtures/sysfs/recorded/$kver
mkdir -p "$out"
n=0
for g in "$VM"/layouts/*/graph-*; do
	[ -f "$g" ] || continue
	f=${g##*/graph-}
	cp "$g" "$out/$f.graph"
	n=$((n + 1))
done
msg "$n graphs into $out"
