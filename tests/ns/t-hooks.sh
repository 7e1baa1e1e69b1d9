#!/bin/sh
# t-hooks.sh — hooks and the deadline in a real run, as PID 1 of a PID +
# mount namespace: hung, failing, daemon-leaving, flooding, stdin-reading
# and unsafe hooks; the guardian forcing the action when a hook or a
# process stuck in D state on a FUSE filesystem outlives the deadline.
set -u
. "$TOP/tests/ns/lib.sh"

# A hook that hangs is killed at its deadline; the run goes on and powers off.
ns_begin
base_data
skel_hooks
add_hook pre-umount 10-hang 0755 <<'H'
#!/bin/sh
echo "hanging in $SHUTDOWNFS_PHASE"
exec sleep 1000
H
add_hook teardown 10-after 0755 <<'H'
#!/bin/sh
echo "teardown runs after the hang"
H
ns_run --kill-timeout 1 --hook-timeout 1 --deadline 30 poweroff
judge ns/hook-hung "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'hook pre-umount/10-hang: hanging in pre-umount'" \
	"check_log 'hook pre-umount/10-hang: killed after [0-9]* ms (timeout 1000 ms), ignoring'" \
	"check_log 'hook teardown/10-after: teardown runs after the hang'" \
	"check_summary result=clean hooks_ok=1 hooks_failed=0 hooks_timeout=1"
ns_end

# One run, many hooks: a failure, a daemon left behind, a flood, a reader of
# stdin, unsafe files (made in the ramfs by a pre-umount hook, since the
# skeleton check refuses them), and the environment and argv a hook gets.
ns_begin
base_data
skel_hooks
add_hook pre-umount 10-make-unsafe 0755 <<'H'
#!/bin/sh
d=/hooks.d/teardown
printf '#!/bin/sh\necho UNSAFE-RAN\n' > $d/70-groupw && chmod 0775 $d/70-groupw
printf '#!/bin/sh\necho UNSAFE-RAN\n' > $d/71-worldw && chmod 0757 $d/71-worldw
printf '#!/bin/sh\necho UNSAFE-RAN\n' > $d/72-notroot && chmod 0755 $d/72-notroot && chown 1000 $d/72-notroot
mkfifo $d/73-fifo
H
add_hook teardown 10-fail 0755 <<'H'
#!/bin/sh
echo "about to fail" >&2
exit 3
H
add_hook teardown 20-daemon 0755 <<'H'
#!/bin/sh
sleep 300 &
setsid sleep 301 &
echo "daemons started"
H
add_hook teardown 30-flood 0755 <<'H'
#!/bin/sh
yes 'flooding the log with this line' | head -c 4000000
H
add_hook teardown 40-stdin 0755 <<'H'
#!/bin/sh
cat
read -r x
echo "stdin gave $?"
H
add_hook teardown 50-env 0755 <<'H'
#!/bin/sh
echo "argv=$1 phase=$SHUTDOWNFS_PHASE action=$SHUTDOWNFS_ACTION path=$PATH udev=$DM_DISABLE_UDEV"
H
add_hook teardown 60-noexec 0644 <<'H'
#!/bin/sh
echo UNSAFE-RAN
H
mkdir -p "$W/hooks/teardown/61-dir"
ln -s 50-env "$W/hooks/teardown/62-link"
ns_run --kill-timeout 1 --deadline 30 reboot
judge ns/hook-fails "check_signal 129" "check_log 'hook teardown/10-fail: about to fail'" \
	"check_log 'hook teardown/10-fail: exited with status 3, going on'"
judge ns/hook-daemon "check_log 'hook teardown/20-daemon: daemons started'" \
	"check_log 'hook teardown/20-daemon: killed 2 leftover processes'"
judge ns/hook-flood "check_log 'hook teardown/30-flood: [0-9]* more lines dropped'" \
	"check_log 'hook teardown/30-flood: done in'"
