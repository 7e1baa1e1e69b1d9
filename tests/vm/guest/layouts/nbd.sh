# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# nbd: a network block device served inside the guest. The disk (vda) holds
# an ext4 "server" filesystem with export.img, an image with LVM vgnbd and
# the ext4 root on vgnbd/root (common.sh served_image_*). The run boot
# mounts the server filesystem in the initramfs (out of the root's sight:
# nothing tears it down), starts @nbd-server there on 127.0.0.1 (spared by
# the '@' convention) and connects /dev/nbd0 with nbd-client (through
# netlink: it configures the kernel and exits; with the ioctl interface it
# would stay, as @nbd-client), activates vgnbd on nbd0 and switch_roots.
# shutdownfs must unmount the root, remove the LV, and only then its
# post-teardown hook (20-nbd) disconnect nbd0. Check: the export as a
# read-only loop device, the fs inside the LV inside it judged by e2fsck,
# the token there.
LAY_nbd_MODULES="nbd"

lay_nbd_setup() { served_image_setup /dev/vda vgnbd 224; }

nbd_serve() {
	ip link set lo up || fatal "nbd: lo up"
	served_image_mount /dev/vda
	mkdir -p /etc/nbd-server
	cat > /etc/nbd-server/config <<-'EOF2'
	[generic]
	listenaddr = 127.0.0.1
	[root]
	exportname = /srv/export.img
	flush = true
	EOF2
	@nbd-server -C /etc/nbd-server/config > /tmp/nbds.log 2>&1 || fatal "nbd: @nbd-server"
	i=0
	while ! @nbd-client 127.0.0.1 /dev/nbd0 -N root > /tmp/nbdc.log 2>&1 && [ "$i" -lt 20 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	while IFS= read -r l; do log "nbd-client: $l"; done < /tmp/nbdc.log
	[ -e /sys/block/nbd0/pid ] || fatal "nbd: nbd0 not connected"
	log "nbd: nbd0 connected, $(($(cat /sys/block/nbd0/size) / 2048)) MiB"
	log_daemons nbd '@nbd-*'
}

lay_nbd_open() {
	nbd_serve
	vgchange -q -ay vgnbd > /dev/null || fatal "activate vgnbd"
	ROOTDEV=/dev/mapper/vgnbd-root
}

lay_nbd_check() { served_image_check /dev/vda vgnbd; }
