# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# guest side of the layouts built one per setup boot (sourced by /init after
# its own helpers: log, fatal, must, arg, populate, luks_format, judge_fs, note).
# Each layout L (file L.sh, '-' as '_' in names) defines
#   lay_L_setup   build the stack on the layout's disks (vda...), root populated
#   lay_L_open    assemble it (extra args: --readonly), set ROOTDEV [ROOTMNT]
#   lay_L_check   judge it with the layer's own checker (sets MD FS FSCK TOKEN, XV)
# and LAY_L_MODULES, the modules it needs beyond the base set.

XV=""
# an extra "key":value in the check boot's VERDICT
verdict_add() { XV="$XV,\"$1\":$2"; }

lay_fn() { echo "lay_$(echo "$1" | tr - _)_$2"; }

# modload NAME...: a module and its dependencies, in the order the host's
# modprobe --show-depends gave (/etc/vmtest/mod/NAME)
modload() {
	for m; do
		[ -r "/etc/vmtest/mod/$m" ] || fatal "no module list for $m"
		while IFS= read -r ko; do
			kload "$ko"
		done < "/etc/vmtest/mod/$m"
	done
}

layout_modules() {
	eval "mods=\${LAY_$(echo "$1" | tr - _)_MODULES:-}"
	# shellcheck disable=SC2154,SC2086 # set by eval; a list of names
	[ -z "$mods" ] || modload $mods
}

# the sysfs graph the kernel shows now, on the console for the host to keep
record_graph() { # FIXTURE-NAME
	sh /usr/bin/sysfs-graph /sys > /tmp/graph
	while IFS= read -r l; do log "graph $1: $l"; done < /tmp/graph
	log "graph-end $1"
}

# A daemon left running in the initramfs (multipathd, mdmon) reads /proc
# and /sys there for as long as it runs (mdmon /proc/mdstat and md/*,
# multipathd's path checkers each path's sysfs state). /init unmounts both
# before switch_root; a bind mount of each on itself (a second sysfs mount
# there is refused: EBUSY, the same superblock on the same mountpoint) is
# what it unmounts, and the mounts below stay for the daemon, out of the new
# root's sight. Without them mdmon never marked the volume clean (imsm).
keep_api_for_daemons() {
	must mount --bind /proc /proc
	must mount --bind /sys /sys
}

# A network disk's server side (nbd): an ext4 "server"
# filesystem on DEV holding export.img (written out in full, so serving it
# overwrites blocks in place and changes no metadata of the server
# filesystem), with LVM VG and the ext4 root on VG/root inside the image.
served_image_setup() { # DEV VG MiB
	mkfs.ext4 -q -F -L server "$1" || fatal "mkfs server $1"
	mkdir -p /srv
	must mount "$1" /srv
	dd if=/dev/zero of=/srv/export.img bs=1M count="$3" 2> /dev/null || fatal "export.img"
	must losetup /dev/loop0 /srv/export.img
	must pvcreate -q /dev/loop0
	must vgcreate -q "$2" /dev/loop0
	must lvcreate -q -y -l 100%FREE -n root "$2"
	populate "/dev/mapper/$2-root" root
	must vgchange -q -an "$2"
	must losetup -d /dev/loop0
	must umount /srv
}

# the server filesystem on DEV mounted on /srv, out of the new root's
# sight: nothing tears it down, as nothing would tear down a remote server
served_image_mount() { # DEV
	mkdir -p /srv
	must mount "$1" /srv
}

# the export judged through a read-only loop device: the fs inside VG/root
# (the server filesystem was never unmounted; its journal replays at mount)
served_image_check() { # DEV VG
	st=$(dumpe2fs -h "$1" 2> /dev/null | sed -n 's/^Filesystem state: *//p')
	note "server=${st:-unreadable}"
	mkdir -p /srv
	must mount -o ro "$1" /srv
	must losetup -r /dev/loop0 /srv/export.img
	vgchange -q -ay "$2" > /dev/null || fatal "activate $2"
	judge_fs "/dev/mapper/$2-root" root yes
}

# the pid of each running process whose comm matches PATTERN, logged
log_daemons() { # WHAT PATTERN
	for p in /proc/[0-9]*; do
		read -r c < "$p/comm" 2> /dev/null || continue
		# shellcheck disable=SC2254 # the pattern is a glob on purpose
		case $c in $2) log "$1: $c running, pid ${p#/proc/}" ;; esac
	done
}

# dm devices present now (the run boot logs it; the scenario compares the summary)
dm_count() { n=0; for d in /sys/class/block/dm-*; do [ -e "$d" ] && n=$((n + 1)); done; echo "$n"; }