judge ns/hook-stdin "check_log 'hook teardown/40-stdin: stdin gave 1'"
judge ns/hook-env \
	"check_log 'hook teardown/50-env: argv=reboot phase=teardown action=reboot path=/bin:/sbin:/usr/bin:/usr/sbin udev=1'"
judge ns/hook-unsafe \
	"check_log 'hook teardown/70-groupw: writable by group or others, skipped'" \
	"check_log 'hook teardown/71-worldw: writable by group or others, skipped'" \
	"check_log 'hook teardown/72-notroot: not owned by root, skipped'" \
	"check_log 'hook teardown/73-fifo: not a regular file, skipped'" \
	"check_log 'hook teardown/60-noexec: not executable, skipped'" \
	"check_log 'hook teardown/61-dir: not a regular file, skipped'" \
	"check_log 'hook teardown/62-link: a symlink, skipped'" \
	"check_no_log UNSAFE-RAN"
judge ns/hook-mixed-run check_images_clean "check_token data /token" check_loops_detached \
	"check_summary action=reboot result=clean hooks_ok=5 hooks_failed=1 hooks_timeout=0"
ns_end

# A hook whose own `# timeout:` outlives the global deadline: its phase is
# cut where the teardown's reserve begins, the hook is named and killed,
# and the teardown still runs: power-off within the deadline.
ns_begin
base_data
skel_hooks
add_hook pre-umount 10-long 0755 <<'H'
#!/bin/sh
# timeout: 100
exec sleep 1000
H
mark_start
ns_run --kill-timeout 1 --deadline 6 poweroff
judge ns/deadline-during-hook "check_signal 130" \
	"check_log 'hooks pre-umount: hook pre-umount/10-long: over its budget of'" \
	check_images_clean "check_token data /token" check_loops_detached \
	"check_summary hooks_timeout=1" "check_within 6000"
ns_end

# FUSE: a daemon that stops answering (spared by the kill, '@'), and a
# process stuck in D state writing to it, so SIGKILL cannot end it.
fuse_ready() {
	[ -c /dev/fuse ] || { echo "no /dev/fuse"; return 1; }
	mkdir -p "$TOP/build/ns"
	${CC_HOST:-cc} -O1 -Wall -o "$TOP/build/ns/fuse-stall" "$NS_DIR/fuse-stall.c" 2>&1 ||
		{ echo "cannot build fuse-stall"; return 1; }
}
fuse_setup() {
	cat >> "$W/pre.sh" <<S
mkdir -p "\$R/mnt/fuse"
"$TOP/build/ns/fuse-stall" "\$R/mnt/fuse"
S
	cat >> "$W/post.sh" <<'S'
sh -c 'exec 3>/mnt/fuse/file; echo stuck >&3; while :; do sleep 1; done' &
sleep 0.5
S
	mark_start
}

if why=$(fuse_ready); then
	# The kill waits longer than the deadline for the unkillable process:
	# its phase is cut so that the critical teardown still gets its turn,
	# and the namespace ends in time.
	ns_begin
	fuse_setup
	ns_run --kill-timeout 10 --deadline 3 reboot
	judge ns/fuse-stuck-deadline "check_signal 129" \
		"check_log 'stage 1: kill: over its budget of'" "check_summary result=degraded" \
		"check_within 5000"
	ns_end

	# With the kill's wait inside the deadline the run itself gets past it:
	# the stuck mount is detached, the rest is torn down, power-off comes.
	ns_begin
	base_data
	fuse_setup
	ns_run --kill-timeout 1 --deadline 20 poweroff
	judge ns/fuse-stuck-run-ends "check_signal 130" check_images_clean "check_token data /token" \
		check_loops_detached "check_no_log 'deadline of'" \
		"check_within 15000"
	ns_end
else
	skip ns/fuse-stuck-deadline "$why"
	skip ns/fuse-stuck-run-ends "$why"
fi
