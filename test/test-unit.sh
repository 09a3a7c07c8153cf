#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The unit files verify with systemd-analyze and their ordering says what the
# boot needs: after udev and module loading, before the network and the guests.
set -eu
SRC=${IGD_TEST_SRCDIR:-test}/..
BUILD=${IGD_TEST_BUILDDIR:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/igd-unit.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "test-unit: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing"
make -s -C "$SRC" install DESTDIR="$T" PREFIX=/usr B="$BUILD" >/dev/null
unit=$T/usr/lib/systemd/system/igd-regroup.service
[ -f "$unit" ] || fail "make install did not install the unit"
grep -q '^ExecStart=/usr/sbin/igd-regroup apply$' "$unit" || fail "ExecStart is not /usr/sbin/igd-regroup apply"

# verify checks the executable and the man pages: point it at the staged tree
sed "s|/usr/sbin/igd-regroup|$T/usr/sbin/igd-regroup|" "$unit" > "$T/igd-regroup.service"
out=$(MANPATH="$T/usr/share/man" systemd-analyze verify "$T/igd-regroup.service" 2>&1) || true
if [ -n "$out" ]; then
	echo "$out" >&2
	fail "systemd-analyze verify is not clean"
fi

prop() { sed -n "s/^$1=//p" "$unit" | tr '\n' ' '; }
for want in systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service; do
	prop After | grep -qw "$want" || fail "not After=$want"
done
for want in network-pre.target networking.service pve-guests.service; do
	prop Before | grep -qw "$want" || fail "not Before=$want"
done
prop Wants | grep -qw network-pre.target || fail "no Wants=network-pre.target"
prop Type | grep -qw oneshot || fail "not Type=oneshot"
prop RemainAfterExit | grep -qw yes || fail "not RemainAfterExit=yes"
echo "test-unit: igd-regroup.service verifies; ordering as required"

# The notifier's unit: started over D-Bus by the engine, never at boot.
nunit=$T/usr/lib/systemd/system/igd-regroup-netnotify.service
[ -f "$nunit" ] || fail "make install did not install igd-regroup-netnotify.service"
grep -q '^ExecStart=/usr/lib/igd-regroup/igd-regroup-netnotify$' "$nunit" ||
	fail "ExecStart is not /usr/lib/igd-regroup/igd-regroup-netnotify"
sed "s|/usr/lib/igd-regroup/igd-regroup-netnotify|$T/usr/lib/igd-regroup/igd-regroup-netnotify|" \
	"$nunit" > "$T/igd-regroup-netnotify.service"
out=$(MANPATH="$T/usr/share/man" systemd-analyze verify "$T/igd-regroup-netnotify.service" 2>&1) || true
if [ -n "$out" ]; then
	echo "$out" >&2
	fail "systemd-analyze verify of igd-regroup-netnotify.service is not clean"
fi
grep -q '^Type=oneshot$' "$nunit" || fail "igd-regroup-netnotify.service is not Type=oneshot"
! grep -q '^\[Install\]' "$nunit" || fail "igd-regroup-netnotify.service must be static (no [Install])"
echo "test-unit: igd-regroup-netnotify.service verifies; oneshot, static"
