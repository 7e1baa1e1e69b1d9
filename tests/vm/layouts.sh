#!/bin/sh
# vm tier, host side of the layouts built one per setup boot (guest side:
# guest/layouts/NAME.sh): their disks, tools, modules, the setup boot that
# builds each once (cached by a hash of its inputs), fresh copies for a
# scenario, and the sysfs graphs a setup boot recorded. Sourced by lib.sh.

# modules loaded on demand in the guest (modload NAME), each with its own order
LAYOUT_MODULES="raid1 dm_thin_pool dm_snapshot dm_raid raid456 raid10 dm_integrity xfs btrfs
dm_cache dm_cache_smq virtio_scsi sd_mod dm_multipath dm_service_time dm_round_robin nbd iscsi_tcp"
LAYOUT_PKGS="thin-provisioning-tools xfsprogs btrfs-progs kexec-tools multipath-tools nbd-server
nbd-client tgt open-iscsi"
LAYOUT_TOOLS="/usr/sbin/integritysetup /usr/sbin/pdata_tools /usr/sbin/mkfs.xfs
/usr/sbin/xfs_repair /usr/bin/btrfs /usr/sbin/mkfs.btrfs /usr/sbin/mdmon /usr/bin/kmod
/usr/sbin/kexec /usr/sbin/multipath /usr/sbin/multipathd /usr/bin/nbd-server /usr/sbin/nbd-client
/usr/sbin/tgtd /usr/sbin/tgtadm /usr/sbin/iscsid /usr/sbin/iscsiadm"
# root-storage daemons started from the initramfs under a name that begins
# with '@' (argv[0] and comm), the convention shutdownfs's kill spares
LAYOUT_DAEMONS="/usr/sbin/multipathd /usr/bin/nbd-server /usr/sbin/nbd-client /usr/sbin/tgtd
/usr/sbin/iscsid"
# parallel boots (layout setups, scenarios); 2 cores, one vCPU each
VM_JOBS=${VM_JOBS:-2}
LAYOUT_LIMIT=${LAYOUT_LIMIT:-900}

# NAME:SIZE of each disk of a layout, in the order the guest sees them (vda...)
layout_spec() {
	case $1 in
	thin) echo "thin0:384M" ;;
	thin1 | thin10 | thin100) echo "tn0:320M" ;;
	raid5) echo "r5a:96M r5b:96M r5c:96M" ;;
	raid10) echo "r10a:80M r10b:80M r10c:80M r10d:80M" ;;
	lvmraid) echo "lra:192M lrb:192M" ;;
	integrity) echo "int0:160M" ;;
	integrity-md) echo "ima:160M imb:160M" ;;
	xfs-lul) echo "xl0:400M" ;;
	btrfs-luks) echo "bta:256M btb:256M" ;;
	cache) echo "ca0:192M ca1:96M" ;;
	mpath) echo "mp0:256M" ;;
	nbd) echo "nbdhost:320M" ;;
	imsm) echo "ima:224M imb:224M" ;;
	iscsi) echo "iscsihost:320M" ;;
	fixtures) echo "fxa:64M fxb:64M" ;;
	*) return 1 ;;
	esac
}

layouts_box_inputs() {
	printf '%s\n' "$LAYOUT_MODULES" "$LAYOUT_TOOLS" "$LAYOUT_DAEMONS"
	# shellcheck disable=SC2086 # a list of package names
	dpkg-query -W -f '${Package}=${Version} ' $LAYOUT_PKGS kmod 2> /dev/null
}

