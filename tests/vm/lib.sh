#!/bin/sh
# vm tier library: packages, Debian kernel, toolbox, initramfs, root image,
# pristine disks (made in a setup boot) and a qemu runner with a wall-clock limit.
# Sourced by tests/vm/run.sh, tests/vm/demo.sh and bench/vm-bench.sh, from the repo root.

VMSRC=tests/vm
VMTOP=$(pwd)
# KERNEL=6.1 (Debian 12, the default) or 6.12 (Debian 13, xz-compressed
# modules, from trixie through its own apt state): each kernel has its own
# build tree, so every cache (toolbox, root image, layouts) is per kernel.
# Pinned kernel package; derived from linux-image-amd64 only if a mirror no longer has it.
KERNEL=${KERNEL:-6.1}
case $KERNEL in
6.1) VM=${VM:-build/vm} KPKG=${KPKG:-linux-image-6.1.0-56-amd64} KSUITE=host ;;
6.12) VM=${VM:-build/vm-6.12} KPKG=${KPKG:-linux-image-6.12.117+deb13-amd64} KSUITE=trixie ;;
*) printf 'vm: error: KERNEL=%s: want 6.1 or 6.12\n' "$KERNEL" >&2; exit 1 ;;
esac
VM_SMP=${VM_SMP:-1}
VM_MEM=${VM_MEM:-512}
# Guest modules: insmod order is computed from these with modprobe --show-depends.
VM_MODULES="virtio_pci virtio_blk dm_mod dm_crypt dm_delay raid1 ext4 loop fuse xts aesni_intel
af_alg algif_skcipher algif_hash i6300esb virtio_console"
# copied, loaded only when asked: softdog by shutdownfs, ramoops by the init
# when the command line carries ramoops.* (report scenarios), efivarfs by the
# init with vm.efi=1 (a boot under OVMF)
VM_MODULES_EXTRA="softdog ramoops efivarfs"
# ovmf: UEFI firmware for the EFI variable route (VM_EFI_VARS)
HOST_PKGS="qemu-system-x86 busybox-static cryptsetup-bin lvm2 dmsetup mdadm e2fsprogs kmod systemd xz-utils ovmf"
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS.fd}
# shellcheck source=tests/vm/layouts.sh
. "$VMSRC/layouts.sh"
HOST_PKGS="$HOST_PKGS $LAYOUT_PKGS"

msg() { printf '%s\n' "vm: $*" >&2; }
warn() { printf '%s\n' "vm: warning: $*" >&2; }
die() { printf '%s\n' "vm: error: $*" >&2; exit 1; }

# --- packages -------------------------------------------------------------

pkg_missing() {
	for p; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || printf '%s\n' "$p"
	done
}

pkg_ensure() {
	missing=$(pkg_missing "$@")
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages and not root: $missing"
	msg "installing: $(echo "$missing" | tr '\n' ' ')"
	apt_updated
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 ||
		die "apt-get install failed"
}

apt_updated() {
	[ -n "${APT_UPDATED:-}" ] && return 0
	apt-get update >&2 || warn "apt-get update failed"
	APT_UPDATED=1
}

# --- stamps: rebuild only when an input changes -----------------------------

# hash of files (content) and plain words (as given)
inputs_hash() {
	for i; do
		if [ -f "$i" ]; then sha256sum < "$i"; else printf '%s\n' "$i"; fi
	done | sha256sum | cut -c1-16
}

tree_hash() {
	[ -d "$1" ] || { echo none; return 0; }
	(cd "$1" && find . \( -type f -o -type l \) -print | LC_ALL=C sort |
		while IFS= read -r f; do
			if [ -L "$f" ]; then printf '%s -> %s\n' "$f" "$(readlink "$f")"
			else printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum < "$f")"; fi
		done) | sha256sum | cut -c1-16
}

stamp_ok() { [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]; }
stamp_set() { printf '%s\n' "$2" > "$1.stamp"; }

# --- a pool of VM_JOBS background jobs ---------------------------------------

# pool_start NAME CMD...: run CMD in the background once fewer than VM_JOBS
# jobs of the pool run. Jobs are collected in the order they end, not the
# order they started, so a long one does not idle the other slots; each
# ended one is handed to the function named by POOL_ENDED (with its NAME).
# A job's end is its marker file, written by its EXIT trap (so a job that
# dies through `die` ends too), or its process gone or a zombie: a shell
# need not reap a background child before it waits for it, so kill -0
# alone could see a zombie as running.
POOL=""
POOL_ENDED=:
pool_start() { # NAME CMD...
	_pn=$1
	shift
	pool_drain "$VM_JOBS"
	mkdir -p "$VM/pool"
	rm -f "$VM/pool/$_pn"
	(trap ': > "$VM/pool/$_pn"' EXIT; "$@") &
	POOL="$POOL $_pn:$!"
}

