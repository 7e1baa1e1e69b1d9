#!/bin/sh
# t-report.sh — the report from a child PID namespace: the host's pstore,
# NVRAM and I/O ports are left alone; the record (what this process logged)
# goes to a configured raw device, and `shutdownfs last` reads it back.
# shellcheck disable=SC2016
set -u
# shellcheck disable=SC1091
. "$TOP/tests/ns/lib.sh"

ns_begin
mkimg data
cat >> "$W/pre.sh" <<'S'
mount -o loop "$W/data.img" "$R/data"
S
truncate -s 1M "$W/report.img"
dev=$(losetup -f --show "$W/report.img")
ns_run --kill-timeout 1 --deadline 30 --set report=pstore,efivar,file \
	--set "report_file=$dev" --set notify=isa-debug-exit poweroff
mkdir -p "$W/empty"
"$BIN" last --pstore-dir "$W/empty" --archive-dir "$W/empty" --efivars-dir "$W/empty" \
	--set "report_file=$dev" > "$W/last" 2>&1
last_rc=$?
losetup -d "$dev"
check_last() {
	[ "$last_rc" = 0 ] || { echo "shutdownfs last exited $last_rc: $(head -c 300 "$W/last")"; return 1; }
	sum=$(summary)
	grep -qxF "  $sum" "$W/last" || { echo "last lacks the run's summary '$sum'"; return 1; }
	grep -q "from file $dev" "$W/last" || { echo "last did not read $dev"; return 1; }
}
judge ns/report-child-namespace "check_signal 130" check_images_clean \
	"check_summary result=clean" \
	"check_log 'report: pstore and efivar skipped in a child PID namespace'" \
	"check_log 'report: $dev, [0-9]* bytes'" \
	"check_log 'notify isa-debug-exit: skipped in a child PID namespace'" check_last
ns_end
