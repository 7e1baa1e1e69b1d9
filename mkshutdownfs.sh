#!/bin/sh
# mkshutdownfs: build the skeleton that shutdownfs copies into its tmpfs at
# shutdown (hooks, the programs they need with their libraries, kernel
# modules), or fill /run/initramfs as systemd's exitrd.  See mkshutdownfs(8).
set -eu
umask 022

# Install-time paths, rewritten by `make install` (sed of the at-sign words).
# Left as they are, the script runs from the source tree: ramfs-skel/,
# hooks.d/ and build/shutdownfs next to it.
PREFIX='@PREFIX@'
SYSCONFDIR='@SYSCONFDIR@'

me=mkshutdownfs
# The PATH hooks get inside the ramfs (pivot/hooks.c): needs resolve on it.
hook_path='/bin /sbin /usr/bin /usr/sbin'
phases='pre-umount teardown post-teardown final'
tab=$(printf '\t')
PATH=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LC_ALL=C
export PATH LC_ALL

msg() { printf '%s: %s\n' "$me" "$*" >&2; }
warn() { msg "warning: $*"; }
die() { msg "$*"; exit 1; }
vmsg() { if [ "$verbose" -eq 1 ]; then msg "$@"; fi; }

usage() {
	cat <<EOF
usage: $me [-o DIR] [--hooks-dir DIR]... [--hook NAME]... [--all-hooks]
                    [--add PROG]... [--module NAME]... [--kver VER] [--exitrd] [-v]
       $me --check DIR

Build the skeleton shutdownfs copies into its ramfs at shutdown.
  -o DIR          output (default $PREFIX/lib/shutdownfs/skel,
                  /run/initramfs with --exitrd)
  --hooks-dir DIR take hooks from DIR/PHASE/NN-name instead of the defaults
                  ($datadir/hooks.d then $SYSCONFDIR/shutdownfs/hooks.d)
  --hook NAME     add the opt-in hook NAME (20-lvm or teardown/20-lvm; the
                  fallbacks of the native teardown), or every one: fallback
  --all-hooks     every hook whose tools are here, opt-in or not, whether
                  or not it applies to this machine now
                  (config: $SYSCONFDIR/shutdownfs/mkshutdownfs.conf)
  --add PROG      add a program (name on the hooks' PATH, or absolute path)
  --module NAME   add a kernel module and its dependencies
  --kver VER      kernel version of the modules (default: uname -r)
  --exitrd        also install the shutdownfs binary as DIR/shutdown for
                  systemd-shutdown (binary: \$SHUTDOWNFS_BIN or $default_bin)
  --check DIR     verify DIR against its MANIFEST and its hooks' needs
  -v              say what is added and why
EOF
}

usage_die() { msg "$*"; usage >&2; exit 2; }

fail_at() {
	if [ "${MKSHUTDOWNFS_FAIL_AT:-}" = "$1" ]; then
		die "failing at '$1' as asked by MKSHUTDOWNFS_FAIL_AT"
	fi
}

need_tool() {
	command -v "$1" >/dev/null 2>&1 || die "$1 not found: install $2"
}

# Where the template, the shipped hooks and the binary are.
locate_data() {
	here=$(cd -P -- "$(dirname -- "$0")" && pwd)
	case $PREFIX in
	@*)	PREFIX=/usr
		if [ -d "$here/ramfs-skel" ] && [ -d "$here/hooks.d" ]; then
			datadir=$here
			default_bin=$here/build/shutdownfs
		else
			datadir=$PREFIX/lib/shutdownfs
			default_bin=$PREFIX/sbin/shutdownfs
		fi ;;
	*)	datadir=$PREFIX/lib/shutdownfs
		default_bin=$PREFIX/sbin/shutdownfs ;;
	esac
	case $SYSCONFDIR in @*) SYSCONFDIR=/etc ;; esac
	shipped_hooks=$datadir/hooks.d
	bin=${SHUTDOWNFS_BIN:-$default_bin}
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		-o|--output|--hooks-dir|--hook|--add|--module|--kver|--check)
			[ $# -ge 2 ] || usage_die "$1 needs an argument"
			case $2 in *"
"*) die "$1: newlines in names are not supported" ;; esac ;;
		esac
		case $1 in
		-o|--output) out=$2; shift ;;
		--hooks-dir) printf '%s\n' "$2" >>"$work/hookdirs"; shift ;;
		--add) printf '%s\n' "$2" >>"$work/adds"; shift ;;
		--hook) printf '%s\n' "$2" >>"$work/optin"; shift ;;
		--all-hooks) all_hooks=1 ;;
		--module) printf '%s\n' "$2" >>"$work/modules"; shift ;;
		--kver) kver=$2; shift ;;
		--check) check_dir=$2; shift ;;
		--exitrd) exitrd=1 ;;
		-v|--verbose) verbose=1 ;;
		-h|--help) usage; exit 0 ;;
		*) usage_die "unknown argument: $1" ;;
		esac
		shift
	done
}

