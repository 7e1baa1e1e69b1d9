# ns-init.sh — PID 1 of the test namespace, host side: build the fake old root
# at $W/root, run the scenario's pre.sh, pivot into it and hand over to
# post.sh under busybox, which execs shutdownfs. Runs only inside
# `unshare --pid --mount --fork` (tests/ns/lib.sh).
# shellcheck shell=sh
set -eu
W=$1
BIN=$2
shift 2
R=$W/root
[ "$$" = 1 ] || { echo "ns-init.sh: not PID 1 of a namespace, refusing" >&2; exit 99; }
mkdir -p "$R"
mount -t tmpfs -o "size=${NS_ROOT_SIZE:-96m},mode=0755" fakeroot "$R"
for d in bin sbin usr/sbin usr/lib/shutdownfs/skel/hooks.d etc proc sys dev tmp run data mnt oldhost; do
	mkdir -p "$R/$d"
done
cp /bin/busybox "$R/bin/busybox"
for a in sh sleep cat echo mount umount sync mkdir ln cp dd rm sed grep pivot_root losetup chmod trap true kill; do
	ln -s busybox "$R/bin/$a"
done
cp "$BIN" "$R/usr/sbin/shutdownfs"
# shellcheck disable=SC1091
. "$W/pre.sh"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t devtmpfs devtmpfs "$R/dev"
{
	echo 'umount -l /oldhost'
	echo 'cd /'
	cat "$W/post.sh"
	echo 'exec /usr/sbin/shutdownfs "$@"'
} > "$R/post.sh"
cd "$R"
pivot_root . oldhost
exec /bin/busybox sh /post.sh "$@"
