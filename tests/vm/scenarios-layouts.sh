#!/bin/sh
# vm tier: the scenarios on the layouts of tests/vm/layouts.sh (one setup
# boot each), the comparison of the unit fixtures with the graphs a real
# kernel showed, and the runner that boots VM_JOBS scenarios at a time.
# Sourced by tests/vm/run.sh (uses its expect_* and report helpers).

# shellcheck disable=SC2034 # read by run.sh
LAYOUT_SCENARIOS="thin raid5 raid10 lvmraid integrity integrity_md xfs_lul btrfs_luks cache kexec
mpath nbd iscsi imsm fixtures"

# the layouts the given scenarios boot
scenario_layouts() { # SCENARIO...
	for s; do
		l=$(echo "$s" | tr _ -)
		case $l in
		fixtures) echo fixtures thin integrity-md ;;
		*) layout_spec "$l" > /dev/null && echo "$l" ;;
		esac
	done | tr ' ' '\n' | awk 'NF && !seen[$0]++'
}

# the layout is built, or the scenario says why not: FAIL under CI=true
layout_or_fail() { # SCENARIO LAYOUT
	layout_ready "$2" && return 0
	if [ "${CI:-}" = true ]; then
		why "layout $2 could not be built (see $VM/logs/setup-$2.log)"
		report "$1"
	else
		skip "$1" "layout $2 could not be built here (see $VM/logs/setup-$2.log)"
	fi
	return 1
}

# every dm device the run boot had is removed by shutdownfs, nothing left
expect_dm_all_gone() {
	n=$(sed -n 's/.*vmtest: dm devices before the run: \([0-9]*\).*/\1/p' "$RUNLOG" | head -n 1)
	if [ -z "$n" ]; then
		why "the run boot did not count its dm devices"
		return 0
	fi
	expect_summary result clean dm "$n" crypt_left 0 left 0
}

# a layout scenario with native teardown (the block-stack hooks removed)
layout_case() { # SCENARIO LAYOUT [CMDLINE]
	need_binary "$1" || return 1
	layout_or_fail "$1" "$2" || return 1
	boot_pair "$1" "$2" "vm.stage4=shutdownfs vm.hooks=native ${3:-}"
	expect_exit poweroff
	expect_dm_all_gone
	expect_clean_disks
}

# md arrays: members clean with equal events, md0 stopped by the run
expect_md_layout() {
	expect_verdict md_clean true
	expect_verdict md_events_equal true
}

sc_thin() {
	layout_case thin thin || return 0
	expect_verdict thin_check true
	report thin
}

sc_raid5() {
	layout_case raid5 raid5 || return 0
	expect_summary md 1
	expect_md_layout
	expect_md_stopped
	report raid5
}

sc_raid10() {
	layout_case raid10 raid10 || return 0
	expect_summary md 1
	expect_md_layout
	expect_md_stopped
	report raid10
}

sc_lvmraid() {
	layout_case lvmraid lvmraid || return 0
	expect_md_layout
	report lvmraid
}

# the check reads every sector through dm-integrity: twice the check limit
sc_integrity() {
	CHECK_LIMIT=$((CHECK_LIMIT * 2))
	layout_case integrity integrity || return 0
	report integrity
}

sc_integrity_md() {
	CHECK_LIMIT=$((CHECK_LIMIT * 2))
	layout_case integrity-md integrity-md || return 0
	expect_summary md 1
	expect_md_layout
	expect_md_stopped
	report integrity-md
}

sc_xfs_lul() {
	layout_case xfs-lul xfs-lul || return 0
	report xfs-lul
}

sc_btrfs_luks() {
	layout_case btrfs-luks btrfs-luks || return 0
	report btrfs-luks
}

sc_cache() {
	layout_case cache cache || return 0
	expect_verdict cache_check true
	report cache
}

# a line of the run after the exec of stage 4, and its number there
after_exec() { # PATTERN
	awk -v p="$1" '/vmtest: exec stage4/ {e = 1} e && $0 ~ p {print NR; exit}' "$RUNLOG"
}