# Logical normalisation of an absolute path: no //, . or .. left.
normpath() {
	np_out=
	np_ifs=$IFS
	IFS=/
	set -f
	for np_c in $1; do
		case $np_c in
		''|.) ;;
		..) np_out=${np_out%/*} ;;
		*) np_out=$np_out/$np_c ;;
		esac
	done
	set +f
	IFS=$np_ifs
	printf '%s\n' "${np_out:-/}"
}

note() { printf '%s\t%s\n' "$1" "$2" >>"$work/reasons"; }

# Follow last-component symlinks of PATH inside tree ROOT (absolute targets
# are taken relative to ROOT, as after the pivot).  Sets resolved.
tree_resolve() {
	tr_p=$2
	tr_n=0
	while [ -L "$1$tr_p" ]; do
		tr_t=$(readlink -- "$1$tr_p")
		case $tr_t in
		/*) tr_p=$(normpath "$tr_t") ;;
		*) tr_p=$(normpath "${tr_p%/*}/$tr_t") ;;
		esac
		tr_n=$((tr_n + 1))
		if [ "$tr_n" -gt 40 ]; then resolved=; return 1; fi
	done
	resolved=
	[ -f "$1$tr_p" ] || return 1
	resolved=$tr_p
}

# Next hop of host symlink SRC: sets next (path to add) and ltarget (text of
# the link in the tree).  When host directory symlinks (usrmerge) make the
# logical target differ from the real one, link to the real file instead.
link_next() {
	ltarget=$(readlink -- "$1")
	case $ltarget in
	/*) next=$(normpath "$ltarget") ;;
	*) next=$(normpath "${1%/*}/$ltarget") ;;
	esac
	if [ "$(readlink -f -- "$next")" != "$(readlink -f -- "$1")" ]; then
		next=$(readlink -f -- "$1")
		ltarget=$next
	fi
}

# Copy host file SRC to DEST in the tree.  When SRC = DEST, symlinks are kept
# as symlinks and their targets added too.  Sets added (the regular file).
add_file() {
	af_src=$1
	af_dst=$2
	af_hops=0
	while :; do
		if [ -e "$new$af_dst" ] || [ -L "$new$af_dst" ]; then
			tree_resolve "$new" "$af_dst" || true
			added=$resolved
			return 0
		fi
		mkdir -p -- "$new${af_dst%/*}"
		if [ -L "$af_src" ] && [ "$af_src" = "$af_dst" ]; then
			link_next "$af_src"
			ln -s -- "$ltarget" "$new$af_dst"
			note "$af_dst" "$3"
			vmsg "add $af_dst -> $ltarget ($3)"
			af_src=$next
			af_dst=$next
			af_hops=$((af_hops + 1))
			[ "$af_hops" -le 40 ] || die "$1: too many levels of symbolic links"
			continue
		fi
		[ -f "$af_src" ] || die "$af_src: not found or not a regular file"
		cp -p -- "$af_src" "$new$af_dst" || die "cannot copy $af_src"
		note "$af_dst" "$3"
		vmsg "add $af_dst ($3)"
		added=$af_dst
		return 0
	done
}

is_elf() {
	[ "$(dd if="$1" bs=4 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]
}

# First line of a script: sets sb_interp and sb_arg; fails if not a script.
shebang() {
	sb_interp=
	sb_arg=
	is_elf "$1" && return 1
	IFS= read -r sb_line <"$1" || [ -n "${sb_line:-}" ] || return 1
	case $sb_line in '#!'*) ;; *) return 1 ;; esac
	sb_line=${sb_line#??}
	set -f
	# shellcheck disable=SC2086 # split the interpreter line into words
	set -- $sb_line
	set +f
	[ $# -ge 1 ] || return 1
	sb_interp=$1
	sb_arg=${2:-}
}

# The musl loader an ELF object names, if any (glibc's ldd cannot list
# musl objects; musl's loader lists them itself with --list).
musl_interp_of() {
	mi_l=$(grep -a -o -m 1 '/lib/ld-musl-[A-Za-z0-9_]*\.so\.1' -- "$1" 2>/dev/null | head -n 1) || :
	[ -n "$mi_l" ] && [ -x "$mi_l" ] && printf '%s\n' "$mi_l"
}

# List the loader and libraries of ELF object FILE as the system's own
# loader resolves them: ldd (glibc), or LOADER --list for musl objects;
# with ROOT, inside that tree (chroot).  Writes "loader PATH", "lib PATH"
# and "missing NAME" lines to $work/libs; returns 1 for a static object.
elf_libs() {
	el_root=$2
	: >"$work/libs"
	el_musl=$(musl_interp_of "$el_root$1") || el_musl=
	if [ -n "$el_musl" ]; then
		if [ -n "$el_root" ]; then
			env -i PATH="$PATH" chroot "$el_root" "$el_musl" --list "$1" >"$work/ldd" 2>&1 || :
		else
			env -i "$el_musl" --list "$1" >"$work/ldd" 2>&1 || :
		fi
	elif [ -n "$el_root" ]; then
		LC_ALL=C ldd -- "$el_root$1" >"$work/ldd" 2>&1 || :
		grep -q 'not a dynamic executable\|statically linked' "$work/ldd" && return 1
		el_interp=$(awk '$1 ~ /^\// && $2 ~ /^\(0x/ { print $1; exit }' "$work/ldd")
		if [ -n "$el_interp" ] && tree_resolve "$el_root" "$el_interp"; then
			env -i PATH="$PATH" chroot "$el_root" "$el_interp" --list "$1" >"$work/ldd" 2>&1 || :
		else
			printf 'loader %s\n' "${el_interp:-?}" >"$work/libs"
			return 0
		fi
	else
		LC_ALL=C ldd -- "$1" >"$work/ldd" 2>&1 || :
	fi
	grep -q 'not a dynamic executable\|statically linked' "$work/ldd" && return 1
	awk '
	/error while loading shared libraries: / { n = $0; sub(/.*error while loading shared libraries: /, "", n); sub(/:.*/, "", n); print "missing", n; next }
	$2 == "=>" && $3 == "not" { print "missing", $1; next }
	$2 == "=>" && $3 ~ /^\// { print "lib", $3; next }
	$1 ~ /^\// && $2 ~ /^\(0x/ { print "loader", $1; next }
	/Error loading shared library/ { n = $0; sub(/.*Error loading shared library /, "", n); sub(/:.*/, "", n); print "missing", n }
	' "$work/ldd" >"$work/libs"
	[ -s "$work/libs" ] || die "$1: ldd gave nothing usable: $(head -n 2 "$work/ldd" | tr '\n' ' ')"
}

queue_elf() { printf '%s\n' "$1" >>"$work/elfq"; }

