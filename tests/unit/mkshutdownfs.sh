#!/bin/sh
# Unit tests of mkshutdownfs.sh and the shipped hooks: skeletons built into
# temp dirs (modes, owners, links, libraries with ldd as the oracle, MANIFEST
# and --check, atomic replacement, bad input, exitrd on noexec), hooks run on
# a fake sysfs with stub tools.  One PASS/FAIL/SKIP line per test.
# shellcheck disable=SC2016 # stub tool bodies are literal shell, expanded later
set -eu

top=$(cd -P -- "$(dirname -- "$0")/../.." && pwd)
mk=$top/mkshutdownfs.sh
PATH=$PATH:/usr/sbin:/sbin
export PATH

pass() { printf 'PASS mkshutdownfs/%s\n' "$1"; }
fail() { printf 'FAIL mkshutdownfs/%s: %s\n' "$1" "$2"; }
skip() { printf 'SKIP mkshutdownfs/%s: %s\n' "$1" "$2"; }

# Inside a test: stop it with a reason.
why() { printf 'why: %s\n' "$*" >&2; exit 1; }
expect() {
	ex_what=$1
	shift
	"$@" || why "$ex_what"
}

# Run test function t_NAME in a subshell with set -e; its log's last "why:"
# line is the reason of a failure, "skip:" a reason to skip.
run() {
	set +e
	(set -e; "t_$1") >"$T/log" 2>&1
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		pass "$1"
	elif [ "$rc" -eq 77 ]; then
		skip "$1" "$(sed -n 's/^skip: //p' "$T/log" | tail -n 1)"
	else
		r=$(sed -n 's/^why: //p' "$T/log" | tail -n 1)
		[ -n "$r" ] || r="exit $rc: $(tail -n 3 "$T/log" | tr '\n' ' ')"
		fail "$1" "$r"
	fi
}
skip_test() { printf 'skip: %s\n' "$*" >&2; exit 77; }

# mkshutdownfs with output into $T/out and $T/err; returns its status.
mks() { sh "$mk" "$@" >"$T/out" 2>"$T/err"; }
mks_ok() { mks "$@" || why "mkshutdownfs $* failed: $(tail -n 2 "$T/err" | tr '\n' ' ')"; }
mks_fails() {
	if mks "$@"; then why "mkshutdownfs $* succeeded"; fi
}

# Last-component symlinks of PATH followed inside tree ROOT; prints the path.
in_tree() {
	it_p=$2
	it_n=0
	while [ -L "$1$it_p" ] && [ "$it_n" -lt 40 ]; do
		it_t=$(readlink "$1$it_p")
		case $it_t in /*) it_p=$it_t ;; *) it_p=${it_p%/*}/$it_t ;; esac
		it_n=$((it_n + 1))
	done
	[ -f "$1$it_p" ] && printf '%s\n' "$it_p"
}

# Everything about a tree: names, types, modes, owners, sizes, times, bytes.
fingerprint() {
	(cd "$1" && find . -exec stat -c '%n %F %a %u:%g %s %Y' {} + | sort &&
		find . -type f -exec sha256sum {} + | sort)
}

# Non-template entries of a MANIFEST: "path type".
added_entries() {
	grep -v '^#' "$1/MANIFEST" | awk -F '\t' '$6 != "skeleton" && $2 != "d" { print $1 }'
}

no_leftovers() {
	for nl_s in new old; do
		if [ -e "$1.$nl_s" ]; then why "$1.$nl_s left behind"; fi
	done
}

is_dynamic() { ldd "$1" >/dev/null 2>&1; }

static_bin() {
	if [ -f "$top/build/shutdownfs" ] && ! is_dynamic "$top/build/shutdownfs"; then
		echo "$top/build/shutdownfs"
	elif [ -x /bin/busybox ] && ! is_dynamic /bin/busybox; then
		echo /bin/busybox
	fi
}

# --- skeletons --------------------------------------------------------------

# Nothing to carry: the MANIFEST alone. Every directory of a skeleton is read
# from the root device at each shutdown; the run makes the ones it needs.
t_empty_skeleton() {
	mks_ok -o "$T/e/skel" --hooks-dir "$T/nohooks"
	expect "entries besides MANIFEST: $(cd "$T/e/skel" && find . ! -name . ! -name MANIFEST | tr '\n' ' ')" \
		[ "$(cd "$T/e/skel" && find . ! -name . ! -name MANIFEST)" = "" ]
	expect "no MANIFEST" [ -f "$T/e/skel/MANIFEST" ]
	sh "$mk" --check "$T/e/skel" >/dev/null 2>"$T/err" || why "--check: $(head -n 2 "$T/err")"
	expect "no size line on stdout" grep -q "^$T/e/skel: [0-9]* bytes" "$T/out"
	size=$(sed -n 's/.*: \([0-9]*\) bytes.*/\1/p' "$T/out")
	expect "empty skeleton is $size bytes, above 1 MiB" [ "$size" -le 1048576 ]
	expect "added entries in an empty skeleton" [ -z "$(added_entries "$T/e/skel")" ]
	no_leftovers "$T/e/skel"
}

