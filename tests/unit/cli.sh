#!/bin/sh
# cli.sh — the binary's front door and its install layout: the safety gate
# (an action outside PID 1 exits 2 and changes nothing), usage errors,
# --help/--version, static and small, `make install DESTDIR=`.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$TOP" || exit 1
BIN=build/shutdownfs

ok() { printf 'PASS cli/%s\n' "$1"; }
ko() { printf 'FAIL cli/%s: %s\n' "$1" "$2"; }
# expect_rc NAME WANT GOT
expect_rc() { if [ "$3" = "$2" ]; then ok "$1"; else ko "$1" "exit $3, expected $2"; fi; }

if [ ! -x "$BIN" ]; then
	ko build "build/shutdownfs missing"
	exit 0
fi

for a in poweroff reboot halt kexec; do
	before=$(cat /proc/self/mountinfo /proc/swaps; losetup -a 2>/dev/null)
	err=$("$BIN" "$a" 2>&1 >/dev/null)
	rc=$?
	after=$(cat /proc/self/mountinfo /proc/swaps; losetup -a 2>/dev/null)
	case $err in
	*"refusing to $a: not PID 1"*)
		if [ "$rc" = 3 ] && [ "$before" = "$after" ]; then ok "not-pid1-$a"
		else ko "not-pid1-$a" "exit $rc or the machine changed"; fi ;;
	*) ko "not-pid1-$a" "exit $rc, message '$err'" ;;
	esac
done

"$BIN" --frobnicate poweroff > /dev/null 2>&1
expect_rc unknown-option 2 $?
"$BIN" sleep > /dev/null 2>&1
expect_rc unknown-action 2 $?
"$BIN" > /dev/null 2>&1
expect_rc no-action 2 $?
out=$("$BIN" --help 2>&1)
rc=$?
case $out in *"usage: shutdownfs"*) expect_rc help 0 "$rc" ;; *) ko help "no usage" ;; esac
out=$("$BIN" --version)
rc=$?
case $out in "shutdownfs "[0-9]*) expect_rc version 0 "$rc" ;; *) ko version "'$out'" ;; esac

# `last` as any user: nothing stored says so and exits 2; a pstore dump is
# found and its verdict is the exit status; nothing is removed
e=$(mktemp -d /tmp/sfs-last.XXXXXX)
chmod 0755 "$e"
mkdir -p "$e/empty"
out=$("$BIN" last --pstore-dir "$e/empty" --archive-dir "$e/empty" --efivars-dir "$e/empty" 2>&1)
rc=$?
case $out in
*"no record of a previous run found"*) expect_rc last-nothing-exits-2 2 "$rc" ;;
*) ko last-nothing-exits-2 "exit $rc, '$out'" ;;
esac
cp -a tests/fixtures/report/pstore-ramoops "$e/p"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" last --json --pstore-dir "$e/p" \
	--archive-dir "$e/empty" --efivars-dir "$e/empty" 2>&1)
rc=$?
case $out in
*'"result": "clean"'*) expect_rc last-pstore-as-nobody 0 "$rc" ;;
*) ko last-pstore-as-nobody "exit $rc, '$out'" ;;
esac
"$BIN" last plan > /dev/null 2>&1
expect_rc last-bad-argument 2 $?
if [ -f "$e/p/dmesg-ramoops-0" ]; then ok last-removes-nothing; else ko last-removes-nothing "dump gone"; fi
rm -rf "$e"

case $(file -b "$BIN") in
*"statically linked"*) ok static ;;
*) ko static "$(file -b "$BIN")" ;;
esac
size=$(stat -c %s "$BIN")
echo "cli: build/shutdownfs is $size bytes" >&2
if [ "$size" -le 614400 ]; then ok size-under-600KiB; else ko size-under-600KiB "$size bytes"; fi

d=$(mktemp -d /tmp/sfs-install.XXXXXX)
mkdir -p "$d/etc"
echo "deadline = 7" > "$d/etc/shutdownfs.conf"
if make -s install DESTDIR="$d" PREFIX=/usr > "$d.log" 2>&1; then
	miss=
	for f in usr/sbin/shutdownfs usr/sbin/mkshutdownfs usr/lib/shutdownfs/hooks.d/teardown \
		usr/lib/shutdownfs/ramfs-skel usr/share/man/man8/shutdownfs.8 \
		usr/share/man/man5/shutdownfs.conf.5 etc/shutdownfs.conf; do
		[ -e "$d/$f" ] || miss="$miss $f"
	done
	if [ -n "$miss" ]; then ko install "missing:$miss"
	elif [ "$(cat "$d/etc/shutdownfs.conf")" != "deadline = 7" ]; then ko install "existing config overwritten"
	elif grep -q '@PREFIX@' "$d/usr/sbin/mkshutdownfs"; then ko install "@PREFIX@ left in mkshutdownfs"
	elif find "$d/usr/lib/shutdownfs" -perm /022 | grep -q .; then ko install "group/world-writable files installed"
	else ok install-layout; fi
else
	ko install "make install failed: $(tail -n 3 "$d.log")"
fi
rm -rf "$d" "$d.log"
