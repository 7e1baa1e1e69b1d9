# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# fixtures: no scenario boots it. Its setup boot rebuilds, one after the
# other on two small disks, the stacks of the unit fixtures in
# tests/fixtures/sysfs with their names (disks, partitions, dm names, md
# names) and records the graph the kernel shows for each (record_graph);
# the vm scenario fixtures compares them with the fixture trees. A stack
# that cannot be built is logged and has no recording (a FAIL on the host).
# thin-snapshot and integrity-md are recorded by their own layouts.
LAY_fixtures_MODULES="dm_snapshot"

fx() {
	"$@" > /tmp/fx.log 2>&1 && return 0
	log "fixture $FX: $* failed:"
	while IFS= read -r l; do log "fixture $FX: $l"; done < /tmp/fx.log
	return 1
}

fx_luks() { # DEV NAME
	fx cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --luks2-metadata-size 16k \
		--luks2-keyslots-size 256k --pbkdf-force-iterations 1000 --key-file "$KEY" "$1" &&
		fx cryptsetup open --key-file "$KEY" "$1" "$2"
}

# everything down, the disks' first and last MiBs zeroed for the next stack
fx_clean() {
	losetup -d /dev/loop0 2> /dev/null
	umount /data 2> /dev/null
	for d in $(dmsetup info -c --noheadings -o name 2> /dev/null); do dmsetup resume "$d" 2> /dev/null; done
	vgchange -q -an vg0 > /dev/null 2>&1
	dmsetup remove_all > /dev/null 2>&1
	# without udev, nodes of what remove_all took stay behind and block vgcreate
	rm -rf /dev/vg0
	dmsetup mknodes > /dev/null 2>&1
	mdadm --stop --scan > /dev/null 2>&1
	for d in /dev/vda /dev/vdb; do
		for p in "$d"1 "$d"2 "$d"; do
			[ -b "$p" ] && dd if=/dev/zero of="$p" bs=1M count=2 2> /dev/null
		done
		n=$(($(blockdev --getsize64 "$d") / 1048576))
		dd if=/dev/zero of="$d" bs=1M seek=$((n - 2)) count=2 2> /dev/null
		blockdev --rereadpt "$d" 2> /dev/null
	done
	sleep 0.5
}

fx_md1_luks_lvm() {
	part_disk /dev/vda && part_disk /dev/vdb || return 1
	fx mdadm --create /dev/md127 --run --assume-clean --level=1 --raid-devices=2 \
		--metadata=1.2 /dev/vda2 /dev/vdb2 || return 1
	fx_luks /dev/md127 md-crypt || return 1
	fx pvcreate -q /dev/mapper/md-crypt && fx vgcreate -q vg0 /dev/mapper/md-crypt &&
		fx lvcreate -q -y -L 16M -n root vg0 && fx lvcreate -q -y -L 8M -n swap vg0
}

fx_luks_on_lvm() {
	part_disk /dev/vda || return 1
	fx pvcreate -q /dev/vda2 && fx vgcreate -q vg0 /dev/vda2 &&
		fx lvcreate -q -y -L 20M -n root vg0 && fx lvcreate -q -y -L 20M -n home vg0 || return 1
	fx_luks /dev/mapper/vg0-root luks-root && fx_luks /dev/mapper/vg0-home luks-home
}

fx_lvm_on_luks() {
	part_disk /dev/vda || return 1
	fx_luks /dev/vda2 cryptroot || return 1
	fx pvcreate -q /dev/mapper/cryptroot && fx vgcreate -q vg0 /dev/mapper/cryptroot &&
		fx lvcreate -q -y -L 16M -n root vg0 && fx lvcreate -q -y -L 8M -n home vg0 &&
		fx lvcreate -q -y -L 8M -n swap vg0
}

fx_loop_on_lvm() {
	part_disk /dev/vda one || return 1
	fx pvcreate -q /dev/vda1 && fx vgcreate -q vg0 /dev/vda1 &&
		fx lvcreate -q -y -L 16M -n root vg0 && fx lvcreate -q -y -L 24M -n data vg0 || return 1
	fx mkfs.ext4 -q -F /dev/mapper/vg0-data && mkdir -p /data && fx mount /dev/mapper/vg0-data /data ||
		return 1
	mkdir -p /data/images
	dd if=/dev/zero of=/data/images/disk.img bs=1M count=4 2> /dev/null
	fx losetup /dev/loop0 /data/images/disk.img
}

fx_suspended() {
	part_disk /dev/vda one || return 1
	fx_luks /dev/vda1 cryptroot || return 1
	fx pvcreate -q /dev/mapper/cryptroot && fx vgcreate -q vg0 /dev/mapper/cryptroot &&
		fx lvcreate -q -y -L 16M -n root vg0 && fx lvcreate -q -y -L 8M -n data vg0 || return 1
	fx dmsetup suspend vg0-data && fx dmsetup suspend cryptroot
}

# Intel IMSM without the platform (IMSM_NO_PLATFORM), disk names as serials;
# mdadm starts mdmon for the volume
fx_md_external() {
	export IMSM_NO_PLATFORM=1 IMSM_DEVNAME_AS_SERIAL=1
	fx mdadm --create /dev/md127 --run --metadata=imsm --raid-devices=2 /dev/vda /dev/vdb &&
		fx mdadm --create /dev/md126 --run --assume-clean --level=1 --raid-devices=2 \
			/dev/vda /dev/vdb
}

lay_fixtures_setup() {
	for FX in md1-luks-lvm luks-on-lvm lvm-on-luks loop-on-lvm suspended md-external; do
		log "fixture $FX: building"
		if "fx_$(echo "$FX" | tr - _)"; then record_graph "$FX"; fi
		fx_clean
	done
}
