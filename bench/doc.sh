#!/bin/sh
# doc.sh — put a benchmark's section into docs/BENCHMARKS.md.
#
#   doc_section DOC HEADING SECTION-FILE
#
# replaces the section that starts with the line HEADING (up to the next
# "## " heading) by SECTION-FILE, or appends it when DOC has none yet.
# shellcheck shell=sh

doc_section() {
	[ -f "$1" ] || printf '# Benchmarks\n\n' > "$1"
	awk -v h="$2" -v f="$3" '
		$0 == h { skip = 1; while ((getline l < f) > 0) print l; done = 1; next }
		skip && /^## / { skip = 0 }
		!skip { print }
		END { if (!done) { print ""; while ((getline l < f) > 0) print l } }
	' "$1" > "$3.doc"
	cat "$3.doc" > "$1"
	rm -f "$3.doc"
}
