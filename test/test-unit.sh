#!/bin/sh
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
for want in systemd-udev-trigger.service systemd-modules-load.service; do
	prop After | grep -qw "$want" || fail "not After=$want"
done
for want in network-pre.target networking.service pve-guests.service; do
	prop Before | grep -qw "$want" || fail "not Before=$want"
done
prop Wants | grep -qw network-pre.target || fail "no Wants=network-pre.target"
prop Type | grep -qw oneshot || fail "not Type=oneshot"
prop RemainAfterExit | grep -qw yes || fail "not RemainAfterExit=yes"
echo "test-unit: igd-regroup.service verifies; ordering as required"