# Loader and libraries of one ELF program, by the host path it was copied
# from (the loader's answer is the same in the tree: same paths).
add_elf_deps() {
	elf_libs "$1" "" || return 0
	while read -r ed_kind ed_path; do
		case $ed_kind in
		missing) die "$1: library $ed_path not found on this machine" ;;
		loader)	case $ed_path in
			*ld-musl-*) musl_loader=$ed_path ;;
			*) glibc_loader=$ed_path ;;
			esac
			add_file "$ed_path" "$ed_path" "loader of $1" ;;
		lib)	if [ ! -e "$new$ed_path" ] && [ ! -L "$new$ed_path" ]; then
				add_file "$ed_path" "$ed_path" "library of $1"
			fi
			printf '%s\n' "${ed_path%/*}" >>"$work/libdirs" ;;
		esac
	done <"$work/libs"
}

process_elf_queue() {
	pq_n=0
	while :; do
		pq_n=$((pq_n + 1))
		pq_obj=$(sed -n "${pq_n}p" "$work/elfq")
		[ -n "$pq_obj" ] || break
		add_elf_deps "$pq_obj"
	done
}

# The directories the loader searches without a cache: glibc's ld.so says
# so in --help; musl's are fixed.
loader_dirs() {
	if [ -n "$musl_loader" ]; then
		printf '%s\n' /lib /usr/local/lib /usr/lib
		return 0
	fi
	[ -n "$glibc_loader" ] || return 0
	"$glibc_loader" --help 2>/dev/null | sed -n 's/^ *\(\/[^ ]*\) (system search path)$/\1/p'
}

# Libraries the host loader found through its cache (ld.so.conf) outside
# its default directories: the ramfs has no cache, so give it one (glibc)
# or a path file (musl).
fix_ld_conf() {
	[ -s "$work/libdirs" ] || return 0
	loader_dirs >"$work/sysdirs"
	sed 's|/glibc-hwcaps/[^/]*$||' "$work/libdirs" | sort -u |
		grep -v -x -F -f "$work/sysdirs" >"$work/confdirs.u" || :
	[ -s "$work/confdirs.u" ] || return 0
	if [ -n "$musl_loader" ]; then
		fl_arch=${musl_loader##*/ld-musl-}
		fl_arch=${fl_arch%.so.1}
		{ cat "$work/confdirs.u"; printf '%s\n' /lib /usr/local/lib /usr/lib; } \
			>"$new/etc/ld-musl-$fl_arch.path"
		note "/etc/ld-musl-$fl_arch.path" "library directories outside the loader's defaults"
	else
		cp "$work/confdirs.u" "$new/etc/ld.so.conf"
		note /etc/ld.so.conf "library directories outside the loader's defaults"
		ldconfig -X -r "$new" || die "ldconfig -r $new failed"
		note /etc/ld.so.cache "ld.so cache for /etc/ld.so.conf"
	fi
}

# Host path of a program: NAME on the hooks' PATH, or an absolute path.
find_program() {
	found=
	case $1 in
	/*) [ -f "$1" ] && [ -x "$1" ] && found=$(normpath "$1") ;;
	*/*) [ -f "$1" ] && [ -x "$1" ] && found=$(normpath "$(pwd)/$1") ;;
	*)	for fp_d in $hook_path; do
			if [ -f "$fp_d/$1" ] && [ -x "$fp_d/$1" ]; then
				found=$fp_d/$1
				break
			fi
		done ;;
	esac
	[ -n "$found" ]
}

# Is program NAME already in tree ROOT, on the hooks' PATH?  Sets resolved.
tree_has_program() {
	case $2 in
	/*) tree_resolve "$1" "$2" && [ -x "$1$resolved" ]; return ;;
	esac
	for tp_d in $hook_path; do
		if tree_resolve "$1" "$tp_d/$2" && [ -x "$1$resolved" ]; then
			return 0
		fi
	done
	return 1
}

is_sh() {
	case $1 in sh|ash|/bin/sh|/bin/ash|/usr/bin/sh|/bin/busybox) return 0 ;; esac
	return 1
}

# A program with what it needs to run: libraries (queued) or interpreter.
add_binary() {
	add_file "$1" "$2" "$3"
	ab_file=$added
	if is_elf "$new$ab_file"; then
		queue_elf "$1"
	elif shebang "$new$ab_file"; then
		add_interpreter "$sb_interp" "$sb_arg" "interpreter of $2"
	fi
}

# Interpreter of a script (and the program `env` is to run): busybox for sh.
add_interpreter() {
	case $1 in
	*/env) if [ -n "$2" ]; then add_interpreter "$2" "" "$3"; fi ;;
	esac
	if is_sh "$1"; then
		want_busybox=1
		return 0
	fi
	tree_has_program "$new" "$1" && return 0
	find_program "$1" || die "interpreter $1 not found (${3#interpreter of })"
	add_binary "$found" "$found" "$3"
}

