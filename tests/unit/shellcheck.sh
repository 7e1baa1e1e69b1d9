#!/bin/sh
# Runs shellcheck on every shell script of the repository (mkshutdownfs.sh, mk/,
# hooks.d/, tests/, bench/, .ci/run): one PASS/FAIL line per file.
set -eu

top=$(cd -P -- "$(dirname -- "$0")/../.." && pwd)
cd "$top"

# Installs Debian's shellcheck when it is missing and apt can; else says why.
need_shellcheck() {
	command -v shellcheck >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y -q shellcheck >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q shellcheck >/dev/null 2>&1; } || :
	fi
	command -v shellcheck >/dev/null 2>&1
}

# Candidate files: tracked ones when this is a git work tree, else all.
candidates() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -co --exclude-standard
	else
		find . -path ./.git -prune -o -path ./build -prune -o -type f -print | sed 's|^\./||'
	fi
}

# The shell a file is written for: from its name or its #! line.
shell_of() {
	case $1 in *.sh) first=$(head -n 1 "$1"); case $first in *bash*) echo bash ;; *) echo sh ;; esac; return 0 ;; esac
	case $1 in build/*|tests/fixtures/*) return 1 ;; esac
	first=$(head -c 64 "$1" 2>/dev/null | head -n 1) || return 1
	case $first in
	'#!'*/bash*|'#!'*env\ bash*) echo bash ;;
	'#!'*/sh|'#!'*/sh\ *|'#!'*/dash*|'#!'*/ash*|'#!'*env\ sh*) echo sh ;;
	*) return 1 ;;
	esac
}

if ! need_shellcheck; then
	echo "SKIP shellcheck: shellcheck not installed and not installable here (Debian: shellcheck)"
	exit 0
fi

candidates | sort | while IFS= read -r f; do
	[ -f "$f" ] || continue
	s=$(shell_of "$f") || continue
	if out=$(shellcheck -s "$s" -x -- "$f" 2>&1); then
		echo "PASS shellcheck/$f"
	else
		echo "FAIL shellcheck/$f: $(printf '%s\n' "$out" | grep -m 1 -o 'SC[0-9]*.*' || printf '%s' "$out" | head -n 1)"
	fi
done