layout_setup() {
	layout=$(arg layout)
	src=$(arg src)
	layout_modules "$layout"
	must mount -o ro "$src" /src
	"$(lay_fn "$layout" setup)"
	umount /src
	sync
	log "SETUP-OK $layout"
	poweroff -f
}

layout_run() { # LAYOUT: assemble, mount the root on /newroot
	layout_modules "$1"
	ROOTMNT=""
	"$(lay_fn "$1" open)"
	log "dm devices before the run: $(dm_count)"
	[ -n "$ROOTMNT" ] && return 0
	mount -o rw "$ROOTDEV" /newroot || fatal "mount $ROOTDEV"
}

layout_check() {
	layout_modules "$1"
	"$(lay_fn "$1" check)"
}

layout_known() { command -v "$(lay_fn "$1" setup)" > /dev/null 2>&1; }

# --- checkers shared by layouts -------------------------------------------------

# md members: superblock clean, event counts equal, no dirty bitmap chunks
md_members() { # DEV...
	MD=true ev="" evok=true
	for d; do
		mdadm --examine "$d" > /tmp/ex 2>&1
		st=$(sed -n 's/^ *State : *//p' /tmp/ex | head -n 1)
		e=$(sed -n 's/^ *Events : *//p' /tmp/ex | head -n 1)
		log "check $d md state: ${st:-unknown} events: ${e:-unknown}"
		note "${d#/dev/}=${st:-unknown}/${e:-?}"
		[ "$st" = clean ] || MD=false
		[ -z "$ev" ] && ev=$e
		if [ -z "$e" ] || [ "$e" != "$ev" ]; then MD=false evok=false; note "events-differ"; fi
		if mdadm --examine-bitmap "$d" > /tmp/xb 2>&1; then
			dirty=$(sed -n 's/.* \([0-9]*\) dirty.*/\1/p' /tmp/xb | head -n 1)
			log "check $d bitmap dirty chunks: ${dirty:-unknown}"
			[ "$dirty" = 0 ] || { MD=false; note "${d#/dev/}:bitmap-dirty=${dirty:-?}"; }
		fi
	done
	verdict_add md_events_equal "$evok"
}

# an array assembled read-only must not want a resync
md_no_resync() { # MD-NAME
	grep -A 3 "^$1 " /proc/mdstat | while IFS= read -r l; do log "mdstat: $l"; done
	if grep -A 3 "^$1 " /proc/mdstat | grep -q 'resync\|recover'; then
		MD=false
		note "$1:resync-pending"
	fi
}

# the token through a read-only mount (filesystems that debugfs cannot read)
token_mounted() { # MNT
	want=$(arg token)
	got=$(cat "$1/token" 2> /dev/null)
	log "check token: want '$want' got '$got'"
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		TOKEN=false
		note "token-missing"
	fi
}

# mkfs, mount, copy the root tree, unmount, for filesystems other than ext4
populate_fs() { # DEV LABEL TYPE [MOUNT-OPTIONS]
	case $3 in
	xfs) mkfs.xfs -q -f -L "$2" "$1" || fatal "mkfs.xfs $1" ;;
	btrfs) : ;; # made by the layout (several devices)
	esac
	mount -t "$3" ${4:+-o "$4"} "$1" /mnt || fatal "mount $1"
	cp -a /src/. /mnt/ || fatal "copy root to $1"
	umount /mnt || fatal "umount $1"
}

# dm-integrity (journal, crc32c): format (which wipes, so every tag is valid) and open
integrity_format() { # DEV NAME
	integritysetup format --batch-mode "$1" > /dev/null 2>&1 || fatal "integritysetup format $1"
	integritysetup open "$1" "$2" || fatal "integritysetup open $1"
}

# every sector of DEV read back: a tag mismatch is an I/O error
integrity_read_all() { # NAME
	if dd if="/dev/mapper/$1" of=/dev/null bs=1M 2> /tmp/dd.log; then ok=true; else ok=false; fi
	log "check $1 read back: $ok ($(tail -n 1 /tmp/dd.log))"
	[ "$ok" = true ] || { FSCK=false; note "$1:read-error"; }
	if dmesg | grep -q 'integrity.*[Cc]hecksum\|checksum failed'; then
		FSCK=false
		note "$1:checksum-mismatch"
	fi
}

# two partitions: 1 small (/boot), 2 the rest; "one": a single partition
part_disk() { # DISK [one]
	if [ "${2:-}" = one ]; then s='n\np\n1\n\n\nw\n'; else s='n\np\n1\n\n+4M\nn\np\n2\n\n\nw\n'; fi
	# shellcheck disable=SC2059 # the script is the format
	printf "$s" | fdisk "$1" > /dev/null 2>&1
	i=0
	while [ ! -b "${1}1" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b "${1}1" ] || { log "no partitions on $1"; return 1; }
}
