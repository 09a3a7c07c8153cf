#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016,SC2012 source-path=SCRIPTDIR
# make deb-install-test: the .deb in a clean Debian root (mmdebstrap
# --variant=minbase, then chroot; /sys read-only, /run a tmpfs of its own).
#
#  1. apt install ./igd-regroup_*.deb pulls the runtime dependencies; the
#     programs run (--version, status, check, the hook for a no-op phase);
#     /etc/igd-regroup.conf is a root-owned 0644 conffile; nothing is
#     enabled or started. A reinstall (the upgrade path of the maintainer
#     scripts) and the purge run with systemd faked as running, and every
#     systemctl/deb-systemd-invoke call is logged: only daemon-reload and a
#     stop on removal are allowed, never start, restart or try-restart.
#  2. With the dependencies in place: a file list of the whole root; install
#     again, do what an admin does (systemctl enable, apply --dry-run,
#     install-hook on a fake Proxmox storage), follow the README's removal
#     steps and apt purge; a second file list must equal the first.
#
# Usage: test/deb/install-test.sh [SUITE [DEB]]
#        SUITE: bookworm (default) or trixie; DEB: default build/deb/igd-regroup_*.deb
# Env:   KEEP_ROOT=yes keeps the root (build/deb/itest-SUITE) for a look.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/common.sh"

suite=${1:-bookworm}
deb=${2:-}
if [ -z "$deb" ]; then
	deb=$(ls "$top"/build/deb/igd-regroup_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n1 || true)
	[ -n "$deb" ] || die "no build/deb/igd-regroup_*.deb: run make deb first"
fi
[ -f "$deb" ] || die "$deb: no such file"
deb=$(realpath "$deb")
version=$(dpkg-deb -f "$deb" Version)
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root, chroot, mount)"

root=$top/build/deb/itest-$suite
out=$top/build/deb/itest-$suite.log.d
rm -rf "$out"
mkdir -p "$out"
remove_root "$root" || die "cannot clean $root"
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

SECONDS=0
make_root "$suite" minbase "$root"
say "root made in ${SECONDS} s"
mount_root "$root"
mkdir -p "$root/tmp/igd-test"
cp "$deb" "$root/tmp/igd-test/"
chmod 0755 "$root/tmp/igd-test"
chmod 0644 "$root/tmp/igd-test/"*.deb
debin=/tmp/igd-test/$(basename "$deb")

# snapshot FILE: every path of the root with type, mode, owner and link
# target; /proc, /sys, /dev and the test's own /tmp/igd-test left out, /run
# (a tmpfs) included.
snapshot() {
	(
		cd "$root"
		find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp/igd-test \) -prune \
			-o -printf '%M %u:%g %p %l\n'
		find ./run -xdev -printf '%M %u:%g %p %l\n'
	) | LC_ALL=C sort -k3 >"$1"
}
# What apt and dpkg themselves write on every run, whatever the package.
NOISE='^\S+ \S+ \./var/(log/(apt/.*|dpkg\.log|alternatives\.log)|cache/(apt/.*|debconf/.*|ldconfig/aux-cache)|lib/(dpkg/(.*-old|lock.*|triggers/.*|updates/.*)|apt/(extended_states|lists/.*|periodic/.*))) '

