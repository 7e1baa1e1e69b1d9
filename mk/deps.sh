#!/bin/sh
# Builds the static libraries shutdownfs links against musl: libmount and
# libblkid from Debian's util-linux source package, libkmod from Debian's
# kmod source package, with liblzma (xz-utils) and libzstd (libzstd) linked
# into it for compressed modules. The recipe is explained in docs/build.md.
#
# Run from the top of the tree (the Makefile does: sh mk/deps.sh, BUILD=build).
# Result:
#   $BUILD/deps/include/{libmount/libmount.h,blkid/blkid.h,libkmod.h}
#   $BUILD/deps/include/{linux,asm,asm-generic} -> the host's UAPI headers
#   $BUILD/deps/lib/{libmount.a,libblkid.a,libkmod.a}  (libkmod.a holds
#   liblzma's and libzstd's objects too: .ko.xz and .ko.zst modules load)
#   $BUILD/deps/.stamp
# Every step skips what an earlier run already did; rm -rf $BUILD/deps to
# start over (for instance to pick up a newer Debian source version).
set -eu

PACKAGES="musl-tools musl-dev linux-libc-dev gcc make binutils dpkg-dev
xz-utils patch autoconf automake libtool autopoint gettext pkg-config
bison flex"
SRC_SOURCES=/etc/apt/sources.list.d/shutdownfs-src.sources

msg() { printf 'deps: %s\n' "$*" >&2; }
warn() { printf 'deps: warning: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# Verbose when V=1 comes from the environment or from the calling make.
VERBOSE=${V:-0}
case " ${MAKEFLAGS:-} " in *" V=1 "*) VERBOSE=1 ;; esac
# This script drives its own makes with its own -j; the caller's
# jobserver and variables must not leak into them.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

APT_UPDATED=0
apt_update() {
	[ "$APT_UPDATED" -eq 1 ] && return 0
	msg "apt-get update"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	APT_UPDATED=1
}

# run LOG CMD...: CMD's output goes to LOG (and to stderr with V=1); on
# failure the end of LOG is shown.
run() {
	run_log=$LOGDIR/$1
	shift
	if [ "$VERBOSE" = 1 ]; then
		printf '+ %s\n' "$*" >&2
		"$@" >&2 || die "failed: $*"
	elif ! "$@" >"$run_log" 2>&1; then
		tail -n 40 "$run_log" >&2
		die "failed: $* (full log: $run_log)"
	fi
}

# in_dir DIR CMD...: runs CMD in DIR.
in_dir() {
	(cd "$1" && shift && "$@")
}

# --- build packages ---------------------------------------------------------

install_packages() {
	missing=
	for pkg in $PACKAGES; do
		status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$pkg" 2>/dev/null) || status=
		case $status in
		ii*) ;;
		*) missing="$missing $pkg" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	msg "installing build packages:$missing"
	apt_update
	# shellcheck disable=SC2086 # one word per package
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -q -y --no-install-recommends \
		-o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 $missing >&2
}

# --- deb-src ----------------------------------------------------------------

have_deb_src() {
	# shellcheck disable=SC2016 # an apt format string, not an expansion
	apt-get indextargets --no-release-info --format '$(CREATED_BY)' |
		grep -qx Sources
}

