# lib.sh — ns tier helpers: build a fake old root of tmpfs + loop-mounted ext4
# images inside `unshare --pid --mount --fork`, run build/shutdownfs as PID 1
# of that namespace, then judge from outside: the signal its PID 1 died of,
# e2fsck, data written without sync, loop devices, the summary line.
#
# A scenario writes $W/pre.sh (host sh, inside the namespace, before the
# pivot into the fake root $R) and $W/post.sh (busybox sh in the fake root,
# just before `exec shutdownfs`), then calls ns_run ACTION [ARGS...].
# Nothing here runs teardown code outside a fresh PID + mount namespace.
# shellcheck shell=sh disable=SC2034

TOP=${TOP:-$(pwd)}
BIN=${BIN:-$TOP/build/shutdownfs}
NS_DIR=$TOP/tests/ns
NS_TMP=${NS_TMP:-/tmp}
NS_LIMIT=${NS_LIMIT:-60}
W=
R=

pass() { printf 'PASS %s\n' "$1"; }
fail() { printf 'FAIL %s: %s\n' "$1" "$2"; [ -z "$W" ] || [ ! -f "$W/log" ] || sed 's/^/    | /' "$W/log" | tail -n 40 >&2; }
skip() { printf 'SKIP %s: %s\n' "$1" "$2"; }

# ns_begin NAME: a fresh work dir; the fake root is $W/root inside the ns.
ns_begin() {
	W=$(mktemp -d "$NS_TMP/sfs-ns.XXXXXX")
	R=$W/root
	: > "$W/pre.sh"
	: > "$W/post.sh"
	: > "$W/images"
	TOKEN=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	export W R TOKEN
}

# mkimg NAME [MB]: an ext4 image in $W, listed for the checks.
mkimg() {
	truncate -s "${2:-16}M" "$W/$1.img"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$W/$1.img"
	echo "$W/$1.img" >> "$W/images"
}

# nested_four: four images, each mounted inside the one before, at
# /data, /data/a, /data/a/b, /data/a/b/c.
nested_four() {
	for i in 1 2 3 4; do mkimg "n$i" 8; done
	cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/n1.img" "$R/data"
mkdir -p "$R/data/a" && mount -o loop "$W/n2.img" "$R/data/a"
mkdir -p "$R/data/a/b" && mount -o loop "$W/n3.img" "$R/data/a/b"
mkdir -p "$R/data/a/b/c" && mount -o loop "$W/n4.img" "$R/data/a/b/c"
S
}

# ns_run ACTION [ARGS...]: run the namespace; sets NS_RC (128+signal) and
# NS_MS. Its stderr is an anonymous pipe: the run keeps only pipes and
# sockets as stdio (a named FIFO would live on the old root).
ns_run() {
	_t0=$(date +%s%N)
	: > "$W/nspid"
	{
		timeout --signal=KILL "$NS_LIMIT" unshare --pid --mount --fork --kill-child \
			sh "$NS_DIR/ns-init.sh" "$W" "$BIN" "$@" < /dev/null > "$W/stdout" &
		echo "$!" > "$W/nspid"
		# callers may run under set -e: the non-zero status is the point
		wait "$!" && echo 0 > "$W/rc" || echo "$?" > "$W/rc"
	} 2>&1 | cat > "$W/log" &
	_pipe=$!
	if [ -n "${NS_AFTER_START:-}" ]; then
		_i=0
		while [ ! -s "$W/nspid" ] && [ "$_i" -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
		NS_PID=$(cat "$W/nspid")
		"$NS_AFTER_START"
	fi
	wait "$_pipe" || :
	NS_RC=$(cat "$W/rc" 2>/dev/null || echo unknown)
	NS_MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
}

# The signal the namespace's PID 1 died of, as unshare re-raises it.
rc_name() {
	case $1 in
	129) echo SIGHUP ;; 130) echo SIGINT ;; 137) echo SIGKILL-timeout ;;
	*) echo "exit-$1" ;;
	esac
}

# loops_of IMG: "N" of each loop device bound to IMG, read from sysfs
# (losetup -j walks /dev, which lacks the nodes of devices made since boot
# where nothing like udev makes them).
loops_of() {
	for _b in /sys/block/loop*; do
		[ "$(cat "$_b/loop/backing_file" 2>/dev/null)" = "$1" ] && echo "${_b##*/loop}"
	done
	:
}