t_owners_and_modes() {
	bin=$(static_bin)
	[ -n "$bin" ] || skip_test "no static binary"
	mkdir -p "$T/o/src"
	cp "$bin" "$T/o/src/evil"
	chown 65534:65534 "$T/o/src/evil"
	chmod 6777 "$T/o/src/evil"
	mks_ok -o "$T/o/skel" --hooks-dir "$T/nohooks" --add "$T/o/src/evil"
	f=$T/o/skel$T/o/src/evil
	expect "added program missing" [ -f "$f" ]
	expect "owner $(stat -c %u:%g "$f"), want 0:0" [ "$(stat -c %u:%g "$f")" = 0:0 ]
	expect "mode $(stat -c %a "$f"), want 755" [ "$(stat -c %a "$f")" = 755 ]
	expect "not root-owned entries" [ -z "$(find "$T/o/skel" ! -user 0 -o ! -group 0)" ]
	expect "group/world-writable entries" \
		[ -z "$(find "$T/o/skel" ! -type l \( -perm -020 -o -perm -002 \))" ]
	expect "setuid/setgid entries" [ -z "$(find "$T/o/skel" \( -perm -4000 -o -perm -2000 \))" ]
}

t_static_binary_alone() {
	bin=$(static_bin)
	[ -n "$bin" ] || skip_test "no static binary (build/shutdownfs or busybox-static)"
	mks_ok -o "$T/s/skel" --hooks-dir "$T/nohooks" --add "$bin"
	got=$(added_entries "$T/s/skel" | tr '\n' ' ')
	expect "a static binary brought: $got" [ "$got" = "$bin " ]
}

# The libraries and loader of program P, by ldd (the oracle), against the
# skeleton's: every path ldd names is there, and nothing else came along.
check_dynamic() {
	p=$1
	skel=$T/d/$(basename "$p")
	mks_ok -o "$skel" --hooks-dir "$T/nohooks" --add "$p"
	ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' \
		>"$T/ldd"
	expect "ldd found no libraries for $p" [ -s "$T/ldd" ]
	while IFS= read -r l; do
		expect "$p: $l (from ldd) not in the skeleton" in_tree "$skel" "$l" >/dev/null
		if [ -L "$l" ] && [ -L "$skel$l" ]; then
			expect "$l: link text differs" [ "$(readlink "$l")" = "$(readlink "$skel$l")" ] ||
				expect "$l: link not to the real file" [ "$(readlink "$skel$l")" = "$(readlink -f "$l")" ]
		fi
		basename "$(readlink -f "$l")"
	done <"$T/ldd" | sort -u >"$T/want"
	grep -v '^#' "$skel/MANIFEST" | awk -F '\t' '$2 == "f" && $6 !~ /^--add / { print $1 }' |
		sed 's|.*/||' | sort -u >"$T/have"
	expect "$p: skeleton has [$(comm -13 "$T/want" "$T/have" | tr '\n' ' ')] beyond ldd, lacks [$(comm -23 "$T/want" "$T/have" | tr '\n' ' ')]" \
		cmp -s "$T/want" "$T/have"
	sh "$mk" --check "$skel" >/dev/null 2>"$T/err" || why "--check failed: $(head -n 3 "$T/err")"
	# Running programs may write into the tree (/dev/mapper): after the check.
	case $p in */lvm) a=version ;; *) a=--version ;; esac
	expect "$p $a does not run in the skeleton" chroot "$skel" "$p" "$a" >/dev/null 2>&1
}

t_dynamic_libs_match_ldd() {
	n=0
	for p in /usr/bin/cmp /sbin/dmsetup /sbin/lvm /sbin/cryptsetup /sbin/mdadm; do
		[ -x "$p" ] || continue
		is_dynamic "$p" || continue
		check_dynamic "$p"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip_test "no dynamic program found"
}

t_busybox_for_scripts() {
	[ -x /bin/busybox ] || skip_test "no /bin/busybox"
	mkdir -p "$T/b/h/teardown"
	printf '#!/bin/sh\n# needs: sleep\necho hook ran\n' >"$T/b/h/teardown/50-x"
	mks_ok -o "$T/b/skel" --hooks-dir "$T/b/h"
	s=$T/b/skel
	expect "/bin/busybox missing" [ -f "$s/bin/busybox" ] && [ ! -L "$s/bin/busybox" ]
	expect "/bin/sh is not a link to busybox" [ "$(readlink "$s/bin/sh")" = busybox ]
	expect "sleep does not resolve to busybox" [ "$(in_tree "$s" /bin/sleep)" = /bin/busybox ]
	expect "hook mode $(stat -c %a "$s/hooks.d/teardown/50-x")" \
		[ "$(stat -c %a "$s/hooks.d/teardown/50-x")" = 755 ]
	expect "hook does not run in the skeleton" \
		[ "$(chroot "$s" /hooks.d/teardown/50-x stop)" = "hook ran" ]
	expect "applet links outside /bin do not resolve to busybox" \
		[ "$(readlink -f "$s/usr/bin/env")" = "$s/bin/busybox" ]
}

t_no_busybox_without_scripts() {
	bin=$(static_bin)
	[ -n "$bin" ] || skip_test "no static binary"
	mkdir -p "$T/nb/h/final"
	cp "$bin" "$T/nb/h/final/10-elf"
	mks_ok -o "$T/nb/skel" --hooks-dir "$T/nb/h"
	expect "busybox added for an ELF hook" [ ! -e "$T/nb/skel/bin/busybox" ]
	expect "ELF hook missing" [ -x "$T/nb/skel/hooks.d/final/10-elf" ]
}