# Applet link target of /DIR/NAME, relative to /bin/busybox.
busybox_rel() {
	br_dir=${1%/*}
	if [ "$br_dir" = /bin ]; then
		printf 'busybox\n'
		return 0
	fi
	br_up=
	while [ -n "$br_dir" ]; do
		br_up=../$br_up
		br_dir=${br_dir%/*}
	done
	printf '%sbin/busybox\n' "$br_up"
}

# A static busybox as /bin/sh (and its applets) for hook scripts.
add_busybox() {
	[ "$have_busybox" -eq 0 ] || return 0
	have_busybox=1
	bb=${MKSHUTDOWNFS_BUSYBOX:-}
	if [ -z "$bb" ]; then
		for bb_c in /bin/busybox /usr/bin/busybox /sbin/busybox /usr/sbin/busybox; do
			if [ -f "$bb_c" ] && [ -x "$bb_c" ]; then bb=$bb_c; break; fi
		done
	fi
	[ -n "$bb" ] || die "hook scripts need a shell: install busybox (Debian: busybox-static) or set MKSHUTDOWNFS_BUSYBOX"
	[ -x "$bb" ] || die "$bb: not executable"
	add_binary "$bb" /bin/busybox "busybox: /bin/sh and tools of hook scripts"
	! ldd "$new/bin/busybox" >/dev/null 2>&1 || warn "$bb is dynamic, its libraries come along (busybox-static avoids that)"
	"$bb" --list-full >"$work/applets" 2>/dev/null ||
		"$bb" --list | sed 's|^|bin/|' >"$work/applets"
	while IFS= read -r bb_a; do
		case $bb_a in */*) ;; *) continue ;; esac
		bb_a=/$bb_a
		if [ -e "$new$bb_a" ] || [ -L "$new$bb_a" ]; then continue; fi
		mkdir -p -- "$new${bb_a%/*}"
		ln -s -- "$(busybox_rel "$bb_a")" "$new$bb_a"
		note "$bb_a" "busybox applet"
	done <"$work/applets"
}

is_disabled_hook() {
	if [ -L "$1" ] && [ "$(readlink -- "$1")" = /dev/null ]; then return 0; fi
	[ -f "$1" ] && [ ! -s "$1" ]
}

# Hooks of every dir, later dirs overriding earlier ones by PHASE/NAME:
# $work/hooks gets "PHASE/NAME<TAB>source<TAB>strict".
collect_hooks() {
	: >"$work/hooks"
	while IFS= read -r ch_dir; do
		ch_strict=1
		[ "$ch_dir" != "$shipped_hooks" ] || ch_strict=0
		for ch_e in "$ch_dir"/*; do
			[ -e "$ch_e" ] || continue
			case " $phases " in
			*" ${ch_e##*/} "*) [ -d "$ch_e" ] || warn "$ch_e: not a directory, ignored" ;;
			*) warn "$ch_e: not a hook phase ($phases), ignored" ;;
			esac
		done
		for ch_phase in $phases; do
			[ -d "$ch_dir/$ch_phase" ] || continue
			for ch_h in "$ch_dir/$ch_phase"/*; do
				[ -e "$ch_h" ] || [ -L "$ch_h" ] || continue
				ch_name=${ch_h##*/}
				case $ch_name in
				.*|*~|*.dpkg-*|*.rpmnew|*.rpmsave|*.bak|*.swp|*.orig)
					vmsg "ignoring $ch_h"; continue ;;
				*[!A-Za-z0-9._@+-]*)
					die "hook $ch_h: name must be letters, digits and ._@+-" ;;
				esac
				ch_key=$ch_phase/$ch_name
				awk -F "$tab" -v k="$ch_key" '$1 != k' "$work/hooks" >"$work/hooks.tmp"
				mv "$work/hooks.tmp" "$work/hooks"
				if is_disabled_hook "$ch_h"; then
					vmsg "hook $ch_key disabled by $ch_h"
					continue
				fi
				[ -f "$ch_h" ] || die "hook $ch_h: not a regular file"
				printf '%s\t%s\t%s\n' "$ch_key" "$ch_h" "$ch_strict" >>"$work/hooks"
			done
		done
	done <"$work/hookdirs"
}

hook_needs() {
	is_elf "$1" && return 0
	sed -n 's/^#[[:space:]]*needs:[[:space:]]*//p' "$1"
}

# mkshutdownfs.conf: "hook = NAME..." (as --hook) and "all_hooks = yes".
read_config() {
	[ -f "$1" ] || return 0
	while IFS= read -r rc_l; do
		rc_l=${rc_l%%#*}
		case $rc_l in *=*) ;; *[![:space:]]*) warn "$1: expected key = value: $rc_l"; continue ;; *) continue ;; esac
		rc_k=$(printf '%s' "${rc_l%%=*}" | tr -d ' \t')
		rc_v=${rc_l#*=}
		case $rc_k in
		hook) for rc_h in $rc_v; do printf '%s\n' "$rc_h" >>"$work/optin"; done ;;
		all_hooks) case $(printf '%s' "$rc_v" | tr -d ' \t') in yes|true|1) all_hooks=1 ;; no|false|0) ;;
			*) warn "$1: all_hooks: expected yes or no" ;; esac ;;
		*) warn "$1: unknown key $rc_k" ;;
		esac
	done <"$1"
}

hook_header() { sed -n "s/^#[[:space:]]*$1:[[:space:]]*//p" "$2" | head -n 1; }

# Is hook KEY (PHASE/NAME) from SRC wanted?  An "# opt-in:" hook (a fallback
# that redoes native work) only when asked for; an "# applies-if: GLOB..."
# hook only when one of the globs exists now (under MKSHUTDOWNFS_SYSROOT).
# Sets hw_why when not.
hook_wanted() {
	hw_why=
	[ "$all_hooks" -eq 0 ] || return 0
	is_elf "$2" && return 0
	if [ -n "$(hook_header opt-in "$2")" ]; then
		if grep -q -x -F -e "$1" -e "${1#*/}" -e fallback "$work/optin"; then return 0; fi
		hw_why="opt-in: $(hook_header opt-in "$2")"
		return 1
	fi
	hw_globs=$(hook_header applies-if "$2")
	[ -n "$hw_globs" ] || return 0
	for hw_g in $hw_globs; do
		for hw_p in $sysroot$hw_g; do
			if [ -e "$hw_p" ]; then return 0; fi
		done
	done
	hw_why="nothing here for it ($hw_globs)"
	return 1
}