# Prints, in deb822 form, a deb-src stanza for every enabled deb entry of
# the apt sources whose suite is CODENAME or CODENAME-* (any suite when
# CODENAME is empty). Reads .sources (deb822) and .list/sources.list
# (one-line) files; keeps URIs, Suites, Components and Signed-By.
deb_src_stanzas() {
	cn=$1
	shift
	awk -v cn="$cn" '
	function suite_ok(s) {
		return cn == "" || s == cn || index(s, cn "-") == 1
	}
	function emit(uris, suites, comps, signed,    n, i, a, keep) {
		n = split(suites, a, /[ \t]+/)
		keep = ""
		for (i = 1; i <= n; i++)
			if (a[i] != "" && suite_ok(a[i]))
				keep = keep (keep == "" ? "" : " ") a[i]
		if (keep == "" || uris == "")
			return
		printf "%sTypes: deb-src\nURIs: %s\nSuites: %s\n", \
			(out++ ? "\n" : ""), uris, keep
		if (comps != "")
			printf "Components: %s\n", comps
		if (signed != "")
			printf "Signed-By: %s\n", signed
	}
	function flush() {
		if (f["enabled"] != "no" && (" " f["types"] " ") ~ /[ \t]deb[ \t]/)
			emit(f["uris"], f["suites"], f["components"], f["signed-by"])
		split("", f)
		last = ""
	}
	FNR == 1 { if (deb822) flush(); deb822 = FILENAME ~ /\.sources$/ }
	deb822 && /^#/ { next }
	deb822 && /^[ \t]*$/ { flush(); next }
	deb822 && /^[ \t]/ {
		if (last != "") f[last] = f[last] "\n" $0
		next
	}
	deb822 {
		k = tolower(substr($0, 1, index($0, ":") - 1))
		v = substr($0, index($0, ":") + 1)
		sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
		f[k] = v; last = k
		next
	}
	{
		sub(/#.*/, "")
		if ($1 != "deb")
			next
		i = 2; signed = ""
		if ($2 ~ /^\[/) {
			for (; i <= NF; i++) {
				o = $i; gsub(/[][]/, "", o)
				if (tolower(o) ~ /^signed-by=/)
					signed = substr(o, 11)
				if ($i ~ /\]$/) { i++; break }
			}
		}
		uri = $i; suite = $(i + 1); comps = ""
		for (j = i + 2; j <= NF; j++)
			comps = comps (comps == "" ? "" : " ") $j
		emit(uri, suite, comps, signed)
	}
	END { if (deb822) flush() }
	' "$@"
}

ensure_deb_src() {
	have_deb_src && return 0
	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null |
		tr -d '"')
	set --
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	[ "$#" -gt 0 ] || die "no apt sources found in /etc/apt"
	tmp=$DEPS/obj/shutdownfs-src.sources
	deb_src_stanzas "$codename" "$@" >"$tmp"
	if [ ! -s "$tmp" ]; then
		warn "no deb entry for suite '$codename', taking deb-src for all"
		deb_src_stanzas "" "$@" >"$tmp"
	fi
	[ -s "$tmp" ] || die "no deb entry in the apt sources to derive deb-src from"
	msg "no deb-src configured: adding $SRC_SOURCES"
	sed -e 's/^./deps:   &/' -e 's/^$/deps:/' "$tmp" >&2
	as_root install -m 0644 "$tmp" "$SRC_SOURCES"
	APT_UPDATED=0
	apt_update
}

# --- sources ----------------------------------------------------------------

# src_dir NAME: the extracted tree of source package NAME, or nothing.
src_dir() {
	for d in "$SRC/$1"-*/; do
		[ -f "$d/debian/changelog" ] && { printf '%s\n' "${d%/}"; return 0; }
	done
	return 0
}

# The newest version may be listed by one archive (security) and missing
# from its pool: try the others the index names, newest first.
fetch_any_version() {
	for v in $(apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p' |
		sort -r -V -u); do
		msg "apt-get source $1: trying version $v"
		(cd "$tmp" && apt-get source -q -o APT::Sandbox::User=root \
			"$1=$v" >>"$LOGDIR/source-$1.log" 2>&1) && return 0
	done
	return 1
}

