# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# cache: the ext4 root on an LV cached by dm-cache in writeback mode (origin
# on one disk, cache pool on the other), so that the run's writes are dirty
# in the cache at shutdown. Check: cache_check on the cache metadata
# (component activation), the dirty count the cache reports, the filesystem
# read through the cache and the token (nothing lost).
LAY_cache_MODULES="dm_cache dm_cache_smq"

lay_cache_setup() {
	must pvcreate -q /dev/vda /dev/vdb
	must vgcreate -q vgc /dev/vda /dev/vdb
	must lvcreate -q -y -L 160M -n root vgc /dev/vda
	populate /dev/mapper/vgc-root root
	must lvcreate -q -y --type cache-pool -L 48M -n fast vgc /dev/vdb
	must lvm lvconvert -q -y --type cache --cachepool vgc/fast --cachemode writeback vgc/root
	must vgchange -q -an vgc
}

lay_cache_open() {
	vgchange -q -ay vgc > /dev/null || fatal "activate vgc"
	ROOTDEV=/dev/mapper/vgc-root
}

lay_cache_check() {
	lvs -a --noheadings -o lv_name vgc 2>/dev/null | while read -r l; do log "lv: $l"; done
	meta=$(lvs -a --noheadings -o lv_name vgc 2>/dev/null | tr -d ' []' | grep '_cmeta$' | head -n 1)
	cc=false
	if [ -n "$meta" ] && lvchange -q -ay -y "vgc/$meta" > /tmp/lv.log 2>&1; then
		if cache_check "/dev/mapper/vgc-$meta" > /tmp/cc.log 2>&1; then cc=true; fi
		while IFS= read -r l; do log "cache_check: $l"; done < /tmp/cc.log
		lvchange -q -an "vgc/$meta" > /dev/null 2>&1 || fatal "deactivate $meta"
	else
		while IFS= read -r l; do log "lvchange: $l"; done < /tmp/lv.log
		note "cmeta-not-activated"
	fi
	log "check cache_check vgc/$meta: $cc"
	verdict_add cache_check "$cc"
	[ "$cc" = true ] || note "cache_check-failed"
	lay_cache_open
	st=$(dmsetup status vgc-root)
	log "check dmsetup status vgc-root: $st"
	# 0 LEN cache MB MU/MT CB CU/CT RH RM WH WM DEMOTE PROMOTE DIRTY ...
	# shellcheck disable=SC2086 # split the status into fields
	set -- $st
	note "dirty=${14:-?}"
	verdict_add cache_dirty "${14:-null}"
	judge_fs /dev/mapper/vgc-root root yes
}
