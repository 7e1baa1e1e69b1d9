#!/bin/sh
# Benchmark (not a test): the size of skeletons mkshutdownfs builds on this
# machine, next to the machine's own initramfs, written to docs/BENCHMARKS.md
# under "## Skeleton size" (that section only; other sections are kept).
# Run as root: sh bench/skel-size.sh [--no-write]
set -eu

top=$(cd -P -- "$(dirname -- "$0")/.." && pwd)
mk=$top/mkshutdownfs.sh
doc=$top/docs/BENCHMARKS.md
write=1
[ "${1:-}" != --no-write ] || write=0

msg() { printf 'skel-size: %s\n' "$*" >&2; }
die() { msg "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: skeletons are root-owned"

T=$(mktemp -d /tmp/skel-size.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/nohooks"

# Build one skeleton; prints "bytes files links".
measure() {
	out=$1
	shift
	sh "$mk" -o "$out" "$@" >"$T/out" 2>"$T/err" || {
		cat "$T/err" >&2
		die "mkshutdownfs $* failed"
	}
	{ grep -v '^#' "$out/MANIFEST"; printf '/MANIFEST\tf\t0644\t%s\n' "$(stat -c %s "$out/MANIFEST")"; } |
		awk -F '\t' '
		$2 == "f" { b += $4; f++; pages += int(($4 + 4095) / 4096) } $2 == "l" { l++ }
		END { printf "%d %d %d %d\n", b, f, l, pages * 4 }'
}

kib() { echo $((($1 + 1023) / 1024)); }

row() { # label bytes files links tmpfs-KiB
	printf '| %s | %s KiB | %s | %s | %s KiB |\n' "$1" "$(kib "$2")" "$3" "$4" "$5"
}

# Default for the ld.so cache directory search: LC_ALL for stable sorting.
LC_ALL=C
export LC_ALL

# shellcheck disable=SC2046 # measure prints four words
set -- $(measure "$T/empty" --hooks-dir "$T/nohooks")
empty_b=$1
rows=$(row "no hooks" "$1" "$2" "$3" "$4")

bin=${SHUTDOWNFS_BIN:-$top/build/shutdownfs}
if [ -x "$bin" ]; then
	# shellcheck disable=SC2046
	set -- $(SHUTDOWNFS_BIN=$bin measure "$T/exitrd" --exitrd --hooks-dir "$T/nohooks")
	empty_b=$1
	rows="$rows
$(row "no hooks + shutdownfs binary (--exitrd)" "$1" "$2" "$3" "$4")"
	binnote="shutdownfs binary: $(stat -c %s "$bin") bytes (${bin#"$top"/})"
else
	binnote="no shutdownfs binary built (make): the exitrd row is missing"
fi

# the default: the shipped hooks this machine needs (none on a plain
# LVM/LUKS/md root: the fallbacks are opt-in)
# shellcheck disable=SC2046
set -- $(measure "$T/default" --hooks-dir "$top/hooks.d")
default_b=$1
default_hooks=
for h in "$T/default/hooks.d"/*/*; do
	[ -e "$h" ] && default_hooks="$default_hooks${h#"$T/default/hooks.d/"} "
done
rows="$rows
$(row "default (mkshutdownfs, no options): ${default_hooks:-no hook}" "$1" "$2" "$3" "$4")"

# shellcheck disable=SC2046
set -- $(measure "$T/full" --hooks-dir "$top/hooks.d" --all-hooks)
progs=$(grep -v '^#' "$T/full/MANIFEST" | awk -F '\t' '$2 == "f" && ($6 ~ / needs / || $6 ~ /^busybox/) { n = $1; sub(/.*\//, "", n); print n }' |
	sort -u | tr '\n' ' ' | sed 's/ $//; s/ /, /g')
rows="$rows
$(row "--all-hooks (with the opt-in fallbacks): $progs and their libraries" "$1" "$2" "$3" "$4")"
full_hooks=
for h in "$T/full/hooks.d"/*/*; do
	[ -e "$h" ] && full_hooks="$full_hooks${h#"$T/full/hooks.d/"} "
done
largest=$(grep -v '^#' "$T/full/MANIFEST" | awk -F '\t' '$2 == "f" { print $4, $1 }' |
	sort -rn | head -n 6 | awk '{ printf "%s (%d KiB), ", $2, ($1 + 1023) / 1024 }' | sed 's/, $//')

initrd=
for f in /boot/initrd.img-* /boot/initramfs-*.img; do
	[ -f "$f" ] || continue
	initrd="$initrd
| $f | $(kib "$(stat -c %s "$f")") KiB (compressed) |"
done
[ -n "$initrd" ] || initrd="
| (none: no /boot/initrd.img-* or /boot/initramfs-*.img on this machine) | - |"

goal="met"
[ "$empty_b" -le 1048576 ] || goal="NOT met"
dgoal="met"
[ "$default_b" -le 1048576 ] || dgoal="NOT met"

section=$(cat <<EOF
## Skeleton size

Measured by \`sudo sh bench/skel-size.sh\` on $(date -u +%Y-%m-%d), $(sed -n 's/^PRETTY_NAME="*\([^"]*\)"*$/\1/p' /etc/os-release), $(uname -m).
Sizes are the sum of the regular files' sizes (MANIFEST included);
"in tmpfs" rounds each file up to 4 KiB pages, which is what the copy costs in
the ramfs at shutdown. The goal for a skeleton with no hooks is at most 1 MiB
(with the shutdownfs binary when it is built): $goal. The goal for the default
skeleton (\`mkshutdownfs\` with no options) is at most 1 MiB: $dgoal.

| skeleton | size | files | links | in tmpfs |
| --- | --- | --- | --- | --- |
$rows

$binnote. Shipped hooks installed here: $full_hooks(the others' tools are not on this machine).
Largest files of the full skeleton: $largest.

This machine's initramfs, for comparison:

| initramfs | size |
| --- | --- |${initrd}
EOF
)

printf '%s\n' "$section"
[ "$write" -eq 1 ] || exit 0

# Replace our section, keep every other one.
mkdir -p "$(dirname "$doc")"
[ -f "$doc" ] || printf '# Benchmarks\n' >"$doc"
printf '%s\n' "$section" >"$T/section"
awk -v sec="$T/section" '
	function put() { while ((getline l < sec) > 0) print l; print ""; done = 1 }
	/^## Skeleton size[[:space:]]*$/ { skip = 1; put(); next }
	skip && /^## / { skip = 0 }
	!skip { print }
	END { if (!done) { print ""; put() } }' "$doc" >"$T/doc"
cat -s "$T/doc" >"$doc"
msg "wrote the section to $doc"