fetch_source() {
	[ -n "$(src_dir "$1")" ] && return 0
	ensure_deb_src
	msg "fetching Debian source package $1"
	tmp=$SRC/.fetch-$1
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# The sandbox user _apt cannot write to a build tree that root owns;
	# downloading as the invoking user is what apt falls back to anyway.
	if ! (cd "$tmp" && apt-get source -q -o APT::Sandbox::User=root \
		--only-source "$1" >"$LOGDIR/source-$1.log" 2>&1); then
		# An old index may name a version the mirror no longer has.
		[ "$APT_UPDATED" -eq 1 ] && {
			tail -n 20 "$LOGDIR/source-$1.log" >&2
			die "apt-get source $1 failed"
		}
		apt_update
		(cd "$tmp" && apt-get source -q -o APT::Sandbox::User=root \
		--only-source "$1" >"$LOGDIR/source-$1.log" 2>&1) || fetch_any_version "$1" || {
			tail -n 20 "$LOGDIR/source-$1.log" >&2
			die "apt-get source $1 failed"
		}
	fi
	for d in "$tmp/$1"-*/; do
		[ -d "$d" ] && mv "${d%/}" "$SRC/"
	done
	rm -rf "$tmp"
	[ -n "$(src_dir "$1")" ] || die "apt-get source $1 left no source tree"
	msg "using $1 $(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' \
		"$(src_dir "$1")/debian/changelog")"
}

# --- Linux UAPI headers -----------------------------------------------------

# musl-gcc searches only musl's own include directory; the kernel's
# userspace headers (linux-libc-dev) are linked in beside ours.
uapi_headers() {
	multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null) ||
		multiarch=$(gcc -print-multiarch)
	for pair in linux:/usr/include/linux \
		asm:"/usr/include/$multiarch/asm" \
		asm-generic:/usr/include/asm-generic; do
		[ -d "${pair#*:}" ] || die "missing ${pair#*:} (linux-libc-dev)"
		ln -sfn "${pair#*:}" "$DEPS/include/${pair%%:*}"
	done
}

# --- configure --------------------------------------------------------------

# configure NAME OBJ CONFIGURE ARGS...: configures NAME in OBJ unless OBJ
# was configured with exactly these arguments. Changed flags in this
# script thus start that build over; unchanged ones cost nothing.
configure() {
	cfg_name=$1
	cfg_obj=$2
	shift 2
	if [ -f "$cfg_obj/config.status" ] &&
		printf '%s\n' "$@" | cmp -s - "$cfg_obj/.configure-args"; then
		return 0
	fi
	rm -rf "$cfg_obj"
	mkdir -p "$cfg_obj"
	msg "$cfg_name: configure"
	run "$cfg_name-configure.log" in_dir "$cfg_obj" "$@"
	printf '%s\n' "$@" >"$cfg_obj/.configure-args"
}

# --- util-linux: libmount, libblkid -----------------------------------------

build_util_linux() {
	obj=$DEPS/obj/util-linux
	src=$(src_dir util-linux)
	[ -n "$src" ] || die "no util-linux source tree in $SRC"
	# Debian patches configure.ac; regenerate like debian/rules does
	# (autogen.sh rather than autoreconf: it needs no gtkdocize).
	if [ ! -f "$src/.autogen-done" ]; then
		msg "util-linux: autogen.sh"
		run util-linux-autogen.log \
			in_dir "$src" env AM_OPTS=--copy LT_OPTS=--copy ./autogen.sh
		# autoheader leaves an unchanged config.h.in with its 2022
		# mtime; make would then rerun it and rewrite config.h while
		# other jobs compile against it. Touch it like automake does.
		touch "$src/config.h.in"
		touch "$src/.autogen-done"
	fi
	configure util-linux "$obj" "$src/configure" \
		CC=musl-gcc CFLAGS="$CFLAGS_DEPS" CPPFLAGS="-isystem $DEPS/include" \
		LDFLAGS= LIBS= \
		PKG_CONFIG_LIBDIR="$DEPS/obj/no-pkgconfig" PKG_CONFIG_PATH= \
		--prefix=/usr \
		--disable-shared --enable-static \
		--disable-all-programs --enable-libblkid --enable-libmount \
		--disable-libuuid --disable-libsmartcols --disable-libfdisk \
		--disable-nls --disable-rpath --disable-assert --disable-symvers \
		--disable-asciidoc --disable-poman --disable-bash-completion \
		--disable-pylibmount --without-python \
		--disable-makeinstall-chown --disable-makeinstall-setuid \
		--without-selinux --without-audit --without-smack \
		--without-udev --without-systemd --without-cryptsetup \
		--without-btrfs --without-econf --without-user \
		--without-ncursesw --without-ncurses --without-slang \
		--without-tinfo --without-readline --without-utempter \
		--without-cap-ng --without-libz --without-libmagic
	[ -f "$obj/.installed" ] && return 0
	msg "util-linux: make libblkid.la libmount.la"
	# config.h first and alone: should anything still be regenerated,
	# it must not race with the parallel compile.
	run util-linux-config-h.log make -C "$obj" config.h
	run util-linux-make.log make -C "$obj" -j"$JOBS" libblkid.la libmount.la
	install -m 0644 "$obj/.libs/libblkid.a" "$obj/.libs/libmount.a" "$DEPS/lib/"
	install -D -m 0644 "$obj/libblkid/src/blkid.h" "$DEPS/include/blkid/blkid.h"
	install -D -m 0644 "$obj/libmount/src/libmount.h" \
		"$DEPS/include/libmount/libmount.h"
	touch "$obj/.installed"
}