# Can every need of a hook be met, in the tree or from this machine?
hook_can_run() {
	hc_missing=
	for hc_p in $(hook_needs "$2"); do
		tree_has_program "$new" "$hc_p" && continue
		find_program "$hc_p" || hc_missing="$hc_missing $hc_p"
	done
	if shebang "$2"; then
		hc_list=$sb_interp
		case $sb_interp in */env) hc_list="$sb_interp $sb_arg" ;; esac
		for hc_p in $hc_list; do
			if is_sh "$hc_p"; then continue; fi
			tree_has_program "$new" "$hc_p" || find_program "$hc_p" ||
				hc_missing="$hc_missing $hc_p"
		done
	fi
	[ -z "$hc_missing" ]
}

# One hook: its file at /hooks.d/PHASE/NAME, its interpreter, its needs.
add_hook() {
	add_file "$2" "/hooks.d/$1" "hook from ${2%/*/*}"
	chmod 0755 "$new/hooks.d/$1"
	if shebang "$2"; then
		add_interpreter "$sb_interp" "$sb_arg" "interpreter of hook $1"
	elif is_elf "$2"; then
		queue_elf "$2"
	fi
	for ah_p in $(hook_needs "$2"); do
		tree_has_program "$new" "$ah_p" && continue
		find_program "$ah_p" || die "hook $1 needs $ah_p: not found on this machine"
		add_binary "$found" "$found" "hook $1 needs $ah_p"
	done
}

add_hooks() {
	hooks_in=
	hooks_out=
	while IFS="$tab" read -r ah_key ah_src ah_strict; do
		if ! hook_can_run "$ah_key" "$ah_src"; then
			if [ "$ah_strict" -eq 1 ]; then
				die "hook $ah_key ($ah_src) needs${hc_missing}: not found on this machine"
			fi
			vmsg "hook $ah_key left out: needs${hc_missing}, not on this machine"
			hooks_out="$hooks_out $ah_key"
			continue
		fi
		add_hook "$ah_key" "$ah_src"
		hooks_in="$hooks_in $ah_key"
	done <"$work/hooks"
}

# Keep in $work/hooks only the hooks this machine wants.
select_hooks() {
	hooks_skipped=
	: >"$work/hooks.sel"
	while IFS="$tab" read -r sh_key sh_src sh_strict; do
		if hook_wanted "$sh_key" "$sh_src"; then
			printf '%s\t%s\t%s\n' "$sh_key" "$sh_src" "$sh_strict" >>"$work/hooks.sel"
		else
			vmsg "hook $sh_key left out: $hw_why"
			hooks_skipped="$hooks_skipped $sh_key"
		fi
	done <"$work/hooks"
	mv "$work/hooks.sel" "$work/hooks"
}

any_script_hook() {
	while IFS="$tab" read -r as_key as_src as_strict; do
		: "$as_key" "$as_strict"
		if shebang "$as_src" && is_sh "$sb_interp"; then return 0; fi
	done <"$work/hooks"
	return 1
}

add_programs() {
	while IFS= read -r ap_p; do
		find_program "$ap_p" || die "program not found: $ap_p"
		add_binary "$found" "$found" "--add $ap_p"
	done <"$work/adds"
}

run_modprobe() {
	if [ -n "$modroot" ]; then
		modprobe -d "$modroot" "$@"
	else
		modprobe "$@"
	fi
}

check_modules() {
	[ -s "$work/modules" ] || return 0
	need_tool modprobe kmod
	need_tool depmod kmod
	[ -n "$kver" ] || kver=$(uname -r)
	moddir=$modroot/lib/modules/$kver
	[ -d "$moddir" ] || die "no modules for kernel $kver: $moddir is missing"
	while IFS= read -r cm_m; do
		run_modprobe --show-depends --set-version "$kver" -- "$cm_m" >/dev/null 2>"$work/moderr" ||
			die "unknown module $cm_m for kernel $kver: $(cat "$work/moderr")"
	done <"$work/modules"
}

# Kernel modules with their dependencies (kmod), then a module index for
# the tree (depmod -b).
add_modules() {
	[ -s "$work/modules" ] || return 0
	while IFS= read -r am_m; do
		run_modprobe --show-depends --set-version "$kver" -- "$am_m" >"$work/moddeps" 2>"$work/moderr" ||
			die "unknown module $am_m for kernel $kver: $(cat "$work/moderr")"
		while read -r am_verb am_path am_rest; do
			: "$am_rest"
			case $am_verb in
			insmod) add_file "$am_path" "${am_path#"$modroot"}" "module $am_m" ;;
			builtin) vmsg "module $am_path is built into kernel $kver" ;;
			esac
		done <"$work/moddeps"
	done <"$work/modules"
	am_dir=/lib/modules/$kver
	mkdir -p -- "$new$am_dir"
	# modules.builtin: so that kmod in the ramfs knows built-in modules.
	if [ -f "$moddir/modules.builtin" ]; then
		cp -p -- "$moddir/modules.builtin" "$new$am_dir/modules.builtin"
		note "$am_dir/modules.builtin" "module index"
	fi
	# modules.order: only the lines of the modules in the tree.
	if [ -f "$moddir/modules.order" ]; then
		(cd "$new$am_dir" && find . -name '*.ko*' | sed 's|^\./||; s|\.ko.*$|.ko|') >"$work/modlist"
		grep -Fx -f "$work/modlist" "$moddir/modules.order" >"$new$am_dir/modules.order" || true
		note "$am_dir/modules.order" "module index"
	fi
	depmod -b "$new" "$kver" >"$work/depmod" 2>&1 || {
		cat "$work/depmod" >&2
		die "depmod -b $new $kver failed"
	}
	[ "$verbose" -eq 0 ] || cat "$work/depmod" >&2
	for am_f in "$new$am_dir"/modules.*; do
		note "${am_f#"$new"}" "module index (depmod)"
	done
}

