#!/bin/sh
# run.sh — the ns tier: every tests/ns/t-*.sh, each printing PASS/FAIL/SKIP.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export TOP
cd "$TOP" || exit 1
why=
[ "$(id -u)" = 0 ] || why="needs root (PID + mount namespaces, loop devices)"
[ -n "$why" ] || [ -x build/shutdownfs ] || why="build/shutdownfs missing: run make"
[ -n "$why" ] || unshare --pid --mount --fork true 2>/dev/null || why="unshare --pid --mount not permitted here"
[ -n "$why" ] || [ -e /dev/loop-control ] || why="no loop devices on this kernel"
[ -n "$why" ] || command -v busybox > /dev/null || [ -x /bin/busybox ] || why="busybox-static not installed"
for t in tests/ns/t-*.sh; do
	if [ -n "$why" ]; then
		echo "SKIP ns/$(basename "$t" .sh): $why"
		continue
	fi
	sh "$t" || echo "FAIL ns/$(basename "$t" .sh): script exited $?"
done
