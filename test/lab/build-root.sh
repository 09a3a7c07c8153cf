#!/bin/sh
# Builds the lab's Debian 12 guest root into DIR (which must not exist):
# mmdebstrap --variant=minbase with the packages of guest-packages, without
# docs, man pages and locales. Only packages and what every boot needs go
# here; the project and the lab's files are added per run (lab.sh), so this
# slow step is cached by a hash of guest-packages and this script.
#
# Usage: build-root.sh DIR
# Env:   LAB_MIRROR  apt sources for the guest: a "deb ..." line or a file;
#                    default: the Debian repositories this host's apt uses,
#                    else mmdebstrap's default (deb.debian.org + updates + security).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-root.sh DIR}
[ ! -e "$out" ] || { echo "build-root.sh: $out exists" >&2; exit 1; }

pkgs=$(sed -e 's/#.*//' "$here/guest-packages" | tr -s ' \n' ',,' | sed -e 's/^,//' -e 's/,$//')

# The host's own Debian bookworm repositories (a CI mirror, a proxy) when it has them.
host_sources() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
		'Identifier: Packages' 2>/dev/null |
		awk '$2 ~ /^bookworm(-updates|-security)?$/ && $3 == "main" { print "deb " $1 " " $2 " main" }' |
		sort -u
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/igd-lab-root.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -n "${LAB_MIRROR:-}" ]; then
	printf '%s\n' "$LAB_MIRROR" >"$tmp/sources.list"
	[ -f "$LAB_MIRROR" ] && cp "$LAB_MIRROR" "$tmp/sources.list"
else
	host_sources >"$tmp/sources.list" || true
fi
set --
if [ -s "$tmp/sources.list" ]; then
	echo "build-root.sh: guest apt sources:" >&2
	sed 's/^/  /' "$tmp/sources.list" >&2
	set -- "$tmp/sources.list"
fi

mkdir -p "$(dirname "$out")"
mmdebstrap --variant=minbase --mode=root --format=directory \
	--include="$pkgs" \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--customize-hook='echo igd-lab >"$1/etc/hostname"' \
	--customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 igd-lab\n" >"$1/etc/hosts"' \
	--customize-hook='od -An -N16 -tx1 /dev/urandom | tr -d " \n" >"$1/etc/machine-id"; echo >>"$1/etc/machine-id"' \
	--customize-hook='rm -f "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*_Packages' \
	bookworm "$out.tmp" "$@"
mv "$out.tmp" "$out"
echo "build-root.sh: $(du -sh "$out" | cut -f1) in $out" >&2
