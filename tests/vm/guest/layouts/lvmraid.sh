# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# lvmraid: an LVM RAID1 LV (dm-raid, two legs on two disks) holding the ext4
# root. Check: the dm-raid superblocks of both legs (their rmeta LVs, by
# component activation) carry the same event count; after activation the
# array reports both legs in sync (AA) and no resync running.
LAY_lvmraid_MODULES="dm_raid"

lay_lvmraid_setup() {
	must pvcreate -q /dev/vda /dev/vdb
	must vgcreate -q vgr /dev/vda /dev/vdb
	must lvcreate -q -y --type raid1 -m 1 --nosync -L 144M -n root vgr
	populate /dev/mapper/vgr-root root
	must vgchange -q -an vgr
}

lay_lvmraid_open() {
	vgchange -q -ay vgr > /dev/null || fatal "activate vgr"
	ROOTDEV=/dev/mapper/vgr-root
}

# events (le64 at byte 16) of a dm-raid superblock (magic "DmRd" at 0)
raid_sb_events() { # DEV
	magic=$(dd if="$1" bs=4 count=1 2> /dev/null | od -An -c | tr -d ' ')
	[ "$magic" = DmRd ] || { echo "no-sb:$magic"; return 0; }
	dd if="$1" bs=8 skip=2 count=1 2> /dev/null | od -An -tu8 | tr -d ' '
}

lay_lvmraid_check() {
	MD=true ev=""
	for i in 0 1; do
		if lvchange -q -ay -y "vgr/root_rmeta_$i" > /tmp/lv.log 2>&1; then
			e=$(raid_sb_events "/dev/mapper/vgr-root_rmeta_$i")
			lvchange -q -an "vgr/root_rmeta_$i" > /dev/null 2>&1
		else
			while IFS= read -r l; do log "lvchange: $l"; done < /tmp/lv.log
			e=unreadable
		fi
		log "check vgr/root_rmeta_$i events: $e"
		note "rmeta_$i=$e"
		[ -z "$ev" ] && ev=$e
		case $e in *[!0-9]* | "") MD=false ;; esac
		[ "$e" = "$ev" ] || MD=false
	done
	verdict_add md_events_equal "$MD"
	lay_lvmraid_open
	st=$(dmsetup status vgr-root)
	log "check dmsetup status vgr-root: $st"
	# 0 LEN raid raid1 2 AA N/N idle ...
	# shellcheck disable=SC2086 # split the status into fields
	set -- $st
	health=$6 ratio=$7 act=$8
	if [ "$health" != AA ] || [ "${ratio%/*}" != "${ratio#*/}" ] || [ "$act" != idle ]; then
		MD=false
		note "raid=$health,$ratio,$act"
	fi
	judge_fs /dev/mapper/vgr-root root yes
}