# --- xz-utils: liblzma; libzstd: libzstd (decompression for libkmod) --------

build_xz() {
	obj=$DEPS/obj/xz
	src=$(src_dir xz-utils)
	[ -n "$src" ] || die "no xz-utils source tree in $SRC"
	configure xz "$obj" "$src/configure" \
		CC=musl-gcc CFLAGS="$CFLAGS_DEPS" CPPFLAGS= LDFLAGS= LIBS= \
		--prefix=/usr --disable-shared --enable-static \
		--disable-encoders --disable-xz --disable-xzdec --disable-lzmadec \
		--disable-lzmainfo --disable-lzma-links --disable-scripts \
		--disable-doc --disable-nls --disable-threads
	[ -f "$obj/.installed" ] && return 0
	msg "xz: make liblzma"
	run xz-make.log make -C "$obj/src/liblzma" -j"$JOBS"
	install -m 0644 "$obj/src/liblzma/.libs/liblzma.a" "$DEPS/obj/liblzma.a"
	install -D -m 0644 "$src/src/liblzma/api/lzma.h" "$DEPS/include/lzma.h"
	cp -R "$src/src/liblzma/api/lzma" "$DEPS/include/"
	touch "$obj/.installed"
}

build_zstd() {
	obj=$DEPS/obj/zstd
	src=$(src_dir libzstd)
	[ -n "$src" ] || die "no libzstd source tree in $SRC"
	[ -f "$obj/.installed" ] && return 0
	rm -rf "$obj"
	mkdir -p "$obj"
	cp -R "$src/lib" "$obj/"
	msg "zstd: make libzstd.a (decompression only)"
	run zstd-make.log make -C "$obj/lib" -j"$JOBS" libzstd.a \
		CC=musl-gcc CFLAGS="$CFLAGS_DEPS" \
		ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0 ZSTD_LIB_DEPRECATED=0 \
		ZSTD_LEGACY_SUPPORT=0 ZSTD_NO_ASM=1
	install -m 0644 "$obj/lib/libzstd.a" "$DEPS/obj/libzstd.a"
	install -m 0644 "$src/lib/zstd.h" "$src/lib/zstd_errors.h" "$DEPS/include/"
	touch "$obj/.installed"
}

# --- kmod: libkmod ----------------------------------------------------------

