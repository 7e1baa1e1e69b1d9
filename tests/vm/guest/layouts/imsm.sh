# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# imsm: md with external metadata, Intel IMSM without the platform
# (IMSM_NO_PLATFORM, disk names as serials): a container over two disks and
# a RAID1 volume in it holding the ext4 root. Only mdmon writes IMSM
# metadata, marking clean included: the run boot assembles with --offroot,
# so mdadm starts mdmon as @mdmon (argv[0]), which the kill spares, from the
# initramfs; shutdownfs must wait for it to mark the volume clean before
# stopping it. Check: both disks' IMSM metadata say the volume is clean,
# idle and normal, with the same generation; an assembly without mdmon
# (read-only) wants no resync; the root is clean.
LAY_imsm_MODULES="raid1"

# every boot: no Intel platform here, virtio disks have no serial
imsm_env() { export IMSM_NO_PLATFORM=1 IMSM_DEVNAME_AS_SERIAL=1; }

# the volume of the container: the array whose metadata is external:/md127/N
imsm_volume() {
	for m in /sys/block/md*; do
		case $(cat "$m/md/metadata_version" 2> /dev/null) in
		external:/md127/*) echo "/dev/${m##*/}"; return 0 ;;
		esac
	done
	return 1
}

lay_imsm_setup() {
	imsm_env
	must mdadm --create /dev/md127 --run --metadata=imsm --raid-devices=2 /dev/vda /dev/vdb
	must mdadm --create /dev/md126 --run --assume-clean --level=1 --raid-devices=2 \
		--name=vol0 /dev/vda /dev/vdb
	vol=$(imsm_volume) || fatal "imsm: no volume in md127"
	populate "$vol" root
	must mdadm --stop "$vol"
	must mdadm --stop /dev/md127
}

# the container, then its volume started from it (mdmon with it)
imsm_assemble() { # extra mdadm options
	mdadm --assemble "$@" /dev/md127 /dev/vda /dev/vdb > /tmp/imsm.log 2>&1 ||
		{ cat /tmp/imsm.log > /dev/kmsg; fatal "imsm: assemble md127"; }
	mdadm --incremental "$@" /dev/md127 > /tmp/imsm.log 2>&1
	while IFS= read -r l; do log "mdadm: $l"; done < /tmp/imsm.log
	i=0
	while ! ROOTDEV=$(imsm_volume) && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -n "$ROOTDEV" ] || fatal "imsm: the volume did not start"
	log "imsm: volume $ROOTDEV $(cat "/sys/block/${ROOTDEV#/dev/}/md/array_state"), safe_mode_delay $(cat "/sys/block/${ROOTDEV#/dev/}/md/safe_mode_delay") s"
}

# the pid of mdmon and its argv[0] (the kill spares an argv[0] beginning with '@')
imsm_mdmon() {
	for p in /proc/[0-9]*; do
		read -r c < "$p/comm" 2> /dev/null || continue
		[ "$c" = mdmon ] || continue
		echo "${p#/proc/} $(tr '\0' '\n' < "$p/cmdline" | head -n 1)"
		return 0
	done
	return 1
}

# mdadm --offroot hands --offroot to the mdmon it starts; where it does not,
# mdmon --offroot --takeover replaces that one, as an initramfs would
lay_imsm_open() {
	imsm_env
	imsm_assemble --offroot
	i=0
	while ! m=$(imsm_mdmon) && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	log "imsm: mdmon after assembly: ${m:-none}"
	case ${m#* } in
	@*) ;;
	*) mdmon --offroot --takeover md127 > /tmp/mdmon.log 2>&1 ||
		{ cat /tmp/mdmon.log > /dev/kmsg; fatal "imsm: mdmon --offroot"; }
		sleep 1
		m=$(imsm_mdmon) || fatal "imsm: no mdmon after the takeover"
		log "imsm: mdmon after --takeover: $m" ;;
	esac
	case ${m#* } in @*) log "imsm: mdmon pid ${m%% *} runs as '@'" ;; esac
	keep_api_for_daemons
}

# IMSM metadata of each disk: the volume clean, idle, normal; one generation
imsm_examine() {
	MD=true gen="" genok=true
	for d in /dev/vda /dev/vdb; do
		mdadm --examine "$d" > /tmp/ex 2>&1
		g=$(sed -n 's/^ *Generation : *//p' /tmp/ex | head -n 1)
		dirty=$(sed -n 's/^ *Dirty State : *//p' /tmp/ex | head -n 1)
		mig=$(sed -n 's/^ *Migrate State : *//p' /tmp/ex | head -n 1)
		map=$(sed -n 's/^ *Map State : *//p' /tmp/ex | head -n 1)
		log "check $d imsm generation: ${g:-?} dirty: ${dirty:-?} migrate: ${mig:-?} map: ${map:-?}"
		note "${d#/dev/}=${dirty:-unknown}/${g:-?}"
		if [ "$dirty" != clean ] || [ "$mig" != idle ] || [ "$map" != normal ]; then MD=false; fi
		[ -z "$gen" ] && gen=$g
		if [ -z "$g" ] || [ "$g" != "$gen" ]; then MD=false genok=false; note "generation-differs"; fi
	done
	verdict_add imsm_generation_equal "$genok"
}

lay_imsm_check() {
	imsm_env
	imsm_examine
	# no mdmon: the volume stays read-only, nothing is written to the disks
	export MDADM_NO_MDMON=1
	imsm_assemble
	md_no_resync "${ROOTDEV#/dev/}"
	judge_fs "$ROOTDEV" root yes
}
