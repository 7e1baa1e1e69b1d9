# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# raid10: md RAID10 (near 2) over four disks with an internal write-intent
# bitmap, ext4 root on the array. Check: as raid5.
LAY_raid10_MODULES="raid10"

lay_raid10_setup() {
	must mdadm --create /dev/md0 --run --assume-clean --level=10 --layout=n2 \
		--raid-devices=4 --bitmap=internal --metadata=1.2 /dev/vda /dev/vdb /dev/vdc /dev/vdd
	populate /dev/md0 root
	must mdadm --stop /dev/md0
}

lay_raid10_open() {
	mdadm --assemble "$@" /dev/md0 /dev/vda /dev/vdb /dev/vdc /dev/vdd > /dev/null ||
		fatal "assemble md0"
	ROOTDEV=/dev/md0
}

lay_raid10_check() {
	md_members /dev/vda /dev/vdb /dev/vdc /dev/vdd
	lay_raid10_open --readonly
	md_no_resync md0
	judge_fs /dev/md0 root yes
}
