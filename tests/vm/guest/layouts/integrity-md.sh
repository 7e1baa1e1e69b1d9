# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# integrity-md: dm-integrity under each member of an md RAID1 (the unit
# fixture integrity-md's names: vda1, vdb1, int-a, int-b, md0), ext4 root on the array.
# Check: members clean with equal events, both legs read back clean, fs, token.
LAY_integrity_md_MODULES="dm_integrity raid1"

lay_integrity_md_setup() {
	part_disk /dev/vda one || fatal "partition vda"
	part_disk /dev/vdb one || fatal "partition vdb"
	integrity_format /dev/vda1 int-a
	integrity_format /dev/vdb1 int-b
	must mdadm --create /dev/md0 --run --assume-clean --level=1 --raid-devices=2 \
		--metadata=1.2 /dev/mapper/int-a /dev/mapper/int-b
	populate /dev/md0 root
	record_graph integrity-md
	must mdadm --stop /dev/md0
	must integritysetup close int-a
	must integritysetup close int-b
}

lay_integrity_md_open() {
	integritysetup open "$@" /dev/vda1 int-a || fatal "open int-a"
	integritysetup open "$@" /dev/vdb1 int-b || fatal "open int-b"
	mdadm --assemble "$@" /dev/md0 /dev/mapper/int-a /dev/mapper/int-b > /dev/null ||
		fatal "assemble md0"
	ROOTDEV=/dev/md0
}

lay_integrity_md_check() {
	integritysetup open /dev/vda1 int-a || fatal "open int-a"
	integritysetup open /dev/vdb1 int-b || fatal "open int-b"
	md_members /dev/mapper/int-a /dev/mapper/int-b
	integrity_read_all int-a
	integrity_read_all int-b
	mdadm --assemble --readonly /dev/md0 /dev/mapper/int-a /dev/mapper/int-b > /dev/null ||
		fatal "assemble md0"
	md_no_resync md0
	judge_fs /dev/md0 root yes
}