# ns_end: detach loops still bound to our images (only ours), remove $W.
ns_end() {
	while read -r img; do
		for n in $(loops_of "$img"); do
			mm=$(cat "/sys/block/loop$n/dev") || continue
			rm -f "$W/lnode"
			if mknod "$W/lnode" b "${mm%:*}" "${mm#*:}"; then
				losetup -d "$W/lnode" 2>/dev/null || :
			fi
		done
	done < "$W/images"
	rm -rf "$W"
	W=
}

# Checks: each returns non-zero with a reason on stdout.
check_signal() {
	[ "$NS_RC" = "$1" ] || { echo "PID 1 ended by $(rc_name "$NS_RC"), expected $(rc_name "$1")"; return 1; }
}
check_images_clean() {
	while read -r img; do
		out=$(e2fsck -fn "$img" 2>&1) || { echo "e2fsck $(basename "$img"): $out" | head -c 300; return 1; }
	done < "$W/images"
}
check_loops_detached() {
	while read -r img; do
		[ -z "$(loops_of "$img")" ] || { echo "loop still bound to $img: loop$(loops_of "$img")"; return 1; }
	done < "$W/images"
}
# check_token IMG PATH: the file in the image holds $TOKEN (read with debugfs).
check_token() {
	got=$(debugfs -R "cat $2" "$W/$1.img" 2>/dev/null)
	[ "$got" = "$TOKEN" ] || { echo "token in $1:$2 is '$got', expected '$TOKEN'"; return 1; }
}
summary() { grep 'shutdownfs: summary ' "$W/log" | tail -n 1; }
# check_summary KEY=VALUE...: each pair appears in the summary line.
check_summary() {
	s=$(summary)
	[ -n "$s" ] || { echo "no summary line"; return 1; }
	for kv in "$@"; do
		case " $s " in *" $kv "*) ;; *) echo "summary lacks $kv: $s"; return 1 ;; esac
	done
}
check_log() {
	grep -q -- "$1" "$W/log" || { echo "log lacks '$1'"; return 1; }
}

# judge NAME CHECK...: run checks (each a command line in one string) in
# order; the first failing one fails the test.
judge() {
	_name=$1
	shift
	for c in "$@"; do
		if ! why=$(eval "$c"); then
			fail "$_name" "$why"
			return 1
		fi
	done
	pass "$_name"
}

# --- scenario helpers shared by the t-*.sh files -----------------------------------

SKEL_BIN='sh sleep cat echo yes head setsid true chmod chown mkfifo ln mkdir'

# skel_hooks: busybox in the skeleton (hooks are #!/bin/sh scripts) and the
# hooks written under $W/hooks/PHASE/ copied in, modes kept.
skel_hooks() {
	mkdir -p "$W/hooks"
	cat >> "$W/pre.sh" <<S
S=\$R/usr/lib/shutdownfs/skel
mkdir -p "\$S/bin"
cp /bin/busybox "\$S/bin/busybox"
for a in $SKEL_BIN; do ln -s busybox "\$S/bin/\$a"; done
cp -R "\$W/hooks/." "\$S/hooks.d/"
S
}

# add_hook PHASE NAME MODE: the hook's text from stdin.
add_hook() {
	mkdir -p "$W/hooks/$1"
	cat > "$W/hooks/$1/$2"
	chmod "$3" "$W/hooks/$1/$2"
}

# base_data: one image at /data, the token written without sync.
base_data() {
	mkimg data
	cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/data.img" "$R/data"
S
	cat >> "$W/post.sh" <<'S'
echo "$TOKEN" > /data/token
S
}

# A timestamp on the namespace's log just before shutdownfs starts, so the
# time to its end can be judged without the setup.
mark_start() {
	cat >> "$W/post.sh" <<'S'
read -r up _ < /proc/uptime; echo "ns-t0 $up" >&2
S
}
# ms from the mark to now (the namespace has ended).
ms_since_mark() {
	t0=$(sed -n 's/^ns-t0 //p' "$W/log" | head -n 1)
	read -r t1 _ < /proc/uptime
	echo $(( $(echo "$t1" | tr -d .) * 10 - $(echo "$t0" | tr -d .) * 10 ))
}
check_no_log() {
	! grep -q -- "$1" "$W/log" || { echo "log has '$1'"; return 1; }
}
check_within() {
	ms=$(ms_since_mark)
	[ "$ms" -le "$1" ] || { echo "took $ms ms from exec, limit $1"; return 1; }
}

