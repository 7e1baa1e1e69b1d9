#!/bin/sh
# host-deps.sh — Debian packages the tests need on the host (not the build
# of the binary, which is mk/deps.sh): the ASan unit build against the host's
# libmount/libblkid/libkmod, clang's libFuzzer, shellcheck, and the ns tier's
# busybox, e2fsprogs and util-linux tools. Installs only what is missing.
# The vm tier installs its own (tests/vm). Run by `make check`.
set -eu

PACKAGES="gcc clang libclang-rt-14-dev libmount-dev libblkid-dev libkmod-dev
pkg-config binutils busybox-static e2fsprogs util-linux mount coreutils
shellcheck fuse3 libfuse3-dev kmod python3 file debhelper lintian"

msg() { printf 'host-deps: %s\n' "$*" >&2; }
die() { printf 'host-deps: error: %s\n' "$*" >&2; exit 1; }

missing=
for p in $PACKAGES; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || :)
	[ "$st" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "need root to install:$missing"
	msg "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
fi
mkdir -p "${BUILD:-build}"
touch "${BUILD:-build}/.host-deps"
