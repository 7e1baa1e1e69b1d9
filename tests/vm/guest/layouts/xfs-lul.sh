# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# xfs-lul: xfs root on LVM on LUKS2 (RHEL's default shape). Check:
# xfs_repair -n (a dirty log fails it), the token through a norecovery mount.
LAY_xfs_lul_MODULES="xfs"

lay_xfs_lul_setup() {
	luks_format /dev/vda xlcrypt
	must pvcreate -q /dev/mapper/xlcrypt
	must vgcreate -q vgx /dev/mapper/xlcrypt
	must lvcreate -q -y -L 320M -n root vgx
	populate_fs /dev/mapper/vgx-root root xfs
	must vgchange -q -an vgx
	must cryptsetup close xlcrypt
}

lay_xfs_lul_open() {
	cryptsetup open "$@" --key-file "$KEY" /dev/vda xlcrypt || fatal "open xlcrypt"
	vgchange -q -ay vgx > /dev/null || fatal "activate vgx"
	ROOTDEV=/dev/mapper/vgx-root
}

lay_xfs_lul_check() {
	lay_xfs_lul_open --readonly
	if xfs_repair -n /dev/mapper/vgx-root > /tmp/xr.log 2>&1; then ok=true; else ok=false rc=$?; fi
	log "check root xfs_repair -n: $ok"
	if [ "$ok" = false ]; then
		FS=false FSCK=false
		note "root:xfs_repair=$rc"
		while IFS= read -r l; do log "xfs_repair: $l"; done < /tmp/xr.log
	fi
	note "root=$([ "$ok" = true ] && echo clean || echo dirty)"
	mount -t xfs -o ro,norecovery /dev/mapper/vgx-root /mnt || fatal "mount root ro"
	token_mounted /mnt
	umount /mnt
}
