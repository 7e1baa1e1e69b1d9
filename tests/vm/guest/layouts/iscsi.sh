# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# iscsi: an iSCSI target served inside the guest. The disk (vda) holds the
# server filesystem with export.img (LVM vgisc, the ext4 root on vgisc/root;
# common.sh served_image_*). The run boot's initramfs starts @tgtd (tgt)
# exporting the image on 127.0.0.1, @iscsid (open-iscsi), and logs in with
# iscsiadm: the LUN is sda; vgisc is activated on it. shutdownfs must
# unmount the root and remove the LV, and only then its post-teardown hook
# (10-iscsi) log out, with both daemons still alive. Check: the export
# through a read-only loop device, the fs inside the LV judged by e2fsck.
LAY_iscsi_MODULES="sd_mod iscsi_tcp"
ISCSI_IQN=iqn.2026-12.org.shutdownfs.vmtest:root

lay_iscsi_setup() { served_image_setup /dev/vda vgisc 224; }

iscsi_target() {
	mkdir -p /var/run/tgtd /run/tgtd
	@tgtd > /tmp/tgtd.log 2>&1 || fatal "iscsi: @tgtd"
	i=0
	while ! tgtadm --lld iscsi --op new --mode target --tid 1 -T "$ISCSI_IQN" > /tmp/tgtadm.log 2>&1 &&
		[ "$i" -lt 30 ]; do
		sleep 0.3
		i=$((i + 1))
	done
	must tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /srv/export.img
	must tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
	tgtadm --lld iscsi --op show --mode target > /tmp/tgt.log 2>&1
	grep -i 'target\|lun:\|backing store path\|ALL' /tmp/tgt.log | while IFS= read -r l; do log "tgtadm: $l"; done
}

iscsi_login() {
	mkdir -p /etc/iscsi /var/lib/iscsi /run/lock/iscsi
	echo "InitiatorName=iqn.2026-12.org.shutdownfs.vmtest:guest" > /etc/iscsi/initiatorname.iscsi
	: > /etc/iscsi/iscsid.conf
	# iscsid takes requests only from a peer whose uid has the name root,
	# and looks the name up for each: its /etc/passwd must outlive
	# switch_root, which deletes the initramfs's files but cannot unlink a
	# mount point (a bind mount of the file on itself)
	[ -s /etc/passwd ] || echo "root:x:0:0:root:/root:/bin/sh" > /etc/passwd
	[ -s /etc/group ] || echo "root:x:0:" > /etc/group
	must mount --bind /etc/passwd /etc/passwd
	@iscsid -f > /tmp/iscsid.log 2>&1 &
	sleep 1
	log_daemons iscsi @iscsid
	{
		iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260
		echo "discovery: exit $?"
		iscsiadm -m node -T "$ISCSI_IQN" -p 127.0.0.1:3260 --login
		echo "login: exit $?"
		cat /tmp/tgtd.log /tmp/iscsid.log
	} > /tmp/isc.log 2>&1
	while IFS= read -r l; do log "iscsiadm: $l"; done < /tmp/isc.log
	i=0
	while [ ! -b /dev/sda ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b /dev/sda ] || fatal "iscsi: no LUN (sda) after the login"
	log "iscsi: logged in, sda $(($(cat /sys/block/sda/size) / 2048)) MiB"
}

lay_iscsi_open() {
	ip link set lo up || fatal "iscsi: lo up"
	served_image_mount /dev/vda
	iscsi_target
	iscsi_login
	log_daemons iscsi @tgtd
	log_daemons iscsi @iscsid
	keep_api_for_daemons
	vgchange -q -ay vgisc > /dev/null || fatal "activate vgisc"
	ROOTDEV=/dev/mapper/vgisc-root
}

lay_iscsi_check() { served_image_check /dev/vda vgisc; }
