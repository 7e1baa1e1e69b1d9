# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# thin: LVM thin pool (vg0/pool) with the root and home as thin LVs, a thin
# snapshot of the root, and a linear LV with a classic snapshot beside it;
# the names are those of the unit fixture thin-snapshot, whose graph the
# setup boot records. Check: thin_check on the pool's metadata (component
# activation, before the pool is opened), the filesystems, the token.
# The PV is a partition, as in the fixture.
LAY_thin_MODULES="dm_thin_pool dm_snapshot"

lay_thin_setup() {
	part_disk /dev/vda one || fatal "partition vda"
	must pvcreate -q /dev/vda1
	must vgcreate -q vg0 /dev/vda1
	must lvcreate -q -y -L 224M --poolmetadatasize 4M -T vg0/pool
	must lvcreate -q -y -V 192M -T vg0/pool -n root
	must lvcreate -q -y -V 32M -T vg0/pool -n home
	populate /dev/mapper/vg0-root root
	must mkfs.ext4 -q -F -L home /dev/mapper/vg0-home
	must lvcreate -q -y -s -n root_snap vg0/root
	must lvcreate -q -y -L 24M -n data vg0
	must mkfs.ext4 -q -F -L data /dev/mapper/vg0-data
	must lvcreate -q -y -s -L 8M -n data_snap vg0/data
	must lvchange -q -ay -K vg0/root_snap
	record_graph thin-snapshot
	must vgchange -q -an vg0
}

lay_thin_open() {
	vgchange -q -ay -K vg0 > /dev/null || fatal "activate vg0"
	ROOTDEV=/dev/mapper/vg0-root
}

lay_thin_check() {
	tc=false
	if lvchange -q -ay -y vg0/pool_tmeta > /tmp/lv.log 2>&1; then
		if thin_check /dev/mapper/vg0-pool_tmeta > /tmp/tc.log 2>&1; then tc=true; fi
		while IFS= read -r l; do log "thin_check: $l"; done < /tmp/tc.log
		log "check thin_check vg0/pool_tmeta: $tc"
		lvchange -q -an vg0/pool_tmeta > /dev/null 2>&1 || fatal "deactivate pool_tmeta"
	else
		while IFS= read -r l; do log "lvchange: $l"; done < /tmp/lv.log
		note "tmeta-not-activated"
	fi
	verdict_add thin_check "$tc"
	[ "$tc" = true ] || note "thin_check-failed"
	lay_thin_open
	judge_fs /dev/mapper/vg0-root root yes
	judge_fs /dev/mapper/vg0-home home no
	judge_fs /dev/mapper/vg0-data data no
	judge_fs /dev/mapper/vg0-data_snap data_snap no
}

# thinN (thin1, thin10, thin100; bench/vm-thin.sh): one thin pool holding
# the root and N-1 more thin LVs, and a thin snapshot of each, all active
# in the run boot: 2N thin devices on the pool. Check: thin_check, the root.
thin_n_setup() { # N
	part_disk /dev/vda one || fatal "partition vda"
	must pvcreate -q /dev/vda1
	must vgcreate -q vg0 /dev/vda1
	must lvcreate -q -y -L 224M --poolmetadatasize 8M -T vg0/pool
	must lvcreate -q -y -V 192M -T vg0/pool -n root
	populate /dev/mapper/vg0-root root
	must lvcreate -q -y -s -n root_snap vg0/root
	i=1
	while [ "$i" -lt "$1" ]; do
		must lvcreate -q -y -V 16M -T vg0/pool -n "t$i"
		must lvcreate -q -y -s -n "t${i}_snap" "vg0/t$i"
		i=$((i + 1))
	done
	log "thin$1: $(lvs --noheadings -o lv_name vg0 | wc -l) LVs"
	must vgchange -q -an vg0
}

thin_n_check() {
	tc=false
	if lvchange -q -ay -y vg0/pool_tmeta > /dev/null 2>&1 &&
		thin_check /dev/mapper/vg0-pool_tmeta > /tmp/tc.log 2>&1; then
		tc=true
	fi
	lvchange -q -an vg0/pool_tmeta > /dev/null 2>&1
	verdict_add thin_check "$tc"
	[ "$tc" = true ] || note "thin_check-failed"
	lay_thin_open
	judge_fs /dev/mapper/vg0-root root yes
}