expect_installed() {
	local v
	in_root "$root" dpkg-query -W -f '${Status}\n' igd-regroup | grep -qx 'install ok installed' ||
		die "igd-regroup is not installed"
	v=$(in_root "$root" igd-regroup --version)
	[ "$v" = "igd-regroup $version" ] || die "igd-regroup --version says '$v', want 'igd-regroup $version'"
	say "ok: igd-regroup --version: $v"

	# The real machine's devices, read through the read-only /sys.
	in_root "$root" igd-regroup status >"$out/status.txt" 2>&1 ||
		{ cat "$out/status.txt" >&2; die "igd-regroup status failed"; }
	grep -q ' \[' "$out/status.txt" || die "igd-regroup status lists no device"
	say "ok: igd-regroup status ($(grep -c '^ *[0-9a-f]\{4\}:' "$out/status.txt" || true) devices; $out/status.txt)"
	# check exits 1 where this machine has no IOMMU or vfio-pci; 2 would be a bad config.
	local rc=0
	in_root "$root" igd-regroup check >"$out/check.txt" 2>&1 || rc=$?
	[ "$rc" -le 1 ] || { cat "$out/check.txt" >&2; die "igd-regroup check exited $rc"; }
	grep -q '^ok   config' "$out/check.txt" || { cat "$out/check.txt" >&2; die "the shipped config does not check ok"; }
	say "ok: igd-regroup check (exit $rc; the shipped config is valid; $out/check.txt)"

	[ -x "$root/usr/lib/igd-regroup/igd-regroup-hook" ] || die "the hook is not executable"
	in_root "$root" /usr/lib/igd-regroup/igd-regroup-hook 100 post-start >"$out/hook.txt" 2>&1 ||
		{ cat "$out/hook.txt" >&2; die "igd-regroup-hook 100 post-start failed"; }
	in_root "$root" /usr/lib/igd-regroup/igd-regroup-netnotify --version >/dev/null ||
		die "igd-regroup-netnotify --version failed"
	say "ok: igd-regroup-hook 100 post-start, igd-regroup-netnotify --version"

	in_root "$root" dpkg-query -W -f '${Conffiles}\n' igd-regroup | grep -q '^ /etc/igd-regroup.conf [0-9a-f]\{32\}$' ||
		die "/etc/igd-regroup.conf is not a conffile"
	[ "$(stat -c '%a %U:%G' "$root/etc/igd-regroup.conf")" = "644 root:root" ] ||
		die "/etc/igd-regroup.conf is $(stat -c '%a %U:%G' "$root/etc/igd-regroup.conf"), want 644 root:root"
	say "ok: /etc/igd-regroup.conf is a conffile, 644 root:root"

	local f
	for f in usr/share/man/man8/igd-regroup.8.gz usr/share/man/man8/igd-regroup-hook.8.gz \
		usr/share/man/man8/igd-regroup-netnotify.8.gz usr/share/man/man5/igd-regroup.conf.5.gz \
		usr/lib/systemd/system/igd-regroup.service usr/lib/systemd/system/igd-regroup-netnotify.service; do
		[ -f "$root/$f" ] || die "/$f is missing"
	done
	[ "$(in_root "$root" systemctl is-enabled igd-regroup.service || true)" = disabled ] ||
		die "igd-regroup.service is not disabled after install"
	[ "$(in_root "$root" systemctl is-enabled igd-regroup-netnotify.service || true)" = static ] ||
		die "igd-regroup-netnotify.service is not static"
	! ls "$root"/etc/systemd/system/*.wants/igd-regroup* >/dev/null 2>&1 || die "a unit was enabled by the install"
	say "ok: man pages and units installed; igd-regroup.service disabled, igd-regroup-netnotify.service static"
}

# fake_systemd on|off: pretend systemd runs (/run/systemd/system) and log
# what the maintainer scripts ask of it instead of doing it.
fake_systemd() {
	local b
	for b in /usr/bin/systemctl /usr/bin/deb-systemd-invoke; do
		if [ "$1" = on ]; then
			mv "$root$b" "$root$b.igd-test"
			printf '#!/bin/sh\necho "%s $*" >>/tmp/igd-test/calls\n' "${b##*/}" >"$root$b"
			chmod 0755 "$root$b"
		else
			mv "$root$b.igd-test" "$root$b"
		fi
	done
	if [ "$1" = on ]; then mkdir -p "$root/run/systemd/system"; else rm -rf "$root/run/systemd"; fi
}

say "== 1. apt install ./$(basename "$deb") into a clean $suite root ($(dpkg-deb -f "$deb" Depends))"
in_root "$root" dpkg-query -W -f '${Package}\n' | sort >"$out/packages-before"
SECONDS=0
# mmdebstrap leaves no package lists behind.
in_root "$root" apt-get update >"$out/apt-update.log" 2>&1 || { cat "$out/apt-update.log" >&2; die "apt-get update failed"; }
in_root "$root" apt-get install -y --no-install-recommends "$debin" >"$out/apt-install.log" 2>&1 ||
	{ tail -30 "$out/apt-install.log" >&2; die "apt install ./$(basename "$deb") failed"; }
in_root "$root" dpkg-query -W -f '${Package}\n' | sort >"$out/packages-after"
pulled=$(comm -13 "$out/packages-before" "$out/packages-after" | grep -vx igd-regroup | tr '\n' ' ')
say "apt install took ${SECONDS} s and pulled: $pulled"
# minbase already has libsystemd0 (apt needs it); the rest must come with the package.
for p in libpci3 libinih1 libkmod2 systemd udev dbus; do
	case " $pulled " in *" $p "*) ;; *) die "apt did not pull $p" ;; esac
done
expect_installed

say "-- reinstall (the upgrade path of the maintainer scripts) and purge, systemd faked as running"
in_root "$root" systemctl enable igd-regroup.service >/dev/null 2>&1 || die "systemctl enable igd-regroup.service failed"
fake_systemd on
in_root "$root" dpkg -i "$debin" >"$out/reinstall.log" 2>&1 || { cat "$out/reinstall.log" >&2; die "reinstall failed"; }
[ -L "$root/etc/systemd/system/multi-user.target.wants/igd-regroup.service" ] || die "the upgrade disabled igd-regroup.service"
upgrade_calls=$(cat "$root/tmp/igd-test/calls" 2>/dev/null || true)
: >"$root/tmp/igd-test/calls"
in_root "$root" apt-get purge -y igd-regroup >"$out/purge1.log" 2>&1 || { cat "$out/purge1.log" >&2; die "purge failed"; }
purge_calls=$(cat "$root/tmp/igd-test/calls" 2>/dev/null || true)
fake_systemd off
say "upgrade asked systemd for: $(echo "$upgrade_calls" | tr '\n' ';')"
say "purge asked systemd for: $(echo "$purge_calls" | tr '\n' ';')"
if echo "$upgrade_calls" | grep -v -x -E 'systemctl( --system)? daemon-reload' | grep -q .; then
	die "the upgrade did more than daemon-reload: $upgrade_calls"
