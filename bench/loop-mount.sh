# loop_mount IMG DIR: attach IMG to a free loop device and mount it at DIR.
# shellcheck shell=sh disable=SC2154 # W: the ns work dir, set by pre.sh's caller
# losetup -f asks loop-control, which makes a device when none is free;
# where nothing makes its node in /dev (no udev), one is made in $W.
loop_mount() {
	dev=$(losetup -f) || return 1
	if [ ! -b "$dev" ]; then
		n=${dev#/dev/loop}
		mm=$(cat "/sys/block/loop$n/dev") || return 1
		mknod "$W/loop$n" b "${mm%:*}" "${mm#*:}" || return 1
		dev=$W/loop$n
	fi
	losetup "$dev" "$1" && mount "$dev" "$2"
}
