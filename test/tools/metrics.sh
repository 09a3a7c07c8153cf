#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# metrics.sh [N]: the N largest files of lib/ (lines) and the N longest
# functions of lib/, units/ and hook/ (lines from the opening brace in
# column 0 to the closing one), as the code-shape goals count them.
set -eu
n=${1:-10}
cd "$(dirname "$0")/../.."
echo "largest files in lib/ (lines):"
wc -l lib/*/*.c lib/*/*.h | grep -v ' total$' | sort -rn | head -n "$n" | sed 's/^/  /'
echo "longest functions (lines, file:line name):"
for f in lib/*/*.c units/*.c hook/*.c; do
	awk -v file="$f" '
		/^[A-Za-z_].*\(/ { sig = $0; sigline = NR }
		/^\{/ { start = NR; name = sig; line = sigline }
		/^\}/ && start {
			sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
			printf "%d %s:%d %s\n", NR - start + 1, file, line, name
			start = 0
		}' "$f"
done | sort -rn | head -n "$n" | sed 's/^/  /'
