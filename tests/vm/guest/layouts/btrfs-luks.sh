# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# btrfs-luks: btrfs RAID1 (data and metadata) over two LUKS2 devices
# (Fedora-like). Check: btrfs check --readonly, the token through a
# read-only mount that does not replay the log tree.
LAY_btrfs_luks_MODULES="btrfs"

btrfs_open() { # [--readonly]
	cryptsetup open "$@" --key-file "$KEY" /dev/vda bta || fatal "open bta"
	cryptsetup open "$@" --key-file "$KEY" /dev/vdb btb || fatal "open btb"
}

lay_btrfs_luks_setup() {
	luks_format /dev/vda bta
	luks_format /dev/vdb btb
	mkfs.btrfs -q -f -L root -d raid1 -m raid1 /dev/mapper/bta /dev/mapper/btb > /dev/null ||
		fatal "mkfs.btrfs"
	populate_fs /dev/mapper/bta root btrfs device=/dev/mapper/bta,device=/dev/mapper/btb
	must cryptsetup close bta
	must cryptsetup close btb
}

lay_btrfs_luks_open() {
	btrfs_open
	mount -t btrfs -o rw,device=/dev/mapper/bta,device=/dev/mapper/btb /dev/mapper/bta /newroot ||
		fatal "mount btrfs root"
	ROOTDEV=/dev/mapper/bta ROOTMNT=/newroot
}

lay_btrfs_luks_check() {
	btrfs_open --readonly
	btrfs device scan /dev/mapper/bta /dev/mapper/btb > /dev/null 2>&1
	if btrfs check --readonly /dev/mapper/bta > /tmp/bc.log 2>&1; then ok=true; else ok=false rc=$?; fi
	log "check root btrfs check --readonly: $ok"
	if [ "$ok" = false ]; then
		FS=false FSCK=false
		note "root:btrfs_check=$rc"
		while IFS= read -r l; do log "btrfs check: $l"; done < /tmp/bc.log
	fi
	note "root=$([ "$ok" = true ] && echo clean || echo dirty)"
	mount -t btrfs -o ro,nologreplay,device=/dev/mapper/bta,device=/dev/mapper/btb \
		/dev/mapper/bta /mnt || fatal "mount root ro"
	token_mounted /mnt
	umount /mnt
}
