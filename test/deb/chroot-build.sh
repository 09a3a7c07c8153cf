#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 source-path=SCRIPTDIR
# make deb-trixie: the package built the way a Debian buildd builds it, in a
# clean root of SUITE (mmdebstrap --variant=buildd): only the Build-Depends
# of debian/control installed (apt-get build-dep), dpkg-buildpackage -us -uc
# -b as an unprivileged user (Rules-Requires-Root: no), make check inside
# (DEB_BUILD_OPTIONS passes through), then lintian of SUITE on the result.
# The .deb and the logs land in build/deb/SUITE/.
#
# Usage: test/deb/chroot-build.sh [SUITE]      (default trixie; bookworm works too)
# Env:   LINTIAN=no skips lintian; KEEP_ROOT=yes keeps build/deb/SUITE/root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/common.sh"

suite=${1:-trixie}
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root, chroot, mount)"
out=$top/build/deb/$suite
root=$out/root
remove_root "$root" || die "cannot clean $root"
rm -rf "$out"
mkdir -p "$out"
cleanup() {
	if [ "${KEEP_ROOT:-no}" = yes ]; then
		umount_root "$root"
		say "root kept in $root"
	else
		remove_root "$root" || true
	fi
}
trap cleanup EXIT
trap "exit 130" INT TERM HUP

t0=$SECONDS
make_root "$suite" buildd "$root"
t_root=$((SECONDS - t0))
mount_root "$root"
"$here/export.sh" "$root/build/src"
in_root "$root" useradd --create-home --user-group builder
in_root "$root" chown -R builder:builder /build

t0=$SECONDS
in_root "$root" apt-get update >"$out/apt-update.log" 2>&1 || { cat "$out/apt-update.log" >&2; die "apt-get update failed"; }
in_root "$root" apt-get build-dep -y --no-install-recommends /build/src >"$out/build-dep.log" 2>&1 ||
	{ tail -30 "$out/build-dep.log" >&2; die "apt-get build-dep failed"; }
t_deps=$((SECONDS - t0))
say "Build-Depends installed in ${t_deps} s: $(grep -o '^Setting up [^ ]*' "$out/build-dep.log" | wc -l) packages"

t0=$SECONDS
build_rc=0
chroot --userspec=builder:builder "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/home/builder \
	LC_ALL=C.UTF-8 TMPDIR=/tmp ${DEB_BUILD_OPTIONS:+DEB_BUILD_OPTIONS="$DEB_BUILD_OPTIONS"} \
	sh -c 'cd /build/src && dpkg-buildpackage -us -uc -b' >"$out/build.log" 2>&1 || build_rc=$?
t_build=$((SECONDS - t0))
grep -E '^(== |[0-9]+%: Checks|test-unit)' "$out/build.log" >&2 || true
[ "$build_rc" = 0 ] || { tail -40 "$out/build.log" >&2; die "dpkg-buildpackage failed in $suite ($out/build.log)"; }
cp "$root"/build/igd-regroup_* "$root"/build/igd-regroup-dbgsym_* "$out/" 2>/dev/null || true
say "built in ${t_build} s: $(cd "$out" && echo ./*.deb)"

t_lintian=0
if [ "${LINTIAN:-yes}" != no ]; then
	t0=$SECONDS
	in_root "$root" apt-get install -y --no-install-recommends lintian >"$out/lintian-install.log" 2>&1 ||
		{ tail -20 "$out/lintian-install.log" >&2; die "cannot install lintian in $suite"; }
	lint_rc=0
	chroot --userspec=builder:builder "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/home/builder LC_ALL=C.UTF-8 \
		sh -c 'lintian --fail-on error,warning --display-info --pedantic --tag-display-limit 0 /build/igd-regroup_*.changes' \
		>"$out/lintian.log" 2>&1 || lint_rc=$?
	t_lintian=$((SECONDS - t0))
	cat "$out/lintian.log" >&2
	[ "$lint_rc" = 0 ] || die "lintian ($suite) found errors or warnings ($out/lintian.log)"
	say "lintian ($suite, $(in_root "$root" dpkg-query -W -f '${Version}' lintian)): no error, no warning (${t_lintian} s with its install)"
fi
say "PASSED: $suite build; times: root ${t_root} s, Build-Depends ${t_deps} s, build+check ${t_build} s, lintian ${t_lintian} s"
