# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# integrity: dm-integrity (integritysetup, journal, crc32c) alone under the
# ext4 root. Check: the whole device reads back without a checksum error,
# the filesystem, the token.
LAY_integrity_MODULES="dm_integrity"

lay_integrity_setup() {
	integrity_format /dev/vda introot
	populate /dev/mapper/introot root
	must integritysetup close introot
}

lay_integrity_open() {
	integritysetup open /dev/vda introot || fatal "integritysetup open"
	ROOTDEV=/dev/mapper/introot
}

lay_integrity_check() {
	lay_integrity_open
	integrity_read_all introot
	judge_fs /dev/mapper/introot root yes
}