build_kmod() {
	obj=$DEPS/obj/kmod
	src=$(src_dir kmod)
	[ -n "$src" ] || die "no kmod source tree in $SRC"
	# Debian's kmod is a git snapshot without configure. The gtk-doc
	# include must exist for automake; we build no documentation.
	if [ ! -f "$src/.autoreconf-done" ]; then
		msg "kmod: autoreconf"
		[ -f "$src/libkmod/docs/gtk-doc.make" ] ||
			: >"$src/libkmod/docs/gtk-doc.make"
		run kmod-autoreconf.log autoreconf -f -i "$src"
		touch "$src/config.h.in" # as for util-linux
		touch "$src/.autoreconf-done"
	fi
	# --enable-static is refused by kmod's configure: build the shared
	# variant and archive its objects below.
	configure kmod "$obj" "$src/configure" \
		CC=musl-gcc CFLAGS="$CFLAGS_DEPS" CPPFLAGS="-isystem $DEPS/include" \
		LDFLAGS= LIBS= \
		PKG_CONFIG_LIBDIR="$DEPS/obj/no-pkgconfig" PKG_CONFIG_PATH= \
		--prefix=/usr --sysconfdir=/etc \
		--disable-tools --disable-manpages --disable-test-modules \
		--disable-python --disable-debug --disable-coverage \
		--disable-experimental \
		--with-zstd --with-xz --without-zlib --without-openssl \
		liblzma_CFLAGS="-isystem $DEPS/include" liblzma_LIBS="$DEPS/obj/liblzma.a" \
		libzstd_CFLAGS="-isystem $DEPS/include" libzstd_LIBS="$DEPS/obj/libzstd.a"
	[ -f "$obj/.installed" ] && return 0
	msg "kmod: make libkmod/libkmod.la"
	run kmod-config-h.log make -C "$obj" config.h
	run kmod-make.log make -C "$obj" -j"$JOBS" libkmod/libkmod.la
	rm -f "$DEPS/lib/libkmod.a"
	# one archive with the decompressors in it: the link line stays -lkmod
	{
		echo "CREATE $DEPS/lib/libkmod.a"
		for o in "$obj"/libkmod/.libs/*.o "$obj"/shared/.libs/*.o; do echo "ADDMOD $o"; done
		echo "ADDLIB $DEPS/obj/liblzma.a"
		echo "ADDLIB $DEPS/obj/libzstd.a"
		echo SAVE
		echo END
	} | ar -M
	install -m 0644 "$src/libkmod/libkmod.h" "$DEPS/include/libkmod.h"
	touch "$obj/.installed"
}

# --- main -------------------------------------------------------------------

if ! command -v dpkg-query >/dev/null 2>&1 ||
	! command -v apt-get >/dev/null 2>&1; then
	die "needs a Debian-like system (dpkg-query, apt-get)"
fi

BUILD=${BUILD:-build}
mkdir -p "$BUILD/deps"
DEPS=$(cd "$BUILD/deps" && pwd)
case $DEPS in
*[[:space:]]*) die "the build directory must not contain spaces: $DEPS" ;;
esac
SRC=$DEPS/src
LOGDIR=$DEPS/log
# libkmod logs __FILE__: map the build path away so that the binary does
# not depend on where the tree was checked out.
CFLAGS_DEPS="-Os -ffunction-sections -fdata-sections -ffile-prefix-map=$SRC/="
mkdir -p "$SRC" "$LOGDIR" "$DEPS/obj/no-pkgconfig" "$DEPS/include" "$DEPS/lib"
# Two makes in one tree must not build here at the same time: the second
# waits, then finds the work done.
exec 9>"$DEPS/.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
	msg "waiting for another deps build in $DEPS"
	flock 9
fi
rm -f "$DEPS/.stamp"

install_packages
JOBS=$(nproc 2>/dev/null || echo 2)
uapi_headers
fetch_source util-linux
fetch_source kmod
fetch_source xz-utils
fetch_source libzstd
build_util_linux
build_xz
build_zstd
build_kmod

touch "$DEPS/.stamp"
msg "done: $DEPS/lib: $(cd "$DEPS/lib" && echo *.a)"
