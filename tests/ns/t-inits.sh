#!/bin/sh
# t-inits.sh — each init route's entry point exactly as its PID 1 calls it,
# in a PID + mount namespace: busybox init and s6-svscan for real (busybox
# from the host, s6 from Debian's package, unpacked), sysvinit for real when
# its /sbin/init runs in a namespace (else its re-exec as init.c does it:
# argv, INIT_HALT, the state stream on fd 11), dinit's `shutdown --system
# -X` exec. Judged by the signal the namespace's PID 1 died of and the
# summary line; the scenario fragments expand inside the namespace.
# shellcheck disable=SC2016
set -u
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"
# shellcheck disable=SC1091
. "$TOP/tests/ns/inits-lib.sh"

OPTS='--kill-timeout 1 --deadline 30'

# One image at /data; the token is written (without sync) by the scenario.
data_image() {
	mkimg data
	echo 'mount -o loop "$W/data.img" "$R/data"' >> "$W/pre.sh"
}

# --- busybox init: the user's `poweroff`/`reboot` (our wrapper) -> handover
# -> SIGQUIT -> ::shutdown: -> kill -> exec ::restart: -> the state file.
busybox_case() {
	act=$1 sig=$2
	ns_begin
	data_image
	cat >> "$W/pre.sh" <<'S'
cp "$TOP/init/busybox/shutdownfs-halt" "$R/sbin/shutdownfs-halt"
for a in poweroff reboot halt; do ln -s shutdownfs-halt "$R/sbin/$a"; done
ln -s busybox "$R/bin/init"
S
	cat >> "$W/post.sh" <<S
cat > /etc/inittab <<'T'
::once:/bin/sh /user.sh
::shutdown:/bin/sh -c "echo busybox-shutdown-lines-ran >&2"
::restart:/usr/sbin/shutdownfs --from busybox $OPTS
T
cat > /user.sh <<'T'
echo "\$TOKEN" > /data/token
/usr/sbin/shutdownfs plan >&2
exec /sbin/$act
T
exec /bin/init
S
	ns_run poweroff
	judge "ns/inits-busybox-$act" "check_signal $sig" check_images_clean "check_token data /token" \
		check_loops_detached "check_summary action=$act result=clean left=0" \
		"check_log busybox-shutdown-lines-ran" \
		"check_log 'handover: action $act from /run/shutdownfs.handover/action'" \
		"check_log 'handover: SIGQUIT sent to busybox init'" \
		"check_log '  PID 1: busybox (/bin/busybox)'" \
		"check_log '  set up: yes (/etc/inittab names shutdownfs)'"
	ns_end
}
busybox_case poweroff 130
busybox_case reboot 129
busybox_case halt 130

# Alpine-like ::shutdown: lines run before busybox kills anything: with a
# writer holding /data the remount read-only fails, and `umount -a` takes
# /proc, /sys and /dev from under the exec; shutdownfs still ends clean.
ns_begin
data_image
cat >> "$W/pre.sh" <<'S'
cp "$TOP/init/busybox/shutdownfs-halt" "$R/sbin/shutdownfs-halt"
ln -s shutdownfs-halt "$R/sbin/poweroff"
ln -s busybox "$R/bin/init"
S
cat >> "$W/post.sh" <<S
cat > /etc/inittab <<'T'
::once:/bin/sh /user.sh
::shutdown:/bin/umount -a -r
::restart:/usr/sbin/shutdownfs --from busybox $OPTS
T
cat > /user.sh <<'T'
sh -c 'trap "" TERM; exec 3>>/data/held; echo "\$TOKEN" >&3; while :; do sleep 1; done' &
sleep 0.3
exec /sbin/poweroff
T
exec /bin/init
S
ns_run poweroff
judge ns/inits-busybox-alpine-umount-lines "check_signal 130" check_images_clean \
	"check_token data /held" check_loops_detached "check_summary action=poweroff result=clean left=0" \
	"check_log 'handover: action poweroff from /run/shutdownfs.handover/action'"
ns_end

