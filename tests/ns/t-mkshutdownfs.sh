#!/bin/sh
# t-mkshutdownfs.sh — a skeleton built by mkshutdownfs.sh, used by a real run
# as PID 1 of a PID + mount namespace: a hook's `# needs:` program, dynamic
# and not a busybox applet, runs inside the ramfs after the old root is gone,
# loading only what mkshutdownfs copied.
# The scenario fragments are single-quoted on purpose: they expand inside the
# namespace, not here.
# shellcheck disable=SC2016
set -u
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"

prog=$(command -v numfmt 2>/dev/null || :)
if [ -z "$prog" ] || ! readelf -lW "$prog" 2>/dev/null | grep -q INTERP; then
	skip ns/mkshutdownfs-needs "no dynamic numfmt (coreutils) or readelf here"
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