fi
if echo "$purge_calls" | grep -v -x -E -e 'systemctl( --system)? daemon-reload' -e 'deb-systemd-invoke stop igd-regroup.service' | grep -q .; then
	die "the removal did more than stop igd-regroup.service and daemon-reload: $purge_calls"
fi
if [ -e "$root/etc/systemd/system/multi-user.target.wants/igd-regroup.service" ] ||
	[ -L "$root/etc/systemd/system/multi-user.target.wants/igd-regroup.service" ]; then
	die "purge left the enable link"
fi
say "ok: an upgrade of the enabled service keeps it enabled and neither stops nor (try-)restarts anything;"
say "    removal only stops igd-regroup.service; purge removes the enable link"

say "== 2. install, use, remove as the README says, purge: the root must be as before"
snapshot "$out/files-before"
in_root "$root" apt-get install -y --no-install-recommends "$debin" >"$out/apt-install2.log" 2>&1 ||
	{ tail -30 "$out/apt-install2.log" >&2; die "second apt install failed"; }
grep -q '^0 upgraded, 1 newly installed' "$out/apt-install2.log" || die "the second install pulled more than igd-regroup"
expect_installed
snapshot "$out/files-installed"

# What an admin does with it.
in_root "$root" systemctl enable igd-regroup.service >/dev/null 2>&1 || die "systemctl enable igd-regroup.service failed"
[ -L "$root/etc/systemd/system/multi-user.target.wants/igd-regroup.service" ] || die "enable made no link"
in_root "$root" igd-regroup apply --dry-run >"$out/dry-run.txt" 2>&1 ||
	{ cat "$out/dry-run.txt" >&2; die "igd-regroup apply --dry-run failed"; }
# The notifier with no record: nothing to bring back, but it takes the lock.
in_root "$root" /usr/lib/igd-regroup/igd-regroup-netnotify >"$out/netnotify.txt" 2>&1 ||
	{ cat "$out/netnotify.txt" >&2; die "igd-regroup-netnotify (nothing to do) failed"; }
mkdir -p "$root/etc/pve"
printf 'dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,snippets\n' >"$root/etc/pve/storage.cfg"
in_root "$root" igd-regroup install-hook >"$out/install-hook.txt" 2>&1 ||
	{ cat "$out/install-hook.txt" >&2; die "igd-regroup install-hook failed"; }
[ "$(readlink "$root/var/lib/vz/snippets/igd-regroup-hook")" = /usr/lib/igd-regroup/igd-regroup-hook ] ||
	die "install-hook made no link to the hook"
say "ok: systemctl enable, apply --dry-run, igd-regroup-netnotify, install-hook ($(grep -o 'qm set.*' "$out/install-hook.txt" | head -n1))"
snapshot "$out/files-used"

# The README's removal steps: detach the hook from the VMs (qm set VMID
# --delete hookscript: no Proxmox here), remove its link, purge.
rm "$root/var/lib/vz/snippets/igd-regroup-hook"
rm -r "$root/etc/pve" "$root/var/lib/vz" # the fake Proxmox storage of this test
in_root "$root" apt-get purge -y igd-regroup >"$out/purge2.log" 2>&1 || { cat "$out/purge2.log" >&2; die "purge failed"; }
snapshot "$out/files-after"

diff "$out/files-before" "$out/files-installed" | grep '^>' | sed 's/^> //' >"$out/added-by-install" || true
diff "$out/files-installed" "$out/files-used" | grep '^[<>]' >"$out/changed-by-use" || true
diff "$out/files-before" "$out/files-after" >"$out/left-behind.diff" || true
grep -E '^[<>] ' "$out/left-behind.diff" | sed 's/^[<>] //' | grep -v -E "$NOISE" >"$out/left-behind" || true
say "the package installed $(wc -l <"$out/added-by-install") paths; using it changed:"
sed 's/^/    /' "$out/changed-by-use" >&2
if [ -s "$out/left-behind" ]; then
	say "before and after purge differ:"
	grep -E '^[<>] ' "$out/left-behind.diff" | grep -v -E "${NOISE/^/^[<>] }" >&2 || true
	die "purge left something behind (or removed something): $out/left-behind.diff"
fi
noise=$(grep -c -E '^[<>] ' "$out/left-behind.diff" || true)
say "ok: after purge the root has exactly the paths it had before ($noise paths of apt's and dpkg's own logs and caches differ: $out/left-behind.diff)"
say "PASSED: $suite, $(basename "$deb")"