t_manifest_reasons() {
	[ -x /sbin/dmsetup ] || skip_test "no dmsetup"
	mkdir -p "$T/r/h/teardown"
	printf '#!/bin/sh\n# needs: dmsetup\nexit 0\n' >"$T/r/h/teardown/10-x"
	mks_ok -o "$T/r/skel" --hooks-dir "$T/r/h"
	m=$T/r/skel/MANIFEST
	expect "no 'hook teardown/10-x needs dmsetup' line" \
		grep -q "^/sbin/dmsetup	f	.*	hook teardown/10-x needs dmsetup\$" "$m"
	expect "no 'library of /sbin/dmsetup' line" grep -q "	library of /sbin/dmsetup\$" "$m"
	expect "no 'loader of' line" grep -q "	loader of " "$m"
	expect "an entry without a reason" [ -z "$(grep -v '^#' "$m" | awk -F '\t' 'NF != 6 || $6 == "?"')" ]
	awk -F '\t' '$2 == "f"' "$m" | while IFS="	" read -r p t mode size sum w; do
		: "$t" "$mode" "$w"
		[ "$(stat -c %s "$T/r/skel$p")" = "$size" ] || why "$p: size differs from MANIFEST"
		[ "$(sha256sum <"$T/r/skel$p" | cut -d ' ' -f 1)" = "$sum" ] || why "$p: sha256 differs"
	done
}

t_hook_override_and_disable() {
	mkdir -p "$T/ov/a/teardown" "$T/ov/a/pre-umount" "$T/ov/b/teardown" "$T/ov/b/pre-umount"
	printf '#!/bin/sh\necho A\n' >"$T/ov/a/teardown/10-a"
	printf '#!/bin/sh\necho b\n' >"$T/ov/a/teardown/20-b"
	printf '#!/bin/sh\necho c\n' >"$T/ov/a/pre-umount/30-c"
	printf '#!/bin/sh\necho B\n' >"$T/ov/b/teardown/10-a"
	: >"$T/ov/b/teardown/20-b"
	ln -s /dev/null "$T/ov/b/pre-umount/30-c"
	mks_ok -o "$T/ov/skel" --hooks-dir "$T/ov/a" --hooks-dir "$T/ov/b"
	expect "10-a not overridden" grep -q 'echo B' "$T/ov/skel/hooks.d/teardown/10-a"
	expect "20-b not disabled by an empty file" [ ! -e "$T/ov/skel/hooks.d/teardown/20-b" ]
	expect "30-c not disabled by a /dev/null link" [ ! -e "$T/ov/skel/hooks.d/pre-umount/30-c" ]
}

t_shipped_hooks() {
	mks_ok -o "$T/sh/skel" --hooks-dir "$top/hooks.d" --all-hooks
	sh "$mk" --check "$T/sh/skel" >/dev/null 2>"$T/err" || why "--check: $(head -n 2 "$T/err")"
	# programs may expect the template's directories (iscsiadm: /etc)
	for d in bin sbin usr/bin usr/sbin lib lib64 dev proc sys run tmp oldroot etc; do
		expect "/$d missing in a skeleton with hooks" [ -d "$T/sh/skel/$d" ]
	done
	for h in "$top"/hooks.d/*/*; do
		k=${h#"$top"/hooks.d/}
		have=1
		needs=$(sed -n 's/^#[[:space:]]*needs:[[:space:]]*//p' "$h")
		for n in $needs; do
			[ -x "/bin/$n" ] || [ -x "/sbin/$n" ] || [ -x "/usr/bin/$n" ] ||
				[ -x "/usr/sbin/$n" ] || busybox --list | grep -qx "$n" || have=0
		done
		if [ "$have" -eq 1 ]; then
			expect "$k left out though its tools are here" [ -x "$T/sh/skel/hooks.d/$k" ]
			# No /sys, no /dev in the chroot: the hook must find nothing and
			# exit 0 quietly.  (Never run these hooks on the host itself.)
			o=$(chroot "$T/sh/skel" "/hooks.d/$k" poweroff 2>&1) || why "$k failed in an empty chroot: $o"
			expect "$k not quiet with no devices: $o" [ -z "$o" ]
		else
			expect "$k installed without its tools" [ ! -e "$T/sh/skel/hooks.d/$k" ]
		fi
	done
}

# The default on a machine whose block stack the native teardown closes (no
# iSCSI, NBD, NVMe-oF, dm-cache): no fallback hooks, no tools, no busybox.
t_default_lean() {
	mkdir -p "$T/dl/sys"
	MKSHUTDOWNFS_SYSROOT=$T/dl/sys mks_ok -o "$T/dl/skel" --hooks-dir "$top/hooks.d"
	size=$(sed -n 's/.*: \([0-9]*\) bytes.*/\1/p' "$T/out")
	expect "default skeleton is $size bytes, above 1 MiB" [ "$size" -le 1048576 ]
	for h in teardown/20-lvm teardown/30-cryptsetup teardown/40-mdadm teardown/10-dm-cache \
		post-teardown/10-iscsi post-teardown/20-nbd post-teardown/30-nvme-of; do
		expect "$h in the default skeleton" [ ! -e "$T/dl/skel/hooks.d/$h" ]
	done
	expect "busybox in the default skeleton" [ ! -e "$T/dl/skel/bin/busybox" ]
	expect "no note of the hooks left out" grep -q "hooks not needed here.*teardown/20-lvm" "$T/err"
}

