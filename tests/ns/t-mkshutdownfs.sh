#!/bin/sh
# t-mkshutdownfs.sh — a skeleton built by mkshutdownfs.sh, used by a real run
# as PID 1 of a PID + mount namespace: a hook's `# needs:` program, dynamic
# and not a busybox applet, runs inside the ramfs after the old root is gone,
# loading only what mkshutdownfs copied; and the default skeleton (no
# options, the shipped hooks) on a machine the native teardown covers holds
# no hook and stays under 1 MiB in the ramfs, and the run is clean.
# The scenario fragments are single-quoted on purpose: they expand inside the
# namespace, not here.
# shellcheck disable=SC2016
set -u
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"

# The default skeleton: nothing under the applies-if paths (an empty
# MKSHUTDOWNFS_SYSROOT), so no shipped hook and no tool; the ramfs holds
# the skeleton and the binary only.
ns_begin
mkimg data
mkdir -p "$W/sysroot"
cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/data.img" "$R/data"
MKSHUTDOWNFS_SYSROOT=$W/sysroot sh "$TOP/mkshutdownfs.sh" -o "$R/usr/lib/shutdownfs/skel" >&2
S
echo 'echo "$TOKEN" > /data/token' >> "$W/post.sh"
ns_run --kill-timeout 1 --deadline 30 poweroff
# ramfs bytes, less the binary copied as /shutdownfs
ramfs_skel_small() {
	b=$(sed -n 's/.*ramfs: .* \([0-9]*\) bytes copied in.*/\1/p' "$W/log" | head -n 1)
	bin=$(stat -c %s "$BIN")
	[ -n "$b" ] || { echo "no ramfs line"; return 1; }
	[ $((b - bin)) -le 1048576 ] || { echo "skeleton in the ramfs: $((b - bin)) bytes"; return 1; }
}
judge ns/mkshutdownfs-default-lean "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached ramfs_skel_small "check_log 'hooks not needed here'" \
	"check_summary result=clean hooks_ok=0 hooks_failed=0"
ns_end

prog=$(command -v numfmt 2>/dev/null || :)
if [ -z "$prog" ] || ! ldd "$prog" >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then fail ns/mkshutdownfs-needs "no dynamic numfmt (coreutils)"
	else skip ns/mkshutdownfs-needs "no dynamic numfmt (coreutils) here"; fi
	exit 0
fi

ns_begin
mkimg data
mkdir -p "$W/hooks/final"
cat > "$W/hooks/final/50-numfmt" <<'H'
#!/bin/sh
# needs: numfmt
echo "numfmt in the ramfs: $(numfmt --to=iec 1048576)"
H
chmod 0755 "$W/hooks/final/50-numfmt"
cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/data.img" "$R/data"
sh "$TOP/mkshutdownfs.sh" -o "$R/usr/lib/shutdownfs/skel" --hooks-dir "$W/hooks" >&2
S
echo 'echo "$TOKEN" > /data/token' >> "$W/post.sh"
ns_run --kill-timeout 1 --deadline 30 poweroff
judge ns/mkshutdownfs-needs "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'hook final/50-numfmt: numfmt in the ramfs: 1.0M'" \
	"check_summary result=clean hooks_ok=1 hooks_failed=0"
ns_end