# the layouts' tools and module lists in the toolbox
layouts_box() { # BOX
	# shellcheck disable=SC2086 # a list of paths
	for t in $LAYOUT_TOOLS; do add_binary "$1" "$t"; done
	# kmod runs as insmod only under that name
	add_link "$1" /usr/bin/kmod /usr/lib/vmtest/kmod/insmod
	for l in thin_check thin_dump thin_repair cache_check cache_dump; do
		add_link "$1" pdata_tools "/usr/sbin/$l"
	done
	for t in $LAYOUT_DAEMONS; do add_link "$1" "${t##*/}" "${t%/*}/@${t##*/}"; done
	# libmultipath dlopen()s its path checkers and prioritizers from here
	for so in /lib/multipath/*.so; do add_binary "$1" "$so"; done
	mkdir -p "$1/etc/vmtest/mod"
	kabs=$(cd "$KDIR" && pwd -P)
	# shellcheck disable=SC2086 # a list of module names
	for m in $LAYOUT_MODULES; do
		modprobe -d "$KDIR" -S "$KVER" -C /dev/null --show-depends "$m" > "$VM/moddeps" ||
			die "module $m not in $KVER"
		awk '$1 == "insmod" {print $2}' "$VM/moddeps" | while IFS= read -r ko; do
			rel=${ko#"$kabs"/}
			mkdir -p "$1/$(dirname "$rel")"
			[ -f "$1/$rel" ] || cp "$ko" "$1/$rel"
			echo "/$rel"
		done > "$1/etc/vmtest/mod/$m"
	done
	rm -f "$VM/moddeps"
	depmod -b "$1" "$KVER" || die "depmod on toolbox failed"
}

layouts_initrd_inputs() { tree_hash "$VMSRC/guest/layouts"; inputs_hash "$VMSRC/guest/sysfs-graph"; }

layouts_initrd() { # DIR
	mkdir -p "$1/etc/vmtest/layouts" "$1/usr/bin"
	cp "$VMSRC"/guest/layouts/*.sh "$1/etc/vmtest/layouts/"
	install -m 0755 "$VMSRC/guest/sysfs-graph" "$1/usr/bin/sysfs-graph"
}

# how vm_boot attaches a layout's disk: mpath:FILE is one image seen through
# two virtio-scsi paths (multipath); every other disk is a virtio disk
layout_attach() { # LAYOUT FILE
	case $1 in
	mpath) echo "mpath:$2" ;;
	*) echo "$2" ;;
	esac
}

vd_letter() { echo abcdefghijklmnopqrstuvwxyz | cut -c $(($1 + 1)); }

layout_hash() {
	# thinN's functions are thin.sh's
	case $1 in thin?*) shared=$VMSRC/guest/layouts/thin.sh ;; *) shared="" ;; esac
	# shellcheck disable=SC2086 # $shared: one path or none
	inputs_hash "$(cat "$ROOTIMG.stamp")" "$VMSRC/guest/init" "$VMSRC/guest/layouts/common.sh" \
		"$VMSRC/guest/layouts/$1.sh" $shared "$VMSRC/guest/sysfs-graph" "$(layout_spec "$1")"
}

# one setup boot builds the layout's pristine disks; the graphs it recorded
# go beside them (graph-FIXTURE)
layout_build() { # NAME
	ldir=$VM/layouts/$1 llog=$VM/logs/setup-$1.log
	lh=$(layout_hash "$1")
	stamp_ok "$ldir" "$lh" && return 0
	msg "building layout $1 (setup boot)"
	rm -rf "$ldir"
	mkdir -p "$ldir"
	set -- "$1"
	nvd=0
	for s in $(layout_spec "$1"); do
		truncate -s "${s#*:}" "$ldir/${s%%:*}.img"
		d=$(layout_attach "$1" "$ldir/${s%%:*}.img")
		case $d in mpath:*) ;; *) nvd=$((nvd + 1)) ;; esac
		set -- "$@" "$d"
	done
	name=$1
	shift
	if ! vm_boot "$llog" "$LAYOUT_LIMIT" "vm.mode=setup vm.layout=$name vm.src=/dev/vd$(vd_letter $nvd)" \
		"$@" "ro:$ROOTIMG" || ! grep -q "vmtest: SETUP-OK $name" "$llog"; then
		warn "layout $name: setup boot failed (see $llog)"
		return 1
	fi
	graphs_extract "$llog" "$ldir"
	stamp_set "$ldir" "$lh"
}

# "vmtest: graph F: LINE" lines into DIR/graph-F, kept only when "graph-end F" came
graphs_extract() { # LOG DIR
	tr -d '\r' < "$1" > "$2/setup.log"
	sed -n 's/.*vmtest: graph-end \([^ ]*\)$/\1/p' "$2/setup.log" | while IFS= read -r f; do
		sed -n "s/.*vmtest: graph $f: //p" "$2/setup.log" > "$2/graph-$f"
	done
	rm -f "$2/setup.log"
}

layout_copy() { # NAME DIR: fresh copies of the pristine disks, their paths printed
	mkdir -p "$2"
	for s in $(layout_spec "$1"); do
		cp --reflink=auto --sparse=always "$VM/layouts/$1/${s%%:*}.img" "$2/${s%%:*}.img"
		layout_attach "$1" "$2/${s%%:*}.img"
	done
}

layout_ready() { stamp_ok "$VM/layouts/$1" "$(layout_hash "$1")"; }

# build the given layouts, VM_JOBS at a time; a failed one stays unbuilt
layouts_prepare() { # NAME...
	# shellcheck disable=SC2034 # read by pool_drain (lib.sh)
	POOL_ENDED=:
	for l; do
		layout_ready "$l" && continue
		pool_start "layout-$l" layout_build "$l"
	done
	pool_drain 1
}

# the kernel and initramfs on a small ext4 disk for the kexec scenario: the
# run boot's kexec -l reads them from it
kexec_disk() {
	KEXECIMG=$VM/kexec.img
	kh=$(inputs_hash "$(cat "$KDIR.stamp")" "$(cat "$INITRD.stamp")")
	stamp_ok "$KEXECIMG" "$kh" && [ -f "$KEXECIMG" ] && return 0
	rm -rf "$VM/kexec.d" "$KEXECIMG"
	mkdir -p "$VM/kexec.d"
	cp "$KIMG" "$VM/kexec.d/vmlinuz"
	cp "$INITRD" "$VM/kexec.d/initrd"
	mke2fs -q -t ext4 -L kexec -d "$VM/kexec.d" "$KEXECIMG" 96M || return 1
	rm -rf "$VM/kexec.d"
	stamp_set "$KEXECIMG" "$kh"
}