# The fallbacks come with --hook (one, or all as "fallback") or the config.
t_opt_in_hooks() {
	have=1
	for p in lvm cryptsetup mdadm; do command -v "$p" >/dev/null 2>&1 || have=0; done
	[ "$have" -eq 1 ] || skip_test "lvm, cryptsetup or mdadm not installed"
	mkdir -p "$T/oi/sys"
	MKSHUTDOWNFS_SYSROOT=$T/oi/sys mks_ok -o "$T/oi/one" --hooks-dir "$top/hooks.d" --hook 20-lvm
	expect "--hook 20-lvm: no 20-lvm" [ -x "$T/oi/one/hooks.d/teardown/20-lvm" ]
	expect "--hook 20-lvm: lvm missing" [ -n "$(in_tree "$T/oi/one" /sbin/lvm)$(in_tree "$T/oi/one" /usr/sbin/lvm)" ]
	expect "--hook 20-lvm brought 30-cryptsetup" [ ! -e "$T/oi/one/hooks.d/teardown/30-cryptsetup" ]
	MKSHUTDOWNFS_SYSROOT=$T/oi/sys mks_ok -o "$T/oi/all" --hooks-dir "$top/hooks.d" --hook fallback
	for h in 20-lvm 30-cryptsetup 40-mdadm; do
		expect "--hook fallback: no $h" [ -x "$T/oi/all/hooks.d/teardown/$h" ]
	done
	expect "--hook fallback brought 10-iscsi (no session here)" [ ! -e "$T/oi/all/hooks.d/post-teardown/10-iscsi" ]
	sh "$mk" --check "$T/oi/all" >/dev/null 2>"$T/err" || why "--check: $(head -n 2 "$T/err")"
}

# An "# applies-if:" hook comes along when what it acts on exists.
t_applies_if() {
	mkdir -p "$T/ai/root/sys/class/iscsi_session/session1" "$T/ai/h/post-teardown"
	printf '#!/bin/sh\n# applies-if: /sys/class/iscsi_session/session*\nexit 0\n' >"$T/ai/h/post-teardown/10-x"
	printf '#!/bin/sh\n# applies-if: /sys/block/nbd*/pid\nexit 0\n' >"$T/ai/h/post-teardown/20-y"
	MKSHUTDOWNFS_SYSROOT=$T/ai/root mks_ok -o "$T/ai/skel" --hooks-dir "$T/ai/h"
	expect "applying hook left out" [ -x "$T/ai/skel/hooks.d/post-teardown/10-x" ]
	expect "hook with nothing to act on added" [ ! -e "$T/ai/skel/hooks.d/post-teardown/20-y" ]
}

# A hook needing a dynamic program gets it and exactly its libraries and
# loader (ldd the oracle); and no binutils tool is ever run.
t_hook_dynamic_exact() {
	p=/sbin/dmsetup
	[ -x "$p" ] || skip_test "no /sbin/dmsetup"
	is_dynamic "$p" || skip_test "$p is static"
	mkdir -p "$T/hd/h/teardown" "$T/hd/shim"
	printf '#!/bin/sh\n# needs: dmsetup\nexit 0\n' >"$T/hd/h/teardown/10-x"
	for t in readelf objdump nm; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 1\n' "$t" "$T/hd/binutils-called" >"$T/hd/shim/$t"
		chmod +x "$T/hd/shim/$t"
	done
	PATH=$T/hd/shim:$PATH mks_ok -o "$T/hd/skel" --hooks-dir "$T/hd/h"
	PATH=$T/hd/shim:$PATH sh "$mk" --check "$T/hd/skel" >/dev/null 2>"$T/err" || why "--check: $(head -n 2 "$T/err")"
	expect "binutils run: $(cat "$T/hd/binutils-called" 2>/dev/null)" [ ! -e "$T/hd/binutils-called" ]
	ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' |
		while IFS= read -r l; do basename "$(readlink -f "$l")"; done | sort -u >"$T/want"
	grep -v '^#' "$T/hd/skel/MANIFEST" | awk -F '\t' '$2 == "f" && $6 ~ /^(library|loader) of / { print $1 }' |
		sed 's|.*/||' | sort -u >"$T/have"
	expect "libraries [$(comm -13 "$T/want" "$T/have" | tr '\n' ' ')] beyond ldd, lacking [$(comm -23 "$T/want" "$T/have" | tr '\n' ' ')]" \
		cmp -s "$T/want" "$T/have"
	expect "dmsetup does not run in the skeleton" chroot "$T/hd/skel" "$p" --version >/dev/null 2>&1
}

t_check_good() {
	[ -x /sbin/dmsetup ] || skip_test "no dmsetup"
	mkdir -p "$T/c/h/teardown"
	printf '#!/bin/sh\n# needs: dmsetup\nexit 0\n' >"$T/c/h/teardown/10-x"
	mks_ok -o "$T/c/skel" --hooks-dir "$T/c/h"
	sh "$mk" --check "$T/c/skel" >"$T/out" 2>"$T/err" || why "--check failed: $(head -n 3 "$T/err")"
	expect "no ok line" grep -q ": ok\$" "$T/out"
	rm -rf "$T/c/good"
	cp -a "$T/c/skel" "$T/c/good"
}

fresh_copy() {
	[ -d "$T/c/good" ] || why "no good tree (check_good failed)"
	rm -rf "$T/c/t"
	cp -a "$T/c/good" "$T/c/t"
}

check_fails_with() {
	if sh "$mk" --check "$T/c/t" >"$T/out" 2>"$T/err"; then why "--check passed: $1"; fi
	expect "--check did not say '$2': $(head -n 2 "$T/err" | tr '\n' ' ')" grep -q -- "$2" "$T/err"
}

