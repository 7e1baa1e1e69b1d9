# inits-lib.sh — t-inits.sh's real-init cases: sysvinit (sysvinit-core) and
# s6-svscan (s6) from Debian's packages, downloaded with apt-get and
# unpacked with dpkg-deb -x into build/ns-inits (never installed: the
# host's init stays what it is), each run as the PID 1 of a namespace.
# shellcheck shell=sh disable=SC2016

INITS_DIR=$TOP/build/ns-inits

# check_count TEXT N: the log holds TEXT on exactly N lines.
check_count() {
	n=$(grep -c -- "$1" "$W/log")
	[ "$n" = "$2" ] || { echo "log has '$1' $n times, expected $2"; return 1; }
}

# not_here NAME WHY: a FAIL under CI, where every case must run; else a SKIP.
not_here() {
	if [ "${CI:-}" = true ]; then fail "$1" "$2"; else skip "$1" "$2"; fi
}

# libraries PKG's debs depend on (libc6 is the host's), one name a line
deb_libs() {
	for deb in "$1"/*.deb; do dpkg-deb -f "$deb" Depends; done | tr ',' '\n' |
		sed -n 's/^ *\(lib[a-z0-9.+-]*\).*/\1/p' | grep -v '^libc6$' | sort -u
}

# apt-get download, with one `apt-get update` when the lists are stale
fetch_debs() {
	(cd "$1" && shift && apt-get download "$@" > /dev/null 2>&1) && return 0
	apt-get update -q > /dev/null 2>&1 || :
	(cd "$1" && shift && apt-get download "$@" > /dev/null 2>&1)
}