# pool_drain N: collect ended jobs until fewer than N run (1: all of them)
pool_drain() {
	_pmax=$1
	while :; do
		# shellcheck disable=SC2086 # a list of NAME:PID words
		set -- $POOL
		[ $# -ge "$_pmax" ] || return 0
		_pend=""
		for _pj; do
			if [ -f "$VM/pool/${_pj%%:*}" ] || ! kill -0 "${_pj#*:}" 2> /dev/null ||
				[ "$(cut -d' ' -f3 "/proc/${_pj#*:}/stat" 2> /dev/null)" = Z ]; then
				_pend=$_pj
				break
			fi
		done
		if [ -z "$_pend" ]; then
			sleep 1
			continue
		fi
		wait "${_pend#*:}" || :
		POOL=$(for _pj; do [ "$_pj" = "$_pend" ] || printf ' %s' "$_pj"; done)
		"$POOL_ENDED" "${_pend%%:*}"
	done
}

# --- kernel -----------------------------------------------------------------

# apt-get/apt-cache for the kernel's suite: the host's own state, or a
# separate one under $VM/apt holding only that suite's index (never the
# host's sources, never a wildcard: packages are asked for by exact name).
# As root, not as apt's _apt sandbox user: that one cannot write under the
# build tree, nor in a /tmp that lost its sticky mode (it then fails to
# check the suite's signature: "Couldn't create temporary file").
kapt() {
	tool=$1
	shift
	if [ "$KSUITE" = host ]; then "$tool" "$@"; return; fi
	case $VM in /*) a=$VM/apt ;; *) a=$VMTOP/$VM/apt ;; esac
	"$tool" -o Dir::State="$a/state" -o Dir::State::status=/dev/null \
		-o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Cache="$a/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

kapt_updated() {
	if [ "$KSUITE" = host ]; then apt_updated; return; fi
	[ -n "${KAPT_UPDATED:-}" ] && return 0
	a=$VM/apt
	mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $KSUITE main" \
		> "$a/sources.list"
	kapt apt-get -q update >&2 || warn "apt-get update ($KSUITE) failed"
	KAPT_UPDATED=1
}

kernel_pkgname() {
	if [ "$KSUITE" != host ] && [ ! -d "$VM/apt/state/lists" ]; then kapt_updated; fi
	if kapt apt-cache policy "$KPKG" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		echo "$KPKG"; return 0
	fi
	kapt_updated
	if kapt apt-cache policy "$KPKG" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		echo "$KPKG"; return 0
	fi
	name=$(kapt apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	[ -n "$name" ] || die "no kernel package: $KPKG is gone and linux-image-amd64 names none"
	warn "$KPKG not on this mirror, using $name (from linux-image-amd64)"
	echo "$name"
}

kernel_cached() {
	[ -f "$KDIR/.pkg" ] && [ -f "$KDIR/.kver" ] && [ -f "$KDIR.stamp" ] || return 1
	KVER=$(cat "$KDIR/.kver")
	KIMG=$KDIR/boot/vmlinuz-$KVER
	[ -f "$KIMG" ] || return 1
	cached=$(cat "$KDIR/.pkg")
	# the pinned one, or what stands in for it while a mirror lacks it
	[ "$cached" = "$KPKG" ] || [ "$cached" = "$(kernel_pkgname)" ]
}

kernel_fetch() {
	KDIR=$VM/kernel
	kernel_cached && return 0
	pkg=$(kernel_pkgname)
	msg "fetching kernel package $pkg"
	rm -rf "$KDIR" "$VM/kdl"
	mkdir -p "$KDIR" "$VM/kdl"
	(cd "$VM/kdl" && kapt apt-get download "$pkg" >&2) || die "apt-get download $pkg failed"
	dpkg-deb -x "$VM"/kdl/"$pkg"_*.deb "$KDIR" || die "dpkg-deb -x failed"
	# merged /usr (trixie): the modules ship in usr/lib/modules; depmod -b
	# and modprobe -d look in lib/modules
	if [ ! -d "$KDIR/lib/modules" ] && [ -d "$KDIR/usr/lib/modules" ]; then
		mkdir -p "$KDIR/lib"
		ln -s ../usr/lib/modules "$KDIR/lib/modules"
	fi
	KVER=$(ls "$KDIR/lib/modules")
	depmod -b "$KDIR" "$KVER" || die "depmod failed"
	echo "$pkg" > "$KDIR/.pkg"
	echo "$KVER" > "$KDIR/.kver"
	rm -rf "$VM/kdl"
	KIMG=$KDIR/boot/vmlinuz-$KVER
	stamp_set "$KDIR" "$pkg"
}

# --- toolbox: busybox, block tools with their libraries, modules ----------------

# copy a file to the same path under DEST, then the libraries ldd names and the loader
add_binary() {
	dest=$1 bin=$2
	[ -e "$bin" ] || die "missing $bin"
	mkdir -p "$dest$(dirname "$bin")"
	cp -L "$bin" "$dest$bin"
	ldd "$bin" 2>/dev/null | awk '/=> \// {print $3} /^\t\// {print $1}' |
		while IFS= read -r lib; do
			[ -e "$dest$lib" ] && continue
			mkdir -p "$dest$(dirname "$lib")"
			cp -L "$lib" "$dest$lib"
		done
}

add_link() { mkdir -p "$1$(dirname "$3")"; ln -sf "$2" "$1$3"; }

add_busybox() {
	dest=$1
	mkdir -p "$dest/bin"
	cp /bin/busybox "$dest/bin/busybox"
	/bin/busybox --list-full | while IFS= read -r a; do
		[ "$a" = bin/busybox ] && continue
		add_link "$dest" /bin/busybox "/$a"
	done
}

modules_order() {
	# shellcheck disable=SC2086 # a list of module names
	for m in $VM_MODULES; do
		modprobe -d "$KDIR" -S "$KVER" -C /dev/null --show-depends "$m" ||
			die "module $m not in $KVER"
	done | awk '$1 == "insmod" && !seen[$2]++ {print $2}'
}

add_modules() {
	dest=$1 mdir=lib/modules/$KVER
	# modprobe prints absolute paths
	kabs=$(cd "$KDIR" && pwd -P)
	mkdir -p "$dest/$mdir" "$dest/etc/vmtest"
	: > "$dest/etc/vmtest/modules"
	{ modules_order
	  # shellcheck disable=SC2086
	  for m in $VM_MODULES_EXTRA; do
		modprobe -d "$KDIR" -S "$KVER" -C /dev/null --show-depends "$m"
	  done | awk '$1 == "insmod" {print $2}'; } |
	while IFS= read -r ko; do
		rel=${ko#"$kabs"/}
		mkdir -p "$dest/$(dirname "$rel")"
		cp "$ko" "$dest/$rel"
	done
	modules_order | while IFS= read -r ko; do
		echo "/${ko#"$kabs"/}" >> "$dest/etc/vmtest/modules"
	done
	cp "$KDIR/$mdir/modules.order" "$KDIR/$mdir/modules.builtin" \
		"$KDIR/$mdir/modules.builtin.modinfo" "$dest/$mdir/" 2>/dev/null || :
	depmod -b "$dest" "$KVER" || die "depmod on toolbox failed"
}

# softdog compressed as the kernel's modules_install does it (xz, crc32
# check) and the module index of a tree holding it, for the softdog-xz
# scenario: rootinit (vm.kmod=xz) puts them in place of softdog.ko
modules_xz() {
	m=$1/lib/modules/$KVER
	ko=$(cd "$m" && find . -name softdog.ko | head -n 1)
	if [ -z "$ko" ]; then
		# a kernel whose modules are compressed already (6.12: .ko.xz):
		# there the softdog scenario is the compressed case
		[ -z "$(cd "$m" && find . -name 'softdog.ko.*')" ] || return 0
		die "no softdog.ko in $m"
	fi
	ko=${ko#./}
	t=$VM/work/modxz
	rm -rf "$t"
	mkdir -p "$t/lib/modules"
	cp -a "$m" "$t/lib/modules/"
	xz --check=crc32 --lzma2=dict=1MiB "$t/lib/modules/$KVER/$ko" || die "xz softdog.ko failed"
	depmod -b "$t" "$KVER" || die "depmod on the xz tree failed"
	d=$1/usr/lib/vmtest/modules-xz
	mkdir -p "$d"
	cp "$t/lib/modules/$KVER/$ko.xz" "$t/lib/modules/$KVER"/modules.* "$d/"
	echo "$ko" > "$d/path"
	rm -rf "$t"
}

key_file() {
	[ -s "$VM/key" ] || head -c 64 /dev/urandom > "$VM/key"
	echo "$VM/key"
}

box_tools="/usr/sbin/cryptsetup /usr/sbin/lvm /usr/sbin/mdadm /usr/sbin/dmsetup
/usr/sbin/e2fsck /usr/sbin/dumpe2fs /usr/sbin/debugfs /usr/sbin/mke2fs"

box_build() {
	BOX=$VM/box
	h=$(inputs_hash "$KVER" "$VM_MODULES" "$VM_MODULES_EXTRA" "$(key_file)" \
		"$VMSRC/lib.sh" "$VMSRC/guest/standin2" "$(layouts_box_inputs)" \
		"$(dpkg-query -W -f '${Package}=${Version} ' busybox-static cryptsetup-bin lvm2 dmsetup mdadm e2fsprogs libc6)")
	stamp_ok "$BOX" "$h" && return 0
	msg "building toolbox"
	rm -rf "$BOX"
	mkdir -p "$BOX"
	for d in proc sys dev run tmp mnt newroot host src oldroot var/log etc/lvm root ramfs; do
		mkdir -p "$BOX/$d"
	done
	add_busybox "$BOX"
	# shellcheck disable=SC2086
	for t in $box_tools; do add_binary "$BOX" "$t"; done
	for l in vgchange vgcreate vgs lvs pvs pvcreate lvcreate lvchange vgscan; do
		add_link "$BOX" lvm "/usr/sbin/$l"
	done
	add_link "$BOX" mke2fs /usr/sbin/mkfs.ext4
	add_link "$BOX" e2fsck /usr/sbin/fsck.ext4
	add_modules "$BOX"
	layouts_box "$BOX"
	cp /etc/mke2fs.conf "$BOX/etc/mke2fs.conf"
	cp "$(key_file)" "$BOX/etc/vmtest/key"
	cat > "$BOX/etc/lvm/lvm.conf" <<-'EOF'
	activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
	devices { obtain_device_list_from_udev = 0 external_device_info_source = "none" use_devicesfile = 0 }
	global { event_activation = 0 }
	EOF
	install -m 0755 "$VMSRC/guest/standin2" "$BOX/shutdown"
	stamp_set "$BOX" "$h"
}

# --- initramfs (setup, run and check boots share it) --------------------------

# the check boot runs `shutdownfs last`: the binary goes into the initramfs
initrd_build() {
	INITRD=$VM/initrd.cpio
	bin=none
	have_binary && bin=build/shutdownfs
	h=$(inputs_hash "$(cat "$BOX.stamp")" "$VMSRC/guest/init" "$bin" "$(layouts_initrd_inputs)")
	stamp_ok "$INITRD" "$h" && [ -f "$INITRD" ] && return 0
	msg "building initramfs"
	rm -rf "$VM/initrd.d"
	cp -a "$BOX" "$VM/initrd.d"
	install -m 0755 "$VMSRC/guest/init" "$VM/initrd.d/init"
	if have_binary; then
		mkdir -p "$VM/initrd.d/usr/sbin"
		install -m 0755 build/shutdownfs "$VM/initrd.d/usr/sbin/shutdownfs"
	fi
	layouts_initrd "$VM/initrd.d"
	(cd "$VM/initrd.d" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) \
		> "$INITRD.tmp" || die "cpio failed"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$VM/initrd.d"
	stamp_set "$INITRD" "$h"
}

# A small initramfs for a low-memory run boot (RUN_INITRD=lite): only what
# the run mode needs to assemble the stack and switch_root (busybox, mdadm,
# cryptsetup, lvm, dmsetup with their libraries, the modules the init
# loads), gzip-compressed. The full one is 46 MB uncompressed and the
# kernel runs out of memory unpacking it into 128 MiB.
initrd_lite_build() {
	LITE=$VM/initrd-lite.cpio.gz
	h=$(inputs_hash "$(cat "$BOX.stamp")" "$VMSRC/guest/init" "$(layouts_initrd_inputs)" "$VMSRC/lib.sh")
	stamp_ok "$LITE" "$h" && [ -f "$LITE" ] && return 0
	msg "building the low-memory initramfs"
	d=$VM/initrd-lite.d
	rm -rf "$d"
	for x in proc sys dev run tmp mnt newroot host oldroot etc/lvm etc/vmtest; do mkdir -p "$d/$x"; done
	add_busybox "$d"
	for t in /usr/sbin/cryptsetup /usr/sbin/lvm /usr/sbin/mdadm /usr/sbin/dmsetup; do
		add_binary "$d" "$t"
	done
	for l in vgchange lvchange vgscan; do add_link "$d" lvm "/usr/sbin/$l"; done
	cp "$BOX/etc/lvm/lvm.conf" "$d/etc/lvm/"
	cp "$BOX/etc/vmtest/key" "$BOX/etc/vmtest/modules" "$d/etc/vmtest/"
	while IFS= read -r ko; do
		mkdir -p "$d$(dirname "$ko")"
		cp "$BOX$ko" "$d$ko"
	done < "$BOX/etc/vmtest/modules"
	install -m 0755 "$VMSRC/guest/init" "$d/init"
	layouts_initrd "$d"
	(cd "$d" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) |
		gzip -6 > "$LITE.tmp" || die "cpio (lite) failed"
	mv "$LITE.tmp" "$LITE"
	msg "low-memory initramfs: $(du -sk "$d" | cut -f1) KiB unpacked, $(($(stat -c %s "$LITE") / 1024)) KiB"
	rm -rf "$d"
	stamp_set "$LITE" "$h"
}

# --- root image: toolbox + init + systemd-shutdown + the project installed -------

have_binary() { [ -x build/shutdownfs ]; }

project_install() {
	INST=$VM/install
	rm -rf "$INST"
	mkdir -p "$INST"
	have_binary || return 0
	if ! make -s install DESTDIR="$(pwd)/$INST" PREFIX=/usr >"$VM/install.log" 2>&1; then
		warn "make install failed (see $VM/install.log); installing build/shutdownfs by hand"
		rm -rf "$INST"
		mkdir -p "$INST/usr/sbin" "$INST/usr/lib/shutdownfs"
		install -m 0755 build/shutdownfs "$INST/usr/sbin/shutdownfs"
		[ -d hooks.d ] && cp -R hooks.d "$INST/usr/lib/shutdownfs/"
	fi
	chmod -R go-w "$INST"
}

root_build() {
	ROOTDIR=$VM/rootfs ROOTIMG=$VM/root.ext4
	project_install
	h=$(inputs_hash "$(cat "$BOX.stamp")" "$VMSRC/guest/rootinit" "$VMSRC/guest/standin" \
		"$VMSRC/guest/freeze-pid1.c" \
		"$VMSRC/guest/bbuser" "$VMSRC/guest/sysvuser" \
		"$(tree_hash "$INST")" "$(dpkg-query -W -f '${Version}' systemd)" tests/ns/fuse-stall.c \
		mkshutdownfs.sh "$(tree_hash hooks.d)" "$(tree_hash ramfs-skel)")
	stamp_ok "$ROOTIMG" "$h" && [ -f "$ROOTIMG" ] && return 0
	msg "building root image"
	rm -rf "$ROOTDIR"
	cp -a "$BOX" "$ROOTDIR"
	rm -f "$ROOTDIR/shutdown"
	install -m 0755 "$VMSRC/guest/rootinit" "$ROOTDIR/sbin/init"
	mkdir -p "$ROOTDIR/usr/lib/vmtest" "$ROOTDIR/mnt/extra"
	install -m 0755 "$VMSRC/guest/standin" "$ROOTDIR/usr/lib/vmtest/standin"
	install -m 0755 "$VMSRC/guest/standin2" "$ROOTDIR/usr/lib/vmtest/standin2"
	musl-gcc -static -Os -o "$ROOTDIR/usr/lib/vmtest/freeze-pid1" "$VMSRC/guest/freeze-pid1.c" ||
		die "cannot build freeze-pid1"
	install -m 0755 "$VMSRC/guest/bbuser" "$ROOTDIR/usr/lib/vmtest/bbuser"
	install -m 0755 "$VMSRC/guest/sysvuser" "$ROOTDIR/usr/lib/vmtest/sysvuser"
	add_binary "$ROOTDIR" /lib/systemd/systemd-shutdown
	modules_xz "$ROOTDIR"
	# a FUSE daemon that stops answering (the ns tier's), static against musl
	musl-gcc -isystem build/deps/include -O1 -static -o "$ROOTDIR/usr/lib/vmtest/fuse-stall" \
		tests/ns/fuse-stall.c || die "cannot build fuse-stall"
	cp -a "$INST/." "$ROOTDIR/"
	skel_build
	echo vmtest > "$ROOTDIR/etc/hostname"
	rm -f "$ROOTIMG"
	mke2fs -q -t ext4 -L root -d "$ROOTDIR" "$ROOTIMG" 160M || die "mke2fs -d failed"
	stamp_set "$ROOTIMG" "$h"
}

# the skeleton and the exitrd tree, made by mkshutdownfs on the host (same
# Debian userland as the guest's toolbox); left out when it cannot make them.
# --all-hooks: the scenarios test the fallback hooks too (stack-hooks) and
# add shell hooks of their own (hung-hook), which a default skeleton for a
# root on md/LUKS/LVM leaves out.
skel_build() {
	have_binary && [ -f mkshutdownfs.sh ] || return 0
	if sh mkshutdownfs.sh -o "$ROOTDIR/usr/lib/shutdownfs/skel" --kver "$KVER" --all-hooks \
		> "$VM/mkshutdownfs.log" 2>&1; then
		msg "skeleton: $(tail -n 1 "$VM/mkshutdownfs.log")"
	else
		warn "mkshutdownfs failed (see $VM/mkshutdownfs.log): no skeleton in the guest"
		rm -rf "$ROOTDIR/usr/lib/shutdownfs/skel"
	fi
	# the README's path: mkshutdownfs with no options (vm.skel=default)
	if ! sh mkshutdownfs.sh -o "$ROOTDIR/usr/lib/vmtest/skel-default" --kver "$KVER" \
		> "$VM/mkshutdownfs-default.log" 2>&1; then
		warn "mkshutdownfs (defaults) failed (see $VM/mkshutdownfs-default.log)"
		rm -rf "$ROOTDIR/usr/lib/vmtest/skel-default"
	fi
	if ! SHUTDOWNFS_BIN=build/shutdownfs sh mkshutdownfs.sh --exitrd \
		-o "$ROOTDIR/usr/lib/vmtest/exitrd" --kver "$KVER" > "$VM/mkshutdownfs-exitrd.log" 2>&1; then
		warn "mkshutdownfs --exitrd failed (see $VM/mkshutdownfs-exitrd.log)"
		rm -rf "$ROOTDIR/usr/lib/vmtest/exitrd"
	fi
}

# --- pristine disks -------------------------------------------------------------

disks_build() {
	P=$VM/pristine
	h=$(inputs_hash "$(cat "$ROOTIMG.stamp")" "$VMSRC/guest/init")
	stamp_ok "$P" "$h" && return 0
	msg "building pristine disks (setup boot, a few minutes under TCG)"
	rm -rf "$P"
	mkdir -p "$P"
	cp --sparse=always "$ROOTIMG" "$P/plain.img"
	# loop-root: the root image as a file on an ext4 "host" filesystem
	rm -rf "$VM/loophost"
	mkdir -p "$VM/loophost"
	cp --sparse=always "$ROOTIMG" "$VM/loophost/root.img"
	mke2fs -q -t ext4 -L host -d "$VM/loophost" "$P/loop.img" 256M || die "mke2fs host failed"
	rm -rf "$VM/loophost"
	for d in md0 md1 lol lul; do truncate -s 192M "$P/$d.img"; done
	mkdir -p "$VM/logs"
	vm_boot "$VM/logs/setup.log" 600 "vm.mode=setup" \
		"$P/md0.img" "$P/md1.img" "$P/lol.img" "$P/lul.img" "ro:$ROOTIMG" ||
		die "setup boot did not finish (see $VM/logs/setup.log)"
	grep -q 'vmtest: SETUP-OK' "$VM/logs/setup.log" ||
		die "setup boot failed (see $VM/logs/setup.log)"
	stamp_set "$P" "$h"
}

# disks of a layout, as fresh copies in a work directory; prints their paths
layout_disks() {
	layout=$1 dir=$2
	if layout_spec "$layout" > /dev/null; then
		layout_copy "$layout" "$dir"
		return 0
	fi
	case $layout in
	stack) set -- md0 md1 ;;
	plain) set -- plain ;;
	loop) set -- loop ;;
	lol) set -- lol ;;
	lul) set -- lul ;;
	*) die "unknown layout $layout" ;;
	esac
	mkdir -p "$dir"
	for d; do
		cp --reflink=auto --sparse=always "$P/$d.img" "$dir/$d.img"
		echo "$dir/$d.img"
	done
}

# --- qemu -----------------------------------------------------------------------

vm_prepare() {
	# shellcheck disable=SC2086 # a list of package names
	pkg_ensure $HOST_PKGS
	mkdir -p "$VM/logs"
	kernel_fetch
	box_build
	initrd_build
	initrd_lite_build
	root_build
	disks_build
}

# vm_boot LOG LIMIT APPEND [DISK|ro:DISK|-qemu-option VALUE]...
# 0: qemu exited (guest powered off or rebooted); 2: halted (we stopped qemu);
# 124: overran LIMIT seconds and was killed; else qemu's own exit status
# (isa-debug-exit: (value << 1) | 1). VM_RAMFILE=FILE backs guest RAM by a
# shared file, so a second boot on the same file finds what the first left
# in RAM (ramoops), as a warm reboot would. VM_EFI_VARS=FILE boots under
# OVMF (its code read-only, FILE its NVRAM, both as pflash; -kernel still
# boots directly, through OVMF's loader), so a second boot on the same FILE
# finds the EFI variables the first one wrote. no_timer_check: on a loaded host
# TCG can starve the vCPU through the kernel's IO-APIC timer check, which then
# panics ("IO-APIC + timer doesn't work!"), as a setup boot here once did.
vm_boot() {
	log=$1 limit=$2 append=$3
	shift 3
	arg=""
	for d; do
		if [ -n "$arg" ]; then
			set -- "$@" "$d"
			arg=""
			shift
			continue
		fi
		case $d in
		-*) set -- "$@" "$d"; arg=1 ;; # a qemu option; its value follows
		ro:*) set -- "$@" -drive "file=${d#ro:},format=raw,if=virtio,readonly=on" ;;
		mpath:*) # one image, two virtio-scsi controllers, one path on each:
			# the same node under two scsi-hd devices with one serial and wwn
			set -- "$@" -blockdev "driver=file,filename=${d#mpath:},node-name=mpf,cache.no-flush=on" \
				-blockdev driver=raw,file=mpf,node-name=mp \
				-device virtio-scsi-pci,id=scsi0 -device virtio-scsi-pci,id=scsi1
			for b in scsi0 scsi1; do
				set -- "$@" -device "scsi-hd,bus=$b.0,drive=mp,share-rw=on,serial=vmtest-mpath,wwn=0x5000c500a1b2c3d4"
			done ;;
		*) set -- "$@" -drive "file=$d,format=raw,if=virtio,cache=unsafe" ;;
		esac
		shift
	done
	: > "$log"
	machine=pc
	if [ -n "${VM_RAMFILE:-}" ]; then
		machine=pc,memory-backend=ram
		set -- -object "memory-backend-file,id=ram,size=${VM_MEM}M,mem-path=$VM_RAMFILE,share=on" "$@"
	fi
	if [ -n "${VM_EFI_VARS:-}" ]; then
		set -- -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
			-drive "if=pflash,format=raw,unit=1,file=$VM_EFI_VARS" "$@"
	fi
	qemu-system-x86_64 -accel tcg -cpu max -machine "$machine" -m "$VM_MEM" -smp "$VM_SMP" \
		-nodefaults -display none -no-reboot -serial "file:$log" \
		-kernel "$KIMG" -initrd "$INITRD" \
		-append "console=ttyS0 printk.time=1 panic=-1 no_timer_check rdinit=/init $append" \
		"$@" </dev/null >"$log.qemu" 2>&1 &
	qpid=$!
	start=$(date +%s) last=$start tpid=""
	if [ -n "${VM_SHOW:-}" ]; then
		tail -n +1 -f "$log" >&2 &
		tpid=$!
	fi
	while kill -0 "$qpid" 2>/dev/null; do
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			kill "$qpid" 2>/dev/null || :
			wait "$qpid" 2>/dev/null || :
			echo "vmtest-host: killed after ${limit}s" >> "$log"
			[ -z "$tpid" ] || kill "$tpid"
			return 124
		fi
		if grep -q 'reboot: System halted' "$log"; then
			sleep 1
			kill "$qpid" 2>/dev/null || :
			wait "$qpid" 2>/dev/null || :
			[ -z "$tpid" ] || kill "$tpid"
			return 2
		fi
		if [ -n "${VM_PROGRESS:-}" ] && [ $(($(date +%s) - last)) -ge 10 ]; then
			last=$(date +%s)
			msg "... $((last - start))s ($(basename "$log" .log))"
		fi
		sleep 0.3
	done
	wait "$qpid" && rc=0 || rc=$?
	[ -z "$tpid" ] || { sleep 0.5; kill "$tpid"; wait "$tpid" 2>/dev/null || :; }
	return "$rc"
}

# --- one scenario: a run boot, then a check boot on the same disks ----------------------

RUN_LIMIT=${RUN_LIMIT:-150}
CHECK_LIMIT=${CHECK_LIMIT:-120}

WHY=""
why() { WHY="$WHY${WHY:+; }$*"; }

# boot_pair NAME LAYOUT CMDLINE [QEMU-ARG...]: sets RUNLOG CHECKLOG RUNRC CHECKRC.
# VM_TAIL=1 shows the run boot's console on stderr as it happens.
# CHECK_EXTRA: more check-boot command line (e.g. ramoops.* and vm.last=1);
# PAIR_RAM=1: both boots share guest RAM (VM_RAMFILE); PAIR_REPORT_DISK=1: a
# zeroed 1 MiB disk after the layout's (the report_file route), in both boots.
# PAIR_EFI=1: both boots under OVMF on one fresh copy of OVMF_VARS.fd.
# A run configured with shutdownfs.notify=isa-debug-exit gets the device, and
# EXIT_VERDICT (clean|degraded|none) says what QEMU's exit status told: a
# second judge next to the check boot. A run with
# shutdownfs.notify=virtio-serial:NAME gets a port NAME into a host file, and
# SERIAL_LINE is what arrived there.
EXIT_VERDICT=none
# shellcheck disable=SC2034 # RUNRC and friends are read by the callers
boot_pair() {
	name=$1 layout=$2 extra=$3
	shift 3
	work=$VM/work/$name
	rm -rf "$work" "$VM/logs/$name-serial.txt"
	RUNLOG=$VM/logs/$name-run.log CHECKLOG=$VM/logs/$name-check.log
	token=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
	disks=$(layout_disks "$layout" "$work")
	if [ -n "${PAIR_REPORT_DISK:-}" ]; then
		truncate -s 1M "$work/report.img"
		disks="$disks $work/report.img"
	fi
	VM_RAMFILE=""
	[ -z "${PAIR_RAM:-}" ] || VM_RAMFILE=$work/ram
	VM_EFI_VARS=""
	if [ -n "${PAIR_EFI:-}" ]; then
		VM_EFI_VARS=$work/efivars.fd
		cp "$OVMF_VARS" "$VM_EFI_VARS"
	fi
	case " $extra " in
	*" shutdownfs.notify=isa-debug-exit"*)
		set -- "$@" -device "isa-debug-exit,iobase=${DEBUG_EXIT_PORT:-0xf4},iosize=0x04" ;;
	*" shutdownfs.notify=virtio-serial:"*)
		port=${extra#*shutdownfs.notify=virtio-serial:}
		port=${port%% *}
		: > "$VM/logs/$name-serial.txt"
		set -- "$@" -device virtio-serial-pci \
			-chardev "file,id=verdict,path=$VM/logs/$name-serial.txt" \
			-device "virtserialport,chardev=verdict,name=$port" ;;
	esac
	VM_SHOW=${VM_TAIL:-}
	# RUN_MEM: the run boot's memory (a low-memory scenario), RUN_INITRD=lite
	# its small initramfs; the check's stay
	mem=$VM_MEM initrd=$INITRD
	VM_MEM=${RUN_MEM:-$VM_MEM}
	[ "${RUN_INITRD:-}" != lite ] || INITRD=$LITE
	# PAIR_CAD=PATTERN: ctrl-alt-del from the host (QEMU's monitor on a
	# pipe, `sendkey ctrl-alt-delete`) once PATTERN is on the run's console
	cadpid=""
	: > "$RUNLOG"
	if [ -n "${PAIR_CAD:-}" ]; then
		mkdir -p "$work"
		mkfifo "$work/mon.in" "$work/mon.out"
		set -- "$@" -monitor "pipe:$work/mon"
		cad_send "$RUNLOG" "$PAIR_CAD" "$work/mon" "$VM/logs/$name-host.log" &
		cadpid=$!
	fi
	# shellcheck disable=SC2086 # disk paths (no spaces) and qemu args
	vm_boot "$RUNLOG" "$RUN_LIMIT" "vm.mode=run vm.layout=$layout vm.token=$token $extra" \
		$disks "$@" && RUNRC=0 || RUNRC=$?
	if [ -n "$cadpid" ]; then
		kill "$cadpid" 2>/dev/null || :
		wait "$cadpid" 2>/dev/null || :
	fi
	VM_MEM=$mem INITRD=$initrd
	VM_SHOW=""
	case $RUNRC in
	33) EXIT_VERDICT=clean ;;       # (0x10 << 1) | 1
	35) EXIT_VERDICT=degraded ;;    # (0x11 << 1) | 1
	*) EXIT_VERDICT=none ;;
	esac
	SERIAL_LINE=""
	[ ! -f "$VM/logs/$name-serial.txt" ] || SERIAL_LINE=$(head -n 1 "$VM/logs/$name-serial.txt")
	if [ -n "${VM_TAIL:-}" ]; then msg "check boot: judging the disks"; fi
	# shellcheck disable=SC2086
	vm_boot "$CHECKLOG" "$CHECK_LIMIT" "vm.mode=check vm.layout=$layout vm.token=$token ${CHECK_EXTRA:-}" \
		$disks && CHECKRC=0 || CHECKRC=$?
	VM_RAMFILE="" VM_EFI_VARS=""
	rm -rf "$work"
	grep -q 'VERDICT {' "$CHECKLOG" || why "check boot gave no verdict (rc $CHECKRC)"
}

# cad_send LOG PATTERN MONITOR HOSTLOG: once PATTERN is in LOG, ctrl-alt-del
# into the guest through QEMU's monitor (MONITOR.in, a FIFO QEMU holds
# open), said in HOSTLOG; gives up after RUN_LIMIT
cad_send() {
	: > "$4"
	i=0
	while [ "$i" -lt $((RUN_LIMIT * 4)) ]; do
		if grep -q -e "$2" "$1" 2> /dev/null; then
			echo 'sendkey ctrl-alt-delete' > "$3.in"
			echo "vmtest-host: sendkey ctrl-alt-delete after '$2'" >> "$4"
			# QEMU's echo of the command, so its pipe never fills
			timeout 5 cat "$3.out" > /dev/null 2>&1 || :
			return 0
		fi
		sleep 0.25
		i=$((i + 1))
	done
	echo "vmtest-host: '$2' never came" >> "$4"
}

# blank_disk NAME MB: an empty extra disk for a scenario's run boot (the check
# boot judges only the layout's disks); prints its path
blank_disk() {
	mkdir -p "$VM/work"
	rm -f "$VM/work/$1-x.img"
	truncate -s "${2}M" "$VM/work/$1-x.img"
	echo "$VM/work/$1-x.img"
}

# --- reading console logs ---------------------------------------------------------

# value of KEY in the VERDICT json of a check log (true/false/null)
verdict_get() { sed -n 's/.*VERDICT {.*"'"$2"'":\([a-z0-9]*\).*/\1/p' "$1" | head -n 1; }
# value of KEY=VALUE in the summary line of a run log
summary_get() {
	sed -n 's/.*shutdownfs: summary\( .*\)$/\1 /p' "$1" | head -n 1 |
		sed -n 's/.* '"$2"'=\([^ ]*\) .*/\1/p'
}
# kernel timestamp in ms of the first line matching PATTERN
ts_ms() {
	grep -a -m 1 -e "$2" "$1" | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p' | sed 's/^0*\([0-9]\)/\1/'
}