drop_from_manifest() {
	grep -v "^$1	" "$T/c/t/MANIFEST" >"$T/manifest.tmp"
	cat "$T/manifest.tmp" >"$T/c/t/MANIFEST"
}

t_check_modified_file() {
	fresh_copy
	printf x >>"$T/c/t/lib/x86_64-linux-gnu/libdevmapper.so.1.02.1" 2>/dev/null ||
		printf x >>"$T/c/t/sbin/dmsetup"
	check_fails_with "modified file" "differs from MANIFEST"
}

t_check_missing_program() {
	fresh_copy
	rm "$T/c/t/sbin/dmsetup"
	drop_from_manifest /sbin/dmsetup
	check_fails_with "hook's program removed" "needs dmsetup: missing"
}

t_check_missing_library() {
	fresh_copy
	l=$(grep -v '^#' "$T/c/t/MANIFEST" | awk -F '\t' '$6 == "library of /sbin/dmsetup" { print $1; exit }')
	[ -n "$l" ] || why "no library of /sbin/dmsetup in MANIFEST"
	rm "$T/c/t$l"
	drop_from_manifest "$l"
	check_fails_with "library removed" "library ${l##*/} missing"
}

t_check_extra_and_modes() {
	fresh_copy
	echo extra >"$T/c/t/hooks.d/extra"
	check_fails_with "extra file" "not in MANIFEST: /hooks.d/extra"
	fresh_copy
	chmod g+w "$T/c/t/hooks.d"
	check_fails_with "group-writable dir" "/hooks.d: group/world-writable"
}

# A failed rebuild leaves the old skeleton byte for byte as it was.
atomic_case() {
	mks_ok -o "$T/a/skel" --hooks-dir "$T/nohooks"
	fingerprint "$T/a/skel" >"$T/fp.before"
	set +e
	env "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	expect "the failing build exited 0" [ "$rc" -ne 0 ]
	fingerprint "$T/a/skel" >"$T/fp.after"
	expect "old skeleton changed" cmp -s "$T/fp.before" "$T/fp.after"
	no_leftovers "$T/a/skel"
}

t_atomic_missing_program() {
	atomic_case sh "$mk" -o "$T/a/skel" --hooks-dir "$T/nohooks" --add /no/such/program
}
t_atomic_fail_at_build() {
	atomic_case MKSHUTDOWNFS_FAIL_AT=build sh "$mk" -o "$T/a/skel" --hooks-dir "$T/nohooks" --add cmp
}
t_atomic_fail_at_check() {
	atomic_case MKSHUTDOWNFS_FAIL_AT=check sh "$mk" -o "$T/a/skel" --hooks-dir "$T/nohooks" --add cmp
}
t_atomic_fail_at_swap() {
	atomic_case MKSHUTDOWNFS_FAIL_AT=swap sh "$mk" -o "$T/a/skel" --hooks-dir "$T/nohooks" --add cmp
}

t_replace_ok() {
	mks_ok -o "$T/a/skel" --hooks-dir "$T/nohooks"
	mks_ok -o "$T/a/skel" --hooks-dir "$T/nohooks" --add cmp
	expect "new content not installed" [ -f "$T/a/skel/bin/cmp" ] || [ -f "$T/a/skel/usr/bin/cmp" ]
	no_leftovers "$T/a/skel"
}

# --- bad input ----------------------------------------------------------------

bad_case() { # what-the-error-says args...
	w=$1
	shift
	rm -rf "$T/bad"
	mks_fails -o "$T/bad/skel" "$@"
	expect "error does not say '$w': $(head -n 2 "$T/err" | tr '\n' ' ')" grep -q -- "$w" "$T/err"
	expect "skeleton created" [ ! -e "$T/bad/skel" ]
	no_leftovers "$T/bad/skel"
}

t_bad_hooks_dir() { bad_case "not a directory" --hooks-dir "$mk"; }
t_bad_program() { bad_case "program not found: no-such-program-xyz" --add no-such-program-xyz; }
t_bad_option() {
	bad_case "unknown argument" --frobnicate
	mks --frobnicate || [ $? -eq 2 ] || why "usage error is not exit 2"
}
t_bad_hook_need() {
	mkdir -p "$T/bn/teardown"
	printf '#!/bin/sh\n# needs: no-such-tool-xyz\n' >"$T/bn/teardown/10-x"
	bad_case "needs no-such-tool-xyz" --hooks-dir "$T/bn"
}
t_bad_exitrd_binary() {
	export SHUTDOWNFS_BIN=/no/such/shutdownfs
	bad_case "binary not found" --exitrd --hooks-dir "$T/nohooks"
}

# --- kernel modules -------------------------------------------------------------

# A fake module tree: dm-ftop.ko depends on dm-fbase.ko through a symbol.
fake_modules() {
	command -v gcc >/dev/null 2>&1 || skip_test "no gcc to make fake modules"
	command -v depmod >/dev/null 2>&1 || skip_test "no depmod (kmod)"
	kv=9.9.9-mkshutdownfs-test
	mr=$T/modroot
	md=$mr/lib/modules/$kv/kernel/drivers/md
	rm -rf "$mr"
	mkdir -p "$md"
	cat >"$T/base.c" <<'EOF'
static const char mi[] __attribute__((section(".modinfo"), used)) =
	"license=GPL\0name=dm_fbase\0vermagic=9.9.9-mkshutdownfs-test SMP mod_unload \0";
static const char ks[] __attribute__((section("__ksymtab_strings"), used)) = "fbase_sym";
int fbase_sym(void) { return 1; }
EOF
	cat >"$T/top.c" <<'EOF'
static const char mi[] __attribute__((section(".modinfo"), used)) =
	"license=GPL\0name=dm_ftop\0depends=dm_fbase\0vermagic=9.9.9-mkshutdownfs-test SMP mod_unload \0";
extern int fbase_sym(void);
int ftop(void) { return fbase_sym(); }
EOF
	gcc -c "$T/base.c" -o "$md/dm-fbase.ko"
	gcc -c "$T/top.c" -o "$md/dm-ftop.ko"
	printf 'kernel/drivers/md/dm-fbase.ko\nkernel/drivers/md/dm-ftop.ko\nkernel/drivers/md/other.ko\n' \
		>"$mr/lib/modules/$kv/modules.order"
	: >"$mr/lib/modules/$kv/modules.builtin"
	depmod -b "$mr" "$kv" 2>/dev/null
}

