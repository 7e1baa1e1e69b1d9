# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# mpath: one disk seen through two virtio-scsi paths (sda, sdb: one serial,
# one wwn), a dm-multipath map over both, LVM vgmp on the map, the ext4 root
# on vgmp/root. The run boot starts multipathd from the initramfs as
# @multipathd (the '@' convention: the kill spares it, and it pins nothing on
# the root) and it must live until shutdownfs has removed the map. Check:
# the map assembles again with both paths, the root is clean, the token there.
# No udev in the guest: libmultipath lists only block devices that udev has
# initialized (a database entry), so the rig writes a bare entry for each
# path, as udev would; the WWID comes from sysfs (uid_attribute ""), and LVM
# is kept off the paths by a filter so it sees the PV only on the map.
LAY_mpath_MODULES="virtio_scsi sd_mod dm_multipath dm_service_time dm_round_robin"
MPLVM='devices { global_filter = [ "r|^/dev/sd|" ] }'

mpath_conf() {
	mkdir -p /etc/multipath
	cat > /etc/multipath.conf <<-'EOF'
	defaults {
		user_friendly_names no
		find_multipaths no
		uid_attribute ""
		path_checker tur
		no_path_retry 12
	}
	blacklist {
		devnode "^(vd|nbd|loop|ram|dm-|md)"
	}
	EOF
}

# both paths present (the scsi scan is asynchronous), the map made over them
mpath_assemble() {
	i=0
	while { [ ! -b /dev/sda ] || [ ! -b /dev/sdb ]; } && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -b /dev/sdb ] || fatal "mpath: no second path (sdb)"
	mkdir -p /run/udev/data
	for d in sda sdb; do
		echo "I:1" > "/run/udev/data/b$(cat "/sys/block/$d/dev")"
	done
	mpath_conf
	multipath -v2 > /tmp/mp.log 2>&1
	while IFS= read -r l; do log "multipath: $l"; done < /tmp/mp.log
	MPNAME=$(dmsetup ls --target multipath | awk 'NR == 1 {print $1}')
	case $MPNAME in
	"" | No)
		multipath -v3 > /tmp/mp.log 2>&1
		grep -v '^ *$' /tmp/mp.log | tail -n 60 | while IFS= read -r l; do log "multipath -v3: $l"; done
		fatal "mpath: multipath made no map" ;;
	esac
	log "mpath: map $MPNAME over $(cd "/sys/block/$(dmsetup info -c --noheadings -o blkdevname "$MPNAME")/slaves" &&
		echo *)"
}

lay_mpath_setup() {
	mpath_assemble
	must pvcreate -q --config "$MPLVM" "/dev/mapper/$MPNAME"
	must vgcreate -q --config "$MPLVM" vgmp "/dev/mapper/$MPNAME"
	must lvcreate -q -y --config "$MPLVM" -L 192M -n root vgmp
	populate /dev/mapper/vgmp-root root
	must vgchange -q -an --config "$MPLVM" vgmp
	must multipath -F
}

# multipathd from the initramfs under its '@' name; it takes the map over
mpath_daemon() {
	@multipathd > /tmp/mpd.log 2>&1 || fatal "mpath: @multipathd did not start"
	i=0
	while ! multipathd show maps > /tmp/mps.log 2>&1 && [ "$i" -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	while IFS= read -r l; do log "multipathd: $l"; done < /tmp/mps.log
	for p in /proc/[0-9]*; do
		read -r c < "$p/comm" 2> /dev/null || continue
		[ "$c" = @multipathd ] && log "mpath: @multipathd running, pid ${p#/proc/}"
	done
}

lay_mpath_open() {
	mpath_assemble
	if [ "$(arg mode)" = run ]; then
		mpath_daemon
		keep_api_for_daemons
	fi
	vgchange -q -ay --config "$MPLVM" vgmp > /dev/null || fatal "activate vgmp"
	ROOTDEV=/dev/mapper/vgmp-root
}

lay_mpath_check() {
	lay_mpath_open
	# paths in the status are "MAJ:MIN STATE FAILS ...", state A(ctive) or F(ailed)
	st=$(dmsetup status "$MPNAME")
	log "check dmsetup status $MPNAME: $st"
	n=$(echo "$st" | awk '{for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+:[0-9]+$/ && $(i + 1) == "A") n++}
		END {print n + 0}')
	verdict_add mpath_paths_active "$n"
	[ "$n" = 2 ] || note "mpath:active-paths=$n"
	judge_fs "$ROOTDEV" root yes
}