# dm-multipath over two virtio-scsi paths, @multipathd started by the
# initramfs: spared by the kill, still running after the teardown (the
# alive hook, post-teardown), the map removed by shutdownfs; the check boot
# assembles the map again with both paths active and judges the root
sc_mpath() {
	layout_case mpath mpath "vm.alive=@multipathd" || return 0
	map=$(sed -n 's/.*vmtest: mpath: map \([^ ]*\) over.*/\1/p' "$RUNLOG" | head -n 1)
	expect_log 'vmtest: mpath: @multipathd running' "@multipathd did not start in the initramfs"
	[ -n "$(after_exec 'sparing protected process [0-9]* [(]@multipathd[)]')" ] ||
		why "shutdownfs did not spare @multipathd"
	if [ -z "$map" ] || [ -z "$(after_exec "shutdownfs: dm-[0-9]* [(]${map}[)]: removed")" ]; then
		why "the multipath map (${map:-none}) was not removed by shutdownfs"
	fi
	[ -n "$(after_exec 'hook post-teardown/90-alive: alive: @multipathd')" ] ||
		why "@multipathd did not live to the post-teardown phase"
	expect_verdict mpath_paths_active 2
	report mpath
}

# root on LVM on /dev/nbd0, served by @nbd-server in the guest (spared; its
# client configures the kernel through netlink and exits, or stays as
# @nbd-client with the ioctl interface); the root's LV removed before the post-teardown
# hook disconnects nbd0; the check judges the fs inside the LV inside the
# exported image
sc_nbd() {
	layout_case nbd nbd || return 0
	expect_log 'vmtest: nbd: nbd0 connected' "nbd0 was not connected in the initramfs"
	expect_log 'vmtest: nbd: @nbd-server running' "@nbd-server did not run in the initramfs"
	[ -n "$(after_exec 'sparing protected process [0-9]* [(]@nbd-server[)]')" ] ||
		why "shutdownfs did not spare @nbd-server"
	lv=$(after_exec 'shutdownfs: dm-[0-9]* [(]vgnbd-root[)]: removed')
	dc=$(after_exec 'hook post-teardown/20-nbd: nbd0: disconnected')
	if [ -z "$lv" ]; then
		why "vgnbd-root was not removed by shutdownfs"
	elif [ -z "$dc" ]; then
		why "the post-teardown hook did not disconnect nbd0"
	elif [ "$dc" -lt "$lv" ]; then
		why "nbd0 was disconnected before vgnbd-root was removed"
	fi
	report nbd
}

# root on LVM on an iSCSI LUN served by @tgtd in the guest, logged in
# through @iscsid: both spared; the root's LV removed before the
# post-teardown hook logs out; the check judges the fs inside the exported image
sc_iscsi() {
	layout_case iscsi iscsi || return 0
	expect_log 'vmtest: iscsi: logged in' "the initramfs did not log in to the target"
	for d in @tgtd @iscsid; do
		[ -n "$(after_exec "sparing protected process [0-9]* [(]${d}[)]")" ] ||
			why "shutdownfs did not spare $d"
	done
	lv=$(after_exec 'shutdownfs: dm-[0-9]* [(]vgisc-root[)]: removed')
	lo=$(after_exec 'hook post-teardown/10-iscsi: logged out of 1 iSCSI session')
	if [ -z "$lv" ]; then
		why "vgisc-root was not removed by shutdownfs"
	elif [ -z "$lo" ]; then
		why "the post-teardown hook did not log out of the session"
	elif [ "$lo" -lt "$lv" ]; then
		why "the session was logged out before vgisc-root was removed"
	fi
	report iscsi
}

# md with external metadata (IMSM): the run boot's mdmon runs as '@' from
# the initramfs and is spared; shutdownfs stops the volume only once mdmon
# has marked it clean, then the container; the check finds the IMSM metadata
# of both disks clean with one generation, and no resync wanted
sc_imsm() {
	layout_case imsm imsm || return 0
	expect_log "vmtest: imsm: mdmon pid [0-9]* runs as '@'" "mdmon did not run as '@' in the initramfs"
	[ -n "$(after_exec 'sparing protected process [0-9]* [(]mdmon[)]')" ] ||
		why "shutdownfs did not spare mdmon"
	vol=$(sed -n 's/.*vmtest: imsm: volume \/dev\/\(md[0-9]*\) .*/\1/p' "$RUNLOG" | head -n 1)
	v=$(after_exec "shutdownfs: ${vol:-none}: stopped")
	c=$(after_exec 'shutdownfs: md127: stopped')
	if [ -z "$v" ] || [ -z "$c" ]; then
		why "shutdownfs did not stop the volume (${vol:-none}) and the container md127"
	elif [ "$c" -lt "$v" ]; then
		why "the container md127 was stopped before its volume"
	fi
	[ -z "$(after_exec 'is its mdmon alive')" ] || why "the volume was stopped before mdmon marked it clean"
	expect_summary md 2
	expect_verdict md_clean true
	expect_verdict imsm_generation_equal true
	report imsm
}

