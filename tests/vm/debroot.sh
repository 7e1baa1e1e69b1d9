#!/bin/sh
# debroot.sh — a Debian 12 root filesystem built by mmdebstrap from Debian's
# packages, as an ext4 image, cached under $VM by a hash of its inputs.
#
#   debroot_image NAME "PACKAGES" [CUSTOMIZE]
#
# prints the path of the image (an ext4 filesystem, label root). PACKAGES are
# Debian package names or paths to .deb files (hashed by content), installed
# with apt on top of the minbase variant. CUSTOMIZE, a host shell script
# (hashed by content), runs as mmdebstrap's customize hook with the root
# tree as $1 before the image is made. DEBROOT_UUID sets the filesystem's
# UUID, DEBROOT_MB its size (default: what the tree needs, plus a third);
# DEBROOT_HASH_EXTRA, a string, is hashed too (what the hook reads besides
# its own text, e.g. the kernel it builds an initramfs for).
# The .debs apt fetched are kept in $VM/debroot/archives, so a rebuild
# downloads only what changed. Sourced after tests/vm/lib.sh (msg, die,
# inputs_hash, pkg_ensure); nothing here touches a block device.
# shellcheck shell=sh

DEBROOT_SUITE=${DEBROOT_SUITE:-bookworm}

debroot_image() {
	dr_name=$1 dr_pkgs=$2 dr_hook=${3:-}
	pkg_ensure mmdebstrap e2fsprogs >&2
	dr_dir=$VM/debroot
	mkdir -p "$dr_dir/archives"
	# shellcheck disable=SC2086 # the package list, word by word
	dr_hash=$(inputs_hash "$DEBROOT_SUITE" "${DEBROOT_UUID:-}" "${DEBROOT_MB:-}" "${DEBROOT_HASH_EXTRA:-}" \
		"$VMSRC/debroot.sh" $dr_pkgs ${dr_hook:+"$dr_hook"})
	dr_img=$dr_dir/$dr_name-$dr_hash.ext4
	if [ -f "$dr_img" ] && stamp_ok "$dr_img" "$dr_hash"; then
		echo "$dr_img"
		return 0
	fi
	# only the path goes to stdout
	debroot_build "$dr_pkgs" "$dr_hook" >&2
	echo "$dr_img"
}

debroot_build() {
	dr_pkgs=$1 dr_hook=$2
	msg "building Debian root '$dr_name' with mmdebstrap ($DEBROOT_SUITE)"
	rm -f "$dr_dir/$dr_name"-*.ext4 "$dr_dir/$dr_name"-*.ext4.stamp
	dr_tree=$dr_dir/$dr_name.tree
	rm -rf "$dr_tree"
	set -- --variant=minbase --mode=root --skip=essential/unlink \
		--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--setup-hook="mkdir -p \"\$1/var/cache/apt/archives\"" \
		--setup-hook="sync-in $dr_dir/archives /var/cache/apt/archives" \
		--customize-hook="sync-out /var/cache/apt/archives $dr_dir/archives"
	for p in $dr_pkgs; do
		case $p in
		*.deb) set -- "$@" --include="$(cd "$(dirname "$p")" && pwd)/$(basename "$p")" ;;
		*) set -- "$@" --include="$p" ;;
		esac
	done
	if [ -n "$dr_hook" ]; then
		set -- "$@" --customize-hook="sh $(cd "$(dirname "$dr_hook")" && pwd)/$(basename "$dr_hook") \"\$1\""
	fi
	if ! mmdebstrap "$@" "$DEBROOT_SUITE" "$dr_tree" > "$dr_dir/$dr_name.log" 2>&1; then
		tail -n 20 "$dr_dir/$dr_name.log" >&2
		die "mmdebstrap failed (see $dr_dir/$dr_name.log)"
	fi
	rm -f "$dr_dir/archives/lock"
	rm -rf "$dr_dir/archives/partial"
	dr_mb=${DEBROOT_MB:-$(($(du -sm "$dr_tree" | cut -f1) * 4 / 3 + 64))}
	rm -f "$dr_img"
	mke2fs -q -t ext4 -L root ${DEBROOT_UUID:+-U "$DEBROOT_UUID"} -d "$dr_tree" \
		"$dr_img" "${dr_mb}M" || die "mke2fs -d $dr_tree failed"
	rm -rf "$dr_tree"
	stamp_set "$dr_img" "$dr_hash"
	msg "Debian root '$dr_name': $dr_img (${dr_mb} MiB)"
}