# Options of the mount holding PATH: "mountpoint<TAB>per-mount,super".
mount_of() {
	[ -r /proc/self/mountinfo ] || return 0
	awk -v p="$1" '
	function unesc(s,   r, i, c) {
		r = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\\" && substr(s, i + 1, 3) ~ /^[0-7][0-7][0-7]$/) {
				r = r sprintf("%c", substr(s, i + 1, 1) * 64 + substr(s, i + 2, 1) * 8 + substr(s, i + 3, 1))
				i += 3
			} else
				r = r c
		}
		return r
	}
	{
		mp = unesc($5)
		for (i = 7; i <= NF && $i != "-"; i++) ;
		if (mp == "/" || p == mp || index(p, mp "/") == 1)
			if (length(mp) >= best) { best = length(mp); res = mp "\t" $6 "," $(i + 3) }
	}
	END { if (res != "") print res }' /proc/self/mountinfo
}

check_output_fs() {
	co_m=$(mount_of "$1")
	[ -n "$co_m" ] || { vmsg "no /proc/self/mountinfo, cannot check the filesystem of $1"; return 0; }
	co_mp=${co_m%%"$tab"*}
	co_opts=,${co_m#*"$tab"},
	case $co_opts in
	*,ro,*) die "$out: $co_mp is mounted read-only" ;;
	esac
	case $co_opts in
	*,noexec,*)
		if [ "$exitrd" -eq 1 ]; then
			die "$out: $co_mp is mounted noexec, so systemd-shutdown's access($out/shutdown, X_OK) fails and it would skip the exitrd; remount $co_mp exec or choose -o elsewhere"
		fi
		die "$out: $co_mp is mounted noexec; the skeleton holds programs, build it elsewhere" ;;
	esac
}

resolve_output() {
	if [ -z "$out" ]; then
		if [ "$exitrd" -eq 1 ]; then out=/run/initramfs; else out=$PREFIX/lib/shutdownfs/skel; fi
	fi
	case $out in /*) ;; *) out=$(pwd)/$out ;; esac
	while :; do case $out in */) out=${out%/} ;; *) break ;; esac; done
	case ${out##*/} in ''|.|..) die "output $out: give a directory name" ;; esac
	ro_parent=${out%/*}
	ro_anc=${ro_parent:-/}
	while [ ! -d "$ro_anc" ]; do ro_anc=$(dirname -- "$ro_anc"); done
	ro_anc=$(cd -P -- "$ro_anc" && pwd)
	check_output_fs "$ro_anc"
	mkdir -p -- "${ro_parent:-/}" || die "cannot create ${ro_parent}"
	out=$(cd -P -- "${ro_parent:-/}" && pwd)/${out##*/}
	out=$(normpath "$out")
	if [ -e "$out" ] || [ -L "$out" ]; then
		if [ ! -d "$out" ] || [ -L "$out" ]; then die "$out exists and is not a directory"; fi
	fi
	# The run refuses a skeleton under a directory that is not root's, or is
	# writable by others without the sticky bit (pivot/skel-check.c).
	ro_w=$(dirname -- "$out")
	while :; do
		if [ -n "$(find "$ro_w" -prune \( ! -user 0 -o \( -perm -002 -o -perm -020 \) ! -perm -1000 \) -print)" ]; then
			warn "$ro_w is not root's or is group/world-writable: shutdownfs will refuse a skeleton under it"
			break
		fi
		[ "$ro_w" != / ] || break
		ro_w=$(dirname -- "$ro_w")
	done
}

validate_inputs() {
	if [ ! -s "$work/hookdirs" ]; then
		printf '%s\n' "$shipped_hooks" >"$work/hookdirs"
		if [ -d "$SYSCONFDIR/shutdownfs/hooks.d" ]; then
			printf '%s\n' "$SYSCONFDIR/shutdownfs/hooks.d" >>"$work/hookdirs"
		fi
	fi
	if [ -d "$shipped_hooks" ]; then shipped_hooks=$(cd -P -- "$shipped_hooks" && pwd); fi
	while IFS= read -r vi_d; do
		[ -d "$vi_d" ] || die "hooks dir $vi_d: not a directory"
		(cd -P -- "$vi_d" && pwd)
	done <"$work/hookdirs" >"$work/hookdirs.abs"
	mv "$work/hookdirs.abs" "$work/hookdirs"
	while IFS= read -r vi_p; do
		find_program "$vi_p" || die "program not found: $vi_p"
	done <"$work/adds"
	check_modules
	if [ "$exitrd" -eq 1 ]; then
		[ -f "$bin" ] || die "shutdownfs binary not found: $bin (run make, or set SHUTDOWNFS_BIN)"
		[ -x "$bin" ] || die "$bin: not executable"
	fi
	[ -d "$datadir/ramfs-skel" ] || die "template $datadir/ramfs-skel not found"
}