# shutdownfs kexec for real: the run boot loads a kernel and the initramfs
# (kexec -l), shutdownfs tears the stack down (keys wiped: crypt_left=0) and
# kexecs; the second kernel boots straight into the check of the same disks
# and prints its VERDICT on the same console. A normal check boot follows.
sc_kexec() {
	need_binary kexec || return 0
	if ! kexec_disk; then
		why "could not make the kexec disk"
		report kexec
		return 0
	fi
	# one qemu runs both kernels, and kexec -s hashes 50 MB under TCG (43 s
	# on a loaded host); each scenario runs in its own subshell
	RUN_LIMIT=$((RUN_LIMIT * 3))
	boot_pair kexec stack "vm.stage4=shutdownfs vm.hooks=native vm.action=kexec vm.kexec=/dev/vdc \
vm.swap=/dev/mapper/vg0-swap" "ro:$KEXECIMG"
	grep -q 'vmtest: kexec loaded' "$RUNLOG" || why "kexec -l failed in the run boot"
	expect_summary action kexec result clean dm 3 md 1 crypt_left 0 left 0
	expect_md_stopped
	grep -q 'kexec_core: Starting new kernel' "$RUNLOG" || why "the kernel did not kexec"
	sed -n '/kexec_core: Starting new kernel/,$p' "$RUNLOG" > "$VM/logs/kexec-second.log"
	for k in fs_clean fsck token md_clean; do
		v=$(verdict_get "$VM/logs/kexec-second.log" "$k")
		[ "$v" = true ] || why "kexec'd check: $k=$v (want true)"
	done
	expect_exit poweroff
	expect_clean_disks
	report kexec
}

# each unit fixture tree against the graph the real kernel showed when the
# setup boot built the same stack with the same names
sc_fixtures() {
	for t in tests/fixtures/sysfs/*/; do
		f=$(basename "$t")
		[ "$f" = recorded ] && continue # the kept graphs, not a fixture
		rec=""
		for g in "$VM"/layouts/*/graph-"$f"; do [ -f "$g" ] && rec=$g; done
		if [ -z "$rec" ]; then
			why "no graph recorded for $f (setup logs: $VM/logs/setup-*.log)"
			report "fixture-$f"
			continue
		fi
		sh tests/vm/guest/sysfs-graph "$t" > "$VM/fixture-$f.graph"
		if ! diff -u "$VM/fixture-$f.graph" "$rec" > "$VM/fixture-$f.diff"; then
			why "fixture differs from $KERNEL: $(grep '^[-+][^-+]' "$VM/fixture-$f.diff" |
				head -n 4 | tr '\n' ';') (diff: $VM/fixture-$f.diff)"
		fi
		report "fixture-$f"
	done
}

# scenarios VM_JOBS at a time, their lines printed in the order asked; the
# wall-clock seconds of each go to $VM/out/seconds
scenarios_run() { # SCENARIO...
	mkdir -p "$VM/out"
	: > "$VM/out/seconds"
	POOL_ENDED=scenario_collect
	for s; do
		pool_start "sc-$(echo "$s" | tr - _)" scenario_one "$(echo "$s" | tr - _)"
	done
	pool_drain 1
}

# (expect_within has a t0 of its own)
scenario_one() { # NAME
	sc_t0=$(date +%s)
	"sc_$1" > "$VM/out/$1" 2> "$VM/out/$1.err"
	echo "$1 $(($(date +%s) - sc_t0))" >> "$VM/out/seconds"
}

scenario_collect() { # sc-NAME
	cat "$VM/out/${1#sc-}.err" >&2
	cat "$VM/out/${1#sc-}"
}
