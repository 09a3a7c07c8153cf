#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make deb: builds the binary package from a copy of the tree in
# build/deb/src with dpkg-buildpackage -us -uc -b (make check runs inside,
# unless DEB_BUILD_OPTIONS has nocheck), so that the .deb, .buildinfo and
# .changes land in build/deb/; then lintian on the .changes must report no
# error and no warning.
#
# Usage: test/deb/build.sh [OUTDIR]        (default build/deb)
# Env:   DEB_BUILD_OPTIONS (nocheck, parallel=N), LINTIAN=no to skip lintian.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || {
		echo "build.sh: $tool is missing: apt-get install dpkg-dev debhelper" >&2
		exit 1
	}
done

# The package's version (debian/changelog) is what --version prints (Makefile).
mk_version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
deb_version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
[ "$mk_version" = "$deb_version" ] || {
	echo "build.sh: Makefile VERSION is $mk_version but debian/changelog says $deb_version" >&2
	exit 1
}

rm -f "$out"/igd-regroup_* "$out"/igd-regroup-dbgsym_*
"$here/export.sh" "$out/src"
cd "$out/src"
# Unmet Build-Depends stop the build here, with their names.
SECONDS=0
dpkg-buildpackage -us -uc -b
echo "build.sh: dpkg-buildpackage took ${SECONDS} s"

changes=$(ls "$out"/igd-regroup_*.changes)
ls -l "$out"/*.deb
if [ "${LINTIAN:-yes}" != no ]; then
	command -v lintian >/dev/null || { echo "build.sh: lintian is missing: apt-get install lintian" >&2; exit 1; }
	SECONDS=0
	# --fail-on error,warning: any E: or W: tag fails make deb. Info and
	# pedantic tags are shown, to be looked at, but do not fail.
	lintian --fail-on error,warning --display-info --pedantic --tag-display-limit 0 "$changes" 2>&1 | tee "$out/lintian.log" || {
		echo "build.sh: lintian found errors or warnings (see $out/lintian.log)" >&2
		exit 1
	}
	echo "build.sh: lintian took ${SECONDS} s: $(grep -c '^[EW]:' "$out/lintian.log" || true) errors/warnings," \
		"$(grep -c '^[IP]:' "$out/lintian.log" || true) info/pedantic tags"
fi