t_modules() {
	fake_modules
	export MKSHUTDOWNFS_MODROOT="$mr"
	mks_ok -o "$T/m/skel" --hooks-dir "$T/nohooks" --module dm-ftop --kver "$kv"
	d=$T/m/skel/lib/modules/$kv
	expect "dm-ftop.ko missing" [ -f "$d/kernel/drivers/md/dm-ftop.ko" ]
	expect "dependency dm-fbase.ko missing" [ -f "$d/kernel/drivers/md/dm-fbase.ko" ]
	expect "modules.dep lacks the dependency" \
		grep -q '^kernel/drivers/md/dm-ftop.ko: kernel/drivers/md/dm-fbase.ko' "$d/modules.dep"
	expect "no modules.dep.bin" [ -f "$d/modules.dep.bin" ]
	expect "modules.order not filtered" [ "$(wc -l <"$d/modules.order")" -eq 2 ]
	modprobe -d "$T/m/skel" --show-depends --set-version "$kv" dm-ftop >"$T/sd" 2>&1 ||
		why "modprobe in the skeleton: $(cat "$T/sd")"
	expect "modprobe in the skeleton does not see the dependency" grep -q dm-fbase.ko "$T/sd"
	expect "no 'module dm-ftop' reason" grep -q "dm-fbase.ko	.*	module dm-ftop\$" "$T/m/skel/MANIFEST"
	sh "$mk" --check "$T/m/skel" >/dev/null 2>"$T/err" || why "--check: $(head -n 2 "$T/err")"
}

t_unknown_module() {
	fake_modules
	export MKSHUTDOWNFS_MODROOT="$mr"
	bad_case "unknown module no-such-module" --hooks-dir "$T/nohooks" \
		--module no-such-module --kver "$kv"
}

# --- exitrd ---------------------------------------------------------------------

t_exitrd() {
	bin=$(static_bin)
	[ -n "$bin" ] || skip_test "no static binary"
	export SHUTDOWNFS_BIN="$bin"
	mks_ok --exitrd -o "$T/x/initramfs" --hooks-dir "$T/nohooks"
	s=$T/x/initramfs/shutdown
	expect "no /shutdown" [ -f "$s" ] && [ ! -L "$s" ]
	expect "/shutdown differs from $bin" cmp -s "$bin" "$s"
	expect "/shutdown mode $(stat -c %a "$s")" [ "$(stat -c %a "$s")" = 755 ]
	expect "/oldroot missing" [ -d "$T/x/initramfs/oldroot" ]
	sh "$mk" --check "$T/x/initramfs" >/dev/null 2>"$T/err" || why "--check: $(head -n 2 "$T/err")"
}

# In a private mount namespace, never on the host's mounts.
in_mount_ns() {
	command -v unshare >/dev/null 2>&1 || skip_test "no unshare"
	unshare --mount --propagation private true 2>/dev/null || skip_test "unshare --mount not permitted here"
	unshare --mount --propagation private sh -c "$1"
}

t_exitrd_noexec() {
	bin=$(static_bin)
	[ -n "$bin" ] || skip_test "no static binary"
	mkdir -p "$T/nx"
	set +e
	in_mount_ns "mount -t tmpfs -o noexec,mode=0755 none '$T/nx' &&
		SHUTDOWNFS_BIN='$bin' sh '$mk' --exitrd -o '$T/nx/initramfs' --hooks-dir '$T/nohooks' \
		>'$T/out' 2>'$T/err'; rc=\$?; ls -A '$T/nx' >'$T/ls'; exit \$rc"
	rc=$?
	set -e
	[ "$rc" -ne 77 ] || exit 77
	expect "exitrd on a noexec mount was accepted" [ "$rc" -ne 0 ]
	expect "error does not say noexec: $(head -n 1 "$T/err")" grep -q noexec "$T/err"
	expect "left in the noexec mount: $(cat "$T/ls")" [ ! -s "$T/ls" ]
}

t_readonly_output() {
	mkdir -p "$T/ro"
	set +e
	in_mount_ns "mount -t tmpfs -o ro none '$T/ro' &&
		sh '$mk' -o '$T/ro/sub/skel' --hooks-dir '$T/nohooks' >'$T/out' 2>'$T/err'"
	rc=$?
	set -e
	[ "$rc" -ne 77 ] || exit 77
	expect "output on a read-only mount was accepted" [ "$rc" -ne 0 ]
	expect "error does not say read-only: $(head -n 1 "$T/err")" grep -q read-only "$T/err"
}

# --- hooks on a fake sysfs, with stub tools ----------------------------------------