# A helper told the wrong init refuses (exit 3). No ::restart: line: SIGQUIT
# does nothing, the helper's wait runs out, it undoes the route (its tmpfs
# unmounted) and exits 6; busybox's own `poweroff -f` ends the namespace.
ns_begin
echo 'ln -s busybox "$R/bin/init"' >> "$W/pre.sh"
cat >> "$W/post.sh" <<'S'
cat > /etc/inittab <<'T'
::once:/bin/sh /user.sh
T
cat > /user.sh <<'T'
/usr/sbin/shutdownfs handover --init sysvinit --wait 2 poweroff
echo "mismatch-exit=$?" >&2
/usr/sbin/shutdownfs handover --init busybox --wait 2 poweroff
echo "handover-exit=$?" >&2
grep -c shutdownfs.handover /proc/mounts | sed 's/^/handover-mounts=/' >&2
exec /bin/busybox poweroff -f
T
exec /bin/init
S
ns_run poweroff
judge ns/inits-busybox-no-restart-times-out "check_signal 130" "check_log handover-exit=6" \
	"check_log mismatch-exit=3" "check_log 'PID 1 is busybox (/bin/busybox), not sysvinit; nothing was changed'" \
	"check_log handover-mounts=0" "check_log 'PID 1 did not take over within 2 s, route undone'"
ns_end

# sysvinit's FIFO with no init reading it: the request cannot be made, the
# bind mount over /sbin/init and the tmpfs are undone, exit 5.
ns_begin
echo ': > "$R/sbin/init"' >> "$W/pre.sh"
cat >> "$W/post.sh" <<'S'
busybox mkfifo /run/initctl
/usr/sbin/shutdownfs handover --init sysvinit poweroff
echo "handover-exit=$?" >&2
grep -c ' /sbin/init \| /run/shutdownfs.handover ' /proc/mounts | sed 's/^/handover-mounts=/' >&2
S
ns_run --kill-timeout 1 poweroff
judge ns/inits-sysvinit-no-reader-undone "check_signal 130" "check_log handover-exit=5" \
	"check_log handover-mounts=0" "check_log 'no sysvinit initctl FIFO to write to'"
ns_end

# busybox's ::restart: exec with no state file (SIGQUIT sent by hand): the
# documented default, reboot.
ns_begin
cat >> "$W/pre.sh" <<'S'
ln -s busybox "$R/bin/init"
S
cat >> "$W/post.sh" <<S
cat > /etc/inittab <<'T'
::once:/bin/kill -QUIT 1
::restart:/usr/sbin/shutdownfs --from busybox $OPTS
T
exec /bin/init
S
ns_run poweroff
judge ns/inits-busybox-no-state-reboots "check_signal 129" "check_summary action=reboot" \
	"check_log 'started by busybox with no action and no state file: reboot'"
ns_end

# --- dinit: PID 1 execs its shutdown program (us, by the recipe's link)
# as `shutdown --system -X`; a user's call goes to the real one.
for a in p:poweroff:130 r:reboot:129 h:halt:130 k:kexec:129; do
	flag=${a%%:*} rest=${a#*:}
	act=${rest%%:*} sig=${rest#*:}
	ns_begin
	data_image
	cat >> "$W/pre.sh" <<'S'
ln -s /usr/sbin/shutdownfs "$R/sbin/shutdown"
mkdir -p "$R/usr/lib/shutdownfs"
printf '#!/bin/sh\necho "real-dinit-shutdown args=$*" >&2\n' > "$R/usr/lib/shutdownfs/dinit-shutdown"
chmod 755 "$R/usr/lib/shutdownfs/dinit-shutdown"
ln -s shutdown "$R/sbin/reboot"
S
	cat >> "$W/post.sh" <<S
echo "\$TOKEN" > /data/token
# not PID 1: a user's shutdown -r and a reboot link, forwarded
sh -c '/sbin/shutdown -r now; /sbin/reboot'
sh -c 'exec /sbin/shutdown --system -s'
exec /sbin/shutdown --system -$flag
S
	ns_run poweroff
	judge "ns/inits-dinit-$act" "check_signal $sig" check_images_clean "check_token data /token" \
		check_loops_detached "check_summary action=$act result=clean left=0" \
		"check_log 'started by dinit: action $act'" \
		"check_log 'real-dinit-shutdown args=-r now'" \
		"check_log 'real-dinit-shutdown args=--system -s'" \
		"check_count 'real-dinit-shutdown args=' 3"
	ns_end
done

# dinit's SIGQUIT path: `shutdown --system` alone, dinit's default poweroff
ns_begin
echo 'ln -s /usr/sbin/shutdownfs "$R/sbin/shutdown"' >> "$W/pre.sh"
echo 'exec /sbin/shutdown --system' >> "$W/post.sh"
ns_run poweroff
judge ns/inits-dinit-sigquit "check_signal 130" "check_summary action=poweroff"
ns_end

# --- sysvinit and s6: inits-lib.sh
[ -n "${INITS_ONLY:-}" ] || inits_sysvinit
inits_s6
