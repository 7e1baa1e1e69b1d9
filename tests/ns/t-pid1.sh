#!/bin/sh
# t-pid1.sh — PID 1 cannot lose the run: hooks that kill or stop every
# process, a worker that crashes, signals to PID 1 from outside, options an
# init could pass to fake stage 2. Each run must end in the action, with the
# teardown after the fault still done, within the deadline.
set -u
. "$TOP/tests/ns/lib.sh"

# A pre-umount hook's `kill -9 -1` kills the worker (and everything else but
# PID 1 and the hook): the next worker goes on with the unmount.
ns_begin
base_data
skel_hooks
add_hook pre-umount 10-killall 0755 <<'H'
#!/bin/sh
kill -9 -1
echo "killed everything"
H
mark_start
ns_run --kill-timeout 1 --deadline 20 poweroff
judge ns/hook-kill-9-all "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'killed by Killed during hooks pre-umount'" \
	"check_summary result=clean" "check_within 10000"
ns_end

# `kill -STOP -1` stops the worker: PID 1 continues it, the hook's own
# deadline is not waited out.
ns_begin
base_data
skel_hooks
add_hook pre-umount 10-stopall 0755 <<'H'
#!/bin/sh
kill -STOP -1
echo "stopped everything"
H
add_hook teardown 10-after 0755 <<'H'
#!/bin/sh
echo "teardown hook ran"
H
mark_start
ns_run --kill-timeout 1 --hook-timeout 8 --deadline 20 poweroff
judge ns/hook-stop-all "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'stopped by Stopped'" \
	"check_log 'hook teardown/10-after: teardown hook ran'" \
	"check_summary result=clean" "check_within 6000"
ns_end

# The worker crashes during a phase (a teardown hook sends its parent, the
# worker, SIGSEGV): the next worker does the device teardown and the rest.
ns_begin
nested_four
# shellcheck disable=SC2016 # expanded in the namespace
echo 'echo "$TOKEN" > /data/a/b/c/token' >> "$W/post.sh"
skel_hooks
add_hook teardown 10-crash-worker 0755 <<'H'
#!/bin/sh
echo "worker is $PPID"
kill -SEGV "$PPID"
H
add_hook final 10-after 0755 <<'H'
#!/bin/sh
echo "final hook ran"
H
mark_start
ns_run --kill-timeout 1 --deadline 20 reboot
judge ns/worker-crash "check_signal 129" check_images_clean "check_token n4 /token" \
	check_loops_detached "check_log 'killed by Segmentation fault during hooks teardown'" \
	"check_log 'hook final/10-after: final hook ran'" "check_summary result=clean" \
	"check_within 10000"
ns_end

# SIGTERM and SIGINT to PID 1 from the parent namespace mid-run (a second
# shutdown request, ctrl-alt-del): logged, the run goes on to poweroff.
ns_pid1() {
	_u=$(cat "/proc/$NS_PID/task/$NS_PID/children" 2>/dev/null)
	for _c in $_u; do cat "/proc/$_c/task/$_c/children" 2>/dev/null; done
}
signal_mid_run() {
	_i=0
	while ! grep -q 'mid-run hook' "$W/log" 2>/dev/null && [ "$_i" -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	for _p in $(ns_pid1); do
		kill -TERM "$_p" 2>/dev/null
		kill -INT "$_p" 2>/dev/null
	done
}
ns_begin
base_data
skel_hooks
add_hook pre-umount 10-slow 0755 <<'H'
#!/bin/sh
echo "mid-run hook"
sleep 1
H
mark_start
NS_AFTER_START=signal_mid_run ns_run --kill-timeout 1 --deadline 20 poweroff
judge ns/signals-to-pid1 "check_signal 130" check_images_clean "check_token data /token" \
	check_loops_detached "check_log 'signal Terminated from pid'" \
	"check_log 'signal Interrupt from pid'" "check_summary result=clean"
ns_end

# Round 1's internal options cannot fake stage 2 or move the deadline: PID
# 1 takes them as a usage error and still does the whole run (reboot).
for opt in --stage2 --start-us=1 --start-us=18446744073709551615 --old-guard=2; do
	ns_begin
	base_data
	ns_run --kill-timeout 1 "$opt" poweroff
	judge "ns/forged-option$(echo "$opt" | tr -c 'a-z0-9\n' -)" "check_signal 129" \
		check_images_clean "check_token data /token" check_loops_detached \
		"check_log 'unknown option $opt'" "check_log 'stage 2 in the ramfs'" \
		"check_summary result=clean"
	ns_end
done