copy_template() {
	(cd "$datadir/ramfs-skel" && find . ! -name .keep) >"$work/template"
	while IFS= read -r ct_p; do
		ct_p=${ct_p#.}
		[ -n "$ct_p" ] || continue
		if [ -d "$datadir/ramfs-skel$ct_p" ] && [ ! -L "$datadir/ramfs-skel$ct_p" ]; then
			mkdir -p -- "$new$ct_p"
		else
			cp -P -p -- "$datadir/ramfs-skel$ct_p" "$new$ct_p"
		fi
		note "$ct_p" skeleton
	done <"$work/template"
}

# A skeleton with nothing to carry (no hook, no program) is its MANIFEST
# alone: the run makes the few directories it needs itself (/oldroot,
# /proc, /sys, /dev, /run, /tmp), and every directory left in the skeleton
# is read from the root device at each shutdown, through whatever dm-crypt
# and md are under it. One that carries something keeps the template's
# directories, which its programs may expect (iscsiadm makes /etc/iscsi and
# fails without /etc). An exitrd keeps the template whole: systemd-shutdown
# pivots into it as it is, and it lives in /run.
prune_empty_dirs() {
	[ "$exitrd" -eq 0 ] || return 0
	[ -z "$(find "$new" ! -type d -print | head -n 1)" ] || return 0
	find "$new" -mindepth 1 -type d -empty -delete
}

# What the run's safety check demands: root-owned, nothing group/world-
# writable, no setuid/setgid.
harden() {
	chown -R -h 0:0 -- "$1"
	find "$1" ! -type l -exec chmod go-w,ug-s {} +
}

# "path<TAB>type<TAB>mode<TAB>size<TAB>sha256|target" for every entry but
# /MANIFEST, sorted.
manifest_body() {
	(cd "$1" && find . ! -path ./MANIFEST -exec stat -c '%n|%F|%a|%s' {} +) >"$work/m.stat"
	(cd "$1" && find . -type f ! -path ./MANIFEST -exec sha256sum {} +) >"$work/m.sums"
	(cd "$1" && find . -type l) >"$work/m.links"
	while IFS= read -r mb_l; do
		printf '%s|%s\n' "$mb_l" "$(readlink -- "$1/$mb_l")"
	done <"$work/m.links" >"$work/m.targets"
	awk -v sums="$work/m.sums" -v links="$work/m.targets" '
	BEGIN {
		while ((getline l < sums) > 0) hash[substr(l, 67)] = substr(l, 1, 64)
		while ((getline l < links) > 0) { i = index(l, "|"); tgt[substr(l, 1, i - 1)] = substr(l, i + 1) }
		FS = "|"; OFS = "\t"
	}
	$1 == "." { next }
	{
		p = substr($1, 2); m = substr("0000" $3, length($3) + 1)
		if ($2 == "directory") print p, "d", m, "-", "-"
		else if ($2 ~ /^regular/) print p, "f", m, $4, hash[$1]
		else if ($2 == "symbolic link") print p, "l", "-", "-", tgt[$1]
		else print p, "?", m, $4, $2
	}' "$work/m.stat" | sort
}

write_manifest() {
	manifest_body "$1" >"$work/m.body"
	{
		printf '# shutdownfs skeleton, made by mkshutdownfs; verify with: mkshutdownfs --check DIR\n'
		printf '# path\ttype\tmode\tsize\tsha256|target\twhy\n'
		awk -F "$tab" -v OFS="$tab" -v reasons="$work/reasons" '
		BEGIN { while ((getline l < reasons) > 0) { i = index(l, "\t"); p = substr(l, 1, i - 1); if (!(p in why)) why[p] = substr(l, i + 1) } }
		{ w = ($1 in why) ? why[$1] : ($2 == "d" ? "directory" : "?"); print $0, w }' "$work/m.body"
	} >"$1/MANIFEST"
	chmod 0644 "$1/MANIFEST"
}

problem() {
	msg "$ck_root: $*"
	ck_bad=$((ck_bad + 1))
}

check_manifest() {
	if [ ! -f "$1/MANIFEST" ]; then problem "no MANIFEST"; return 0; fi
	grep -v '^#' "$1/MANIFEST" | cut -f 1-5 >"$work/c.want"
	manifest_body "$1" >"$work/c.have"
	awk -F "$tab" -v want="$work/c.want" '
	BEGIN { while ((getline l < want) > 0) { split(l, f, "\t"); w[f[1]] = l } }
	{ if (!($1 in w)) print "not in MANIFEST: " $1
	  else { if (w[$1] != $0) print "differs from MANIFEST: " $1; delete w[$1] } }
	END { for (p in w) print "missing: " p }' "$work/c.have" | sort >"$work/c.diff"
	while IFS= read -r cm_l; do problem "$cm_l"; done <"$work/c.diff"
}

check_modes() {
	find "$1" \( ! -user 0 -o ! -group 0 \) >"$work/c.f"
	while IFS= read -r cmo_f; do problem "${cmo_f#"$1"}: not owned by root"; done <"$work/c.f"
	find "$1" ! -type l \( -perm -020 -o -perm -002 \) >"$work/c.f"
	while IFS= read -r cmo_f; do problem "${cmo_f#"$1"}: group/world-writable"; done <"$work/c.f"
	find "$1" ! -type l \( -perm -4000 -o -perm -2000 \) >"$work/c.f"
	while IFS= read -r cmo_f; do problem "${cmo_f#"$1"}: setuid/setgid"; done <"$work/c.f"
	find "$1" ! -type f ! -type d ! -type l >"$work/c.f"
	while IFS= read -r cmo_f; do problem "${cmo_f#"$1"}: not a regular file, directory or symlink"; done <"$work/c.f"
}

check_hooks() {
	for ckh_h in "$1"/hooks.d/*/*; do
		[ -e "$ckh_h" ] || [ -L "$ckh_h" ] || continue
		ckh_k=${ckh_h#"$1"/hooks.d/}
		if [ ! -f "$ckh_h" ] || [ -L "$ckh_h" ]; then problem "hook $ckh_k: not a regular file"; continue; fi
		[ -x "$ckh_h" ] || problem "hook $ckh_k: not executable"
		if shebang "$ckh_h"; then
			tree_has_program "$1" "$sb_interp" || problem "hook $ckh_k: interpreter $sb_interp missing"
			case $sb_interp in */env)
				[ -z "$sb_arg" ] || tree_has_program "$1" "$sb_arg" ||
					problem "hook $ckh_k: interpreter $sb_arg missing" ;;
			esac
		fi
		for ckh_p in $(hook_needs "$ckh_h"); do
			tree_has_program "$1" "$ckh_p" || problem "hook $ckh_k needs $ckh_p: missing"
		done
	done
}