# inits_unpack PKG...: prints the directory holding PKG and the libraries it
# needs (two levels of Depends) unpacked.
inits_unpack() {
	d=$INITS_DIR/$(echo "$*" | tr ' ' '+')
	if [ ! -f "$d/.stamp" ]; then
		rm -rf "$d" && mkdir -p "$d/debs" || return 1
		fetch_debs "$d/debs" "$@" || return 1
		for round in 1 2; do
			libs=$(deb_libs "$d/debs")
			# shellcheck disable=SC2086 # a list of package names
			[ -z "$libs" ] || fetch_debs "$d/debs" $libs || return 1
			: "$round"
		done
		for deb in "$d"/debs/*.deb; do dpkg-deb -x "$deb" "$d/root" || return 1; done
		touch "$d/.stamp"
	fi
	echo "$d/root"
}

# Lines for pre.sh: copy BIN (a path under $SRC) and the libraries the
# system loader maps for it into the fake root, at the same paths.
# The libraries of the unpacked packages come first (LD_LIBRARY_PATH).
copy_prog() {
	cat >> "$W/pre.sh" <<S
mkdir -p "\$R\$(dirname "$2")"
cp -L "$1$2" "\$R$2"
LD_LIBRARY_PATH="$1/usr/lib/x86_64-linux-gnu:$1/lib/x86_64-linux-gnu" ldd "$1$2" |
	awk '/=> \\// { print \$3 } /^[ \\t]*\\// { print \$1 }' | while read -r lib; do
	dst=\${lib#"$1"}
	mkdir -p "\$R\$(dirname "\$dst")"
	[ -e "\$R\$dst" ] || cp -L "\$lib" "\$R\$dst"
done
S
}

# --- sysvinit: the user types `shutdown -h -P now` / `shutdown -r now`;
# init goes to runlevel 0/6 and runs the shipped rc script, whose handover
# bind-mounts shutdownfs over /sbin/init and asks for the re-exec.
# sysvinit's init closes its stdio at boot and so does its exec: the run's
# log is not seen here, the signal and the disks judge it (the stream and
# the log lines are checked by the emulated case below).
sysv_real() {
	name=$1 cmd=$2 sig=$3
	ns_begin
	mkimg data
	echo 'mount -o loop "$W/data.img" "$R/data"' >> "$W/pre.sh"
	copy_prog "$SV" /sbin/init
	copy_prog "$SV" /sbin/shutdown
	cat >> "$W/pre.sh" <<'S'
ln -s init "$R/sbin/telinit"
mkdir -p "$R/etc/init.d" "$R/var/run" "$R/var/log"
cp "$TOP/init/sysvinit/shutdownfs-handover" "$R/etc/init.d/"
S
	cat >> "$W/post.sh" <<S
cat > /etc/inittab <<'T'
id:2:initdefault:
u2:2:once:/bin/sh /user.sh
l0:0:wait:/etc/init.d/shutdownfs-handover stop
l6:6:wait:/etc/init.d/shutdownfs-handover stop
T
cat > /user.sh <<'T'
echo "\$TOKEN" > /data/token
/sbin/$cmd
T
# init's console (every child's stdio): not the host's
export CONSOLE=/dev/null
exec /sbin/init
S
	ns_run poweroff
	judge "ns/inits-sysvinit-real-$name" "check_signal $sig" check_images_clean \
		"check_token data /token" check_loops_detached
	ns_end
}

# sysvinit's my_re_exec(), as init.c does it: a pipe on fd 11 holding the
# signature and the state records (more than a pipe holds, so the writer,
# a child of the new PID 1, blocks until it is drained), INIT_HALT in the
# environment, argv `/sbin/init --init`, shutdownfs bound over /sbin/init.
sysv_emulated() {
	name=$1 level=$2 halt=$3 act=$4 sig=$5
	ns_begin
	mkimg data
	cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/data.img" "$R/data"
: > "$R/sbin/init"
S
	cat >> "$W/post.sh" <<S
echo "\$TOKEN" > /data/token
mount --bind /usr/sbin/shutdownfs /sbin/init
mkdir -p /tmp/st && busybox mkfifo /tmp/st/p
{
	printf '12567362VER@(#) init 3.06 miquels@cistron.nl\n-RL$level\n-TL$level\n-PL2\n-SI0\n-DB1\n'
	i=0
	while [ \$i -lt 3000 ]; do
		printf 'REC%d\nLEV2345\nFL RUNNING\nPID%d\nEXS0\nAC respawn\nCMD/sbin/getty 38400 tty%d\nEOR\n' \$i \$i \$i
		i=\$((i + 1))
	done
	echo END
} > /tmp/st/p &
exec 11< /tmp/st/p
rm /tmp/st/p
[ -z "$halt" ] || export INIT_HALT=$halt
exec /sbin/init --init
S
	ns_run poweroff
	judge "ns/inits-sysvinit-reexec-$name" "check_signal $sig" check_images_clean \
		"check_token data /token" check_loops_detached \
		"check_summary action=$act result=clean left=0" \
		"check_log 'sysvinit state on fd 11: [0-9]* bytes, runlevel $level, closed'" \
		"check_log 'started by sysvinit: action $act'"
	ns_end
}

inits_sysvinit() {
	SV=$(inits_unpack sysvinit-core) || {
		not_here ns/inits-sysvinit "cannot download/unpack sysvinit-core"
		return 0
	}
	sysv_emulated poweroff 0 POWEROFF poweroff 130
	sysv_emulated halt 0 HALT halt 130
	sysv_emulated shutdown-h 0 "" poweroff 130
	sysv_emulated reboot 6 "" reboot 129
	sysv_real poweroff "shutdown -h -P now" 130
	sysv_real reboot "shutdown -r now" 129
}

# --- s6-svscan (what s6-linux-init runs as PID 1): SIGABRT makes it exec
# .s6-svscan/finish at once; the handover binds shutdownfs over it. The
# shipped rc.shutdown.final reads the action from shutdownd's stage 4 (in
# its working directory, shutdownd's service directory; here outside the
# scandir, which has no s6-supervise to run it).
inits_s6() {
	S6=$(inits_unpack s6) || {
		not_here ns/inits-s6 "cannot download/unpack s6"
		return 0
	}
	for a in p:poweroff:130 r:reboot:129 h:halt:130; do
		flag=${a%%:*} rest=${a#*:}
		act=${rest%%:*} sig=${rest#*:}
		ns_begin
		mkimg data
		echo 'mount -o loop "$W/data.img" "$R/data"' >> "$W/pre.sh"
		copy_prog "$S6" /usr/bin/s6-svscan
		cat >> "$W/pre.sh" <<'S'
mkdir -p "$R/etc/s6-linux-init/current/scripts" "$R/run/service/.s6-svscan" "$R/run/shutdownd"
cp "$TOP/init/s6-linux-init/rc.shutdown.final" "$R/etc/s6-linux-init/current/scripts/"
printf '#!/bin/sh\necho "s6 finish placeholder ran" >&2\n' > "$R/run/service/.s6-svscan/finish"
chmod 755 "$R/run/service/.s6-svscan/finish"
S
		cat >> "$W/post.sh" <<S
printf '#!/bin/execlineb -P\nforeground { s6-linux-init-umountall }\nforeground { tryexec { /etc/s6-linux-init/current/scripts/rc.shutdown.final } }\ns6-linux-init-hpr -f -$flag\n' > /run/shutdownd/stage4
(
	sleep 0.5
	echo "\$TOKEN" > /data/token
	cd /run/shutdownd && exec /etc/s6-linux-init/current/scripts/rc.shutdown.final
) &
exec /usr/bin/s6-svscan /run/service
S
		ns_run poweroff
		judge "ns/inits-s6-$act" "check_signal $sig" check_images_clean \
			"check_token data /token" check_loops_detached \
			"check_summary action=$act result=clean left=0" \
			"check_log 'handover: SIGABRT sent to s6-svscan'" \
			"check_log 'handover: action $act from /run/shutdownfs.handover/action'"
		ns_end
	done
}