# Stub tool NAME: logs its arguments, then runs the given shell snippet.
stub() {
	printf '#!/bin/sh\necho "%s $*" >>"$STUBLOG"\n%s\n' "$1" "$2" >"$T/stubs/$1"
	chmod 0755 "$T/stubs/$1"
}

# dm device N with uuid and name in the fake sysfs.
fake_dm() {
	mkdir -p "$SYS/class/block/dm-$1/dm"
	echo "$2" >"$SYS/class/block/dm-$1/dm/uuid"
	echo "$3" >"$SYS/class/block/dm-$1/dm/name"
}

hook_env() {
	SYS=$T/sys
	rm -rf "$SYS" "$T/stubs"
	mkdir -p "$SYS/class/block" "$SYS/block" "$T/stubs"
	STUBLOG=$T/stublog
	: >"$STUBLOG"
	export STUBLOG SYS
}

# The storage tools the hooks call: only the stubs may answer to them.
FENCED="lvm cryptsetup mdadm dmsetup iscsiadm nbd-client nvme multipath multipathd"

# A PATH of /usr/bin and /bin without the storage tools, which some
# packages link there too (open-iscsi puts iscsiadm in /usr/bin): a symlink
# per program, made once.
fence_path() {
	[ -d "$T/fence" ] && return 0
	mkdir -p "$T/fence"
	for f in /usr/bin/* /bin/*; do
		n=${f##*/}
		case " $FENCED " in *" $n "*) continue ;; esac
		[ -e "$T/fence/$n" ] || ln -s "$f" "$T/fence/$n"
	done
}

# Run shipped hook PHASE/NAME against the fake sysfs, with only the stubs
# and the fenced /usr/bin, /bin on PATH: real storage tools are out of reach.
run_hook() {
	fence_path
	for t in $FENCED; do
		if [ ! -e "$T/stubs/$t" ] && PATH=$T/fence command -v "$t" >/dev/null 2>&1; then
			why "$t reachable through the fenced PATH"
		fi
	done
	SHUTDOWNFS_SYSFS=$SYS PATH=$T/stubs:$T/fence sh "$top/hooks.d/$1" poweroff >"$T/hookout" 2>&1 ||
		why "$1 exited non-zero: $(cat "$T/hookout")"
}

t_hook_cryptsetup() {
	hook_env
	fake_dm 0 CRYPT-LUKS2-0123-luks-root luks-root
	fake_dm 1 LVM-abcdef vg-root
	fake_dm 2 CRYPT-PLAIN-busy busy
	fake_dm 3 CRYPT-SUBDEV-0123-luks-root_dif luks-root_dif
	stub cryptsetup '[ "$2" = -- ] && shift; [ "$2" = busy ] && exit 5
for d in "$SYS"/class/block/dm-*; do [ "$(cat "$d/dm/name")" = "$2" ] && rm -rf "$d"; done; exit 0'
	run_hook teardown/30-cryptsetup
	expect "luks-root not closed" grep -q 'cryptsetup close -- luks-root$' "$STUBLOG"
	expect "LVM volume touched" [ -z "$(grep vg-root "$STUBLOG")" ]
	expect "busy mapping not reported" grep -q 'busy: still open' "$T/hookout"
	expect "sub-device closed before its parent" \
		[ "$(grep -n 'luks-root$' "$STUBLOG" | cut -d: -f1)" -lt "$(grep -n 'luks-root_dif$' "$STUBLOG" | cut -d: -f1)" ]
	expect "no bounded retry of the busy mapping" [ "$(grep -c 'busy$' "$STUBLOG")" -le 4 ]
}

t_hook_lvm() {
	hook_env
	fake_dm 0 LVM-aaa vg-root
	fake_dm 1 LVM-bbb vg-busy
	fake_dm 2 CRYPT-LUKS2-x-luks luks
	stub lvm 'rm -rf "$SYS/class/block/dm-0"; exit 5'
	run_hook teardown/20-lvm
	expect "vgchange -an not called" grep -q '^lvm vgchange -an ' "$STUBLOG"
	expect "no --noudevsync" grep -q -- '--noudevsync' "$STUBLOG"
	expect "no udev_sync = 0 in --config" grep -q 'udev_sync = 0 udev_rules = 0' "$STUBLOG"
	expect "not bounded: $(grep -c vgchange "$STUBLOG") passes" [ "$(grep -c vgchange "$STUBLOG")" -le 4 ]
	expect "busy LV not reported" grep -q '1 logical volume(s) still active' "$T/hookout"
	hook_env
	stub lvm 'exit 0'
	run_hook teardown/20-lvm
	expect "lvm called with no LVM device" [ ! -s "$STUBLOG" ]
}

fake_md() {
	mkdir -p "$SYS/block/$1/md"
	echo "$2" >"$SYS/block/$1/md/metadata_version"
	echo "$3" >"$SYS/block/$1/md/array_state"
}

t_hook_mdadm() {
	hook_env
	fake_md md0 1.2 clean
	fake_md md127 external:imsm inactive
	fake_md md126 external:/md127/0 active
	fake_md md5 1.2 clear
	stub mdadm '[ "$1" = --stop ] && rm -rf "$SYS/block/${2#/dev/}"; exit 0'
	run_hook teardown/40-mdadm
	expect "md0 not waited clean" grep -q 'mdadm --wait-clean /dev/md0$' "$STUBLOG"
	expect "md0 not stopped" grep -q 'mdadm --stop /dev/md0$' "$STUBLOG"
	expect "md126 not waited clean" grep -q 'mdadm --wait-clean /dev/md126$' "$STUBLOG"
	expect "external array stopped" [ -z "$(grep -- '--stop /dev/md12[67]' "$STUBLOG")" ]
	expect "clear md5 touched" [ -z "$(grep md5 "$STUBLOG")" ]
	expect "external array not reported" grep -q 'md126: external metadata' "$T/hookout"
}

