#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copies the source tree into DIR (emptied first): the files git tracks plus
# the new ones it does not ignore, as they are in the work tree (uncommitted
# changes included), so never build*/ or test/lab/cache/. Without git (an
# unpacked tarball): everything but those.
#
# Usage: test/deb/export.sh DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: export.sh DIR}
rm -rf "$out"
mkdir -p "$out"
cd "$top"
list() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard
	else
		find . \( -name .git -o -path ./build -o -path './build-*' -o -path ./test/lab/cache \) -prune \
			-o ! -type d -printf '%P\0'
	fi
}
# A tracked file deleted in the work tree is not copied.
list | while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
	tar --null --no-recursion -T - -cf - | tar -xf - -C "$out"
