# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2016
# Shared by test/deb/*.sh (sourced, bash): clean Debian roots made with
# mmdebstrap (root mode, into a directory), entered with chroot.
#
# Inside a root, /proc is mounted and /sys is this machine's sysfs mounted
# READ-ONLY: the programs may read the real PCI topology, never write it.
# /run is a tmpfs of its own, so nothing reaches the host's /run (its lock).
#
# Env: DEB_MIRROR  apt sources for the roots: a "deb URI" line (the suite is
#                  filled in) or a file of "deb URI SUITE COMPONENTS" lines;
#                  default: the Debian repositories this host's apt uses
#                  (a CI mirror, a proxy), else deb.debian.org.

say() { echo "${0##*/}: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }

# sources SUITE: "deb URI SUITE main" lines for SUITE, -updates and -security.
sources() {
	local suite=$1 uri sec
	if [ -n "${DEB_MIRROR:-}" ] && [ -f "$DEB_MIRROR" ]; then
		cat "$DEB_MIRROR"
		return
	fi
	if [ -n "${DEB_MIRROR:-}" ]; then
		uri=$(printf '%s\n' "$DEB_MIRROR" | awk '{ print ($1 == "deb") ? $2 : $1 }')
	else
		# The host's Debian archive and security URIs, whatever suite it runs.
		uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' 2>/dev/null |
			awk '$2 ~ /^(bookworm|trixie)(-updates)?$/ { print $1; exit }')
		sec=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' 2>/dev/null |
			awk '$2 ~ /^(bookworm|trixie)-security$/ { print $1; exit }')
	fi
	uri=${uri:-http://deb.debian.org/debian/}
	sec=${sec:-${uri%/debian/}/debian-security/}
	echo "deb ${uri%/}/ $suite main"
	echo "deb ${uri%/}/ $suite-updates main"
	echo "deb ${sec%/}/ $suite-security main"
}

# make_root SUITE VARIANT DIR [PACKAGES]: a fresh root in DIR (must not exist).
make_root() {
	local suite=$1 variant=$2 dir=$3 include=${4:-} list
	[ ! -e "$dir" ] || die "$dir exists"
	command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: apt-get install mmdebstrap"
	mkdir -p "$(dirname "$dir")"
	list=$(mktemp "${TMPDIR:-/tmp}/igd-deb-sources.XXXXXX")
	sources "$suite" >"$list"
	say "mmdebstrap $suite ($variant) from: $(tr '\n' ';' <"$list")"
	mmdebstrap --quiet --mode=root --format=directory --variant="$variant" \
		${include:+--include="$include"} "$suite" "$dir" "$list" ||
		{ rm -f "$list"; die "mmdebstrap $suite failed"; }
	rm -f "$list"
}

# mount_root DIR / umount_root DIR
mount_root() {
	local dir=$1
	mount -t proc proc "$dir/proc"
	mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$dir/sys"
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$dir/run"
	mkdir -p "$dir/run/lock"
	chmod 1777 "$dir/run/lock"
}
umount_root() {
	local dir=$1 m
	for m in run sys proc; do
		if mountpoint -q "$dir/$m"; then umount "$dir/$m" || umount -l "$dir/$m"; fi
	done
}

# in_root DIR CMD...: run CMD in the root, as root, apt non-interactive.
in_root() {
	local dir=$1
	shift
	chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# remove_root DIR: unmount and delete (refuses while anything is still mounted).
remove_root() {
	local dir=$1
	[ -d "$dir" ] || return 0
	umount_root "$dir"
	if grep -q " $(realpath "$dir")/" /proc/mounts; then
		say "still mounted under $dir; not removing it"
		return 1
	fi
	rm -rf --one-file-system "$dir"
}