t_hook_dm_cache() {
	hook_env
	fake_dm 0 LVM-c vg-cached
	fake_dm 1 LVM-w vg-wc
	echo 3 >"$T/dirty"
	stub dmsetup 'case $1 in
status) d=$(cat "$STUBDIRTY"); [ "$d" -gt 0 ] && echo $((d - 1)) >"$STUBDIRTY"
	[ "$3" = vg-cached ] && echo "0 1024 cache 8 27/4096 128 3/16384 0 31 0 0 0 3 $d 1 writeback 2 migration_threshold 2048 smq 0 rw -"
	[ "$3" = vg-wc ] && echo "0 1024 writecache 0 100 100 0" ;;
table) [ "$3" = vg-wc ] && echo "0 1024 writecache s /dev/a /dev/b 4096 0" ;;
esac; exit 0'
	export STUBDIRTY="$T/dirty" SHUTDOWNFS_FLUSH_WAIT=10
	run_hook teardown/10-dm-cache
	expect "migration_threshold not raised" grep -q 'message -- vg-cached 0 migration_threshold' "$STUBLOG"
	expect "writecache not set to cleaner" grep -q 'message -- vg-wc 0 cleaner' "$STUBLOG"
	expect "flush not reported: $(cat "$T/hookout")" grep -q 'vg-cached: flushed' "$T/hookout"
	echo 1000000 >"$T/dirty"
	SHUTDOWNFS_FLUSH_WAIT=1
	run_hook teardown/10-dm-cache
	expect "dirty blocks left not reported: $(cat "$T/hookout")" \
		grep -q 'vg-cached: [0-9]* dirty blocks left after 1s' "$T/hookout"
}

t_hook_network_block() {
	hook_env
	mkdir -p "$SYS/block/nbd0" "$SYS/block/nbd1" "$SYS/class/iscsi_session/session1" \
		"$SYS/class/nvme/nvme0" "$SYS/class/nvme/nvme1"
	echo 1234 >"$SYS/block/nbd0/pid"
	echo pcie >"$SYS/class/nvme/nvme0/transport"
	echo tcp >"$SYS/class/nvme/nvme1/transport"
	stub nbd-client 'exit 0'
	stub iscsiadm 'exit 0'
	stub nvme 'echo pcie >"$SYS/class/nvme/nvme1/transport"; exit 0'
	run_hook post-teardown/10-iscsi
	run_hook post-teardown/20-nbd
	run_hook post-teardown/30-nvme-of
	expect "iscsi logout of session 1 missing" grep -q '^iscsiadm -m session -r 1 -u$' "$STUBLOG"
	expect "nbd0 not disconnected" grep -q '^nbd-client -d /dev/nbd0$' "$STUBLOG"
	expect "unconnected nbd1 touched" [ -z "$(grep nbd1 "$STUBLOG")" ]
	expect "nvme disconnect-all missing" grep -q '^nvme disconnect-all$' "$STUBLOG"
	hook_env
	mkdir -p "$SYS/class/nvme/nvme0"
	echo pcie >"$SYS/class/nvme/nvme0/transport"
	stub nvme 'exit 0'
	stub nbd-client 'exit 0'
	stub iscsiadm 'exit 0'
	run_hook post-teardown/30-nvme-of
	run_hook post-teardown/20-nbd
	run_hook post-teardown/10-iscsi
	expect "tools called with nothing to do: $(cat "$STUBLOG")" [ ! -s "$STUBLOG" ]
}

t_hooks_without_tools() {
	hook_env
	fake_dm 0 CRYPT-LUKS2-x-luks luks
	fake_dm 1 LVM-x vg-x
	fake_md md0 1.2 clean
	for h in "$top"/hooks.d/*/*; do
		run_hook "${h#"$top"/hooks.d/}"
		expect "${h#"$top"/hooks.d/} not quiet without its tool: $(cat "$T/hookout")" [ ! -s "$T/hookout" ]
	done
}

main() {
	if [ "$(id -u)" -ne 0 ]; then
		for t in skeletons hooks; do skip "$t" "needs root (the skeleton is root-owned)"; done
		exit 0
	fi
	T=$(mktemp -d /tmp/mkshutdownfs-test.XXXXXX)
	trap 'rm -rf "$T"' EXIT
	mkdir -p "$T/nohooks"
	for t in ${ONLY:-empty_skeleton owners_and_modes static_binary_alone dynamic_libs_match_ldd \
		busybox_for_scripts no_busybox_without_scripts manifest_reasons \
		hook_override_and_disable shipped_hooks default_lean opt_in_hooks applies_if \
		hook_dynamic_exact \
		check_good check_modified_file check_missing_program check_missing_library \
		check_extra_and_modes \
		atomic_missing_program atomic_fail_at_build atomic_fail_at_check atomic_fail_at_swap \
		replace_ok bad_hooks_dir bad_program bad_option bad_hook_need bad_exitrd_binary \
		modules unknown_module exitrd exitrd_noexec readonly_output \
		hook_cryptsetup hook_lvm hook_mdadm hook_dm_cache hook_network_block \
		hooks_without_tools}; do
		run "$t"
	done
}

main "$@"
