# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# raid5: md RAID5 over three disks with an internal write-intent bitmap,
# ext4 root on the array. Check: members clean with equal event counts and
# no dirty bitmap chunk, no resync wanted at a read-only assembly.
LAY_raid5_MODULES="raid456"

lay_raid5_setup() {
	must mdadm --create /dev/md0 --run --assume-clean --level=5 --raid-devices=3 \
		--bitmap=internal --metadata=1.2 /dev/vda /dev/vdb /dev/vdc
	populate /dev/md0 root
	must mdadm --stop /dev/md0
}

lay_raid5_open() {
	mdadm --assemble "$@" /dev/md0 /dev/vda /dev/vdb /dev/vdc > /dev/null || fatal "assemble md0"
	ROOTDEV=/dev/md0
}

lay_raid5_check() {
	md_members /dev/vda /dev/vdb /dev/vdc
	lay_raid5_open --readonly
	md_no_resync md0
	judge_fs /dev/md0 root yes
}
