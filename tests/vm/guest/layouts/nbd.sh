# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# nbd: a network block device served inside the guest. The disk (vda) holds
# an ext4 "server" filesystem with export.img, an image with LVM vgnbd and
# the ext4 root on vgnbd/root. The run boot mounts the server filesystem in
# the initramfs (out of the root's sight: nothing tears it down), starts
# @nbd-server there on 127.0.0.1 and @nbd-client on /dev/nbd0 (both spared by
# the '@' convention), activates vgnbd on nbd0 and switch_roots. shutdownfs
# must unmount the root, remove the LV, and only then its post-teardown hook
# (20-nbd) disconnect nbd0. Check: the export as a read-only loop device, the
# fs inside the LV inside it judged by e2fsck, the token there.
LAY_nbd_MODULES="nbd"
NBD_SIZE=224 # MiB

lay_nbd_setup() {
	mkfs.ext4 -q -F -L nbdhost /dev/vda || fatal "mkfs nbdhost"
	mkdir -p /srv
	must mount /dev/vda /srv
	# written out in full: the server's writes then overwrite blocks in
	# place and change no metadata of the server filesystem
	dd if=/dev/zero of=/srv/export.img bs=1M count="$NBD_SIZE" 2> /dev/null || fatal "export.img"
	must losetup /dev/loop0 /srv/export.img
	must pvcreate -q /dev/loop0
	must vgcreate -q vgnbd /dev/loop0
	must lvcreate -q -y -l 100%FREE -n root vgnbd
	populate /dev/mapper/vgnbd-root root
	must vgchange -q -an vgnbd
	must losetup -d /dev/loop0
	must umount /srv
}

nbd_serve() {
	ip link set lo up || fatal "nbd: lo up"
	mkdir -p /srv /etc/nbd-server
	must mount /dev/vda /srv
	cat > /etc/nbd-server/config <<-'EOF'
	[generic]
	listenaddr = 127.0.0.1
	[root]
	exportname = /srv/export.img
	flush = true
	EOF
	@nbd-server -C /etc/nbd-server/config > /tmp/nbds.log 2>&1 || fatal "nbd: @nbd-server"
	i=0
	while ! @nbd-client 127.0.0.1 /dev/nbd0 -N root > /tmp/nbdc.log 2>&1 && [ "$i" -lt 20 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	while IFS= read -r l; do log "nbd-client: $l"; done < /tmp/nbdc.log
	[ -e /sys/block/nbd0/pid ] || fatal "nbd: nbd0 not connected"
	log "nbd: nbd0 connected, $(($(cat /sys/block/nbd0/size) / 2048)) MiB"
	for p in /proc/[0-9]*; do
		read -r c < "$p/comm" 2> /dev/null || continue
		case $c in @nbd-*) log "nbd: $c running, pid ${p#/proc/}" ;; esac
	done
}

lay_nbd_open() {
	nbd_serve
	vgchange -q -ay vgnbd > /dev/null || fatal "activate vgnbd"
	ROOTDEV=/dev/mapper/vgnbd-root
}

# the server filesystem was never unmounted (it is the remote side); the
# export is judged through a read-only loop device
lay_nbd_check() {
	hdr=$(dumpe2fs -h /dev/vda 2> /dev/null | sed -n 's/^Filesystem state: *//p')
	note "nbdhost=${hdr:-unreadable}"
	mkdir -p /srv
	must mount -o ro /dev/vda /srv
	must losetup -r /dev/loop0 /srv/export.img
	vgchange -q -ay vgnbd > /dev/null || fatal "activate vgnbd"
	judge_fs /dev/mapper/vgnbd-root root yes
}