# Every ELF program and library of the tree finds its loader and libraries
# inside the tree.
check_elves() {
	(cd "$1" && find . -type f ! -name '*.ko' ! -name '*.ko.*' ! -path ./MANIFEST) >"$work/c.files"
	if [ -f "$1/shutdown" ] && [ ! -x "$1/shutdown" ]; then problem "/shutdown: not executable"; fi
	if [ "$(id -u)" -ne 0 ]; then
		warn "not root: libraries not checked (the tree's own loader runs in a chroot)"
		return 0
	fi
	while IFS= read -r ce_f; do
		ce_f=${ce_f#.}
		is_elf "$1$ce_f" || continue
		elf_libs "$ce_f" "$1" || continue
		while read -r ce_kind ce_p; do
			case $ce_kind in
			loader) tree_resolve "$1" "$ce_p" || problem "$ce_f: loader $ce_p missing" ;;
			missing) problem "$ce_f: library $ce_p missing" ;;
			esac
		done <"$work/libs"
	done <"$work/c.files"
}

# Verify tree ROOT; returns non-zero after naming every problem.
check_tree() {
	ck_root=$1
	ck_bad=0
	[ -d "$1" ] || die "$1: not a directory"
	need_tool ldd libc-bin
	check_manifest "$1"
	check_modes "$1"
	check_hooks "$1"
	check_elves "$1"
	[ "$ck_bad" -eq 0 ]
}

restore_stale() {
	if [ -e "$out.new" ] || [ -L "$out.new" ]; then
		warn "removing $out.new left by an earlier run"
		rm -rf -- "$out.new"
	fi
	if [ -d "$out.old" ]; then
		if [ -e "$out" ]; then
			rm -rf -- "$out.old"
		else
			warn "restoring $out from $out.old, left by an interrupted run"
			mv -- "$out.old" "$out"
		fi
	fi
}

# Replace the old tree with the new one; on failure the old one stays.
swap_in() {
	if [ -d "$out" ]; then
		mv -- "$out" "$out.old" || die "cannot move $out aside"
		swapping=1
		if [ "${MKSHUTDOWNFS_FAIL_AT:-}" = swap ] || ! mv -- "$new" "$out"; then
			mv -- "$out.old" "$out"
			swapping=0
			die "cannot install $new as $out; $out left as it was"
		fi
		swapping=0
		rm -rf -- "$out.old"
	else
		mv -- "$new" "$out" || die "cannot install $new as $out"
	fi
	new=
}

print_size() {
	awk -F "$tab" -v dir="$1" '
	/^#/ { next }
	$2 == "f" { bytes += $4; files++ } $2 == "l" { links++ } $2 == "d" { dirs++ }
	END { printf "%s: %d bytes (%d KiB) in %d files, %d links, %d directories\n", dir, bytes, (bytes + 1023) / 1024, files, links, dirs }' "$1/MANIFEST"
}

build() {
	new=$out.new
	mkdir -m 0755 -- "$new" || die "cannot create $new"
	copy_template
	add_programs
	collect_hooks
	select_hooks
	if any_script_hook; then want_busybox=1; fi
	if [ "$want_busybox" -eq 1 ]; then add_busybox; fi
	add_hooks
	add_modules
	if [ "$exitrd" -eq 1 ]; then
		add_binary "$bin" /shutdown "shutdownfs, exec'd as /shutdown by systemd-shutdown (exitrd)"
	fi
	process_elf_queue
	# Interpreters met on the way (a script added by --add) may want busybox.
	if [ "$want_busybox" -eq 1 ] && [ "$have_busybox" -eq 0 ]; then
		add_busybox
		process_elf_queue
	fi
	fix_ld_conf
	prune_empty_dirs
	fail_at build
	harden "$new"
	write_manifest "$new"
	fail_at check
	check_tree "$new" || die "$new failed its check; $out left as it was"
	swap_in
	[ -z "$hooks_in" ] || msg "hooks:$hooks_in"
	[ -z "$hooks_out" ] || msg "hooks left out (their tools are not on this machine):$hooks_out"
	[ -z "$hooks_skipped" ] || msg "hooks not needed here (opt-in, or nothing to act on; see --hook, --all-hooks):$hooks_skipped"
	print_size "$out"
}

cleanup() {
	# Killed between the two renames of the swap: put the old tree back.
	if [ "$swapping" -eq 1 ] && [ ! -e "$out" ] && [ -d "$out.old" ]; then
		mv -- "$out.old" "$out" || :
	fi
	if [ -n "$new" ] && [ -d "$new" ]; then rm -rf -- "$new"; fi
	if [ -n "$work" ]; then rm -rf -- "$work"; fi
}

main() {
	verbose=0 exitrd=0 out='' check_dir='' kver='' new='' work='' swapping=0
	glibc_loader='' musl_loader='' have_busybox=0 want_busybox=0 hooks_in='' hooks_out='' hooks_skipped='' all_hooks=0
	modroot=${MKSHUTDOWNFS_MODROOT:-}
	locate_data
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	work=$(mktemp -d "${TMPDIR:-/tmp}/mkshutdownfs.XXXXXX")
	: >"$work/hookdirs"
	: >"$work/adds"
	: >"$work/optin"
	: >"$work/modules"
	: >"$work/reasons"
	: >"$work/elfq"
	: >"$work/libdirs"
	read_config "$SYSCONFDIR/shutdownfs/mkshutdownfs.conf"
	parse_args "$@"
	sysroot=${MKSHUTDOWNFS_SYSROOT:-}
	if [ -n "$check_dir" ]; then
		check_dir=$(cd -P -- "$check_dir" 2>/dev/null && pwd) || die "$check_dir: not a directory"
		check_tree "$check_dir" || die "$check_dir: check failed"
		printf '%s: ok\n' "$check_dir"
		print_size "$check_dir"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "must run as root: the skeleton must be root-owned"
	need_tool ldd libc-bin
	if [ -n "$modroot" ]; then modroot=$(cd -P -- "$modroot" && pwd); fi
	resolve_output
	validate_inputs
	restore_stale
	build
}

main "$@"
