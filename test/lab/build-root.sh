#!/bin/sh
# Builds a lab guest root of a Debian SUITE (bookworm, trixie) into DIR
# (which must not exist): mmdebstrap --variant=minbase with the packages of
# guest-packages, without docs, man pages and locales. Only packages and what
# every boot needs go here; the project's .deb and the lab's files are added
# per run (common.sh), so this slow step is cached by a hash of the suite,
# guest-packages and this script.
#
# Usage: build-root.sh SUITE DIR
# Env:   LAB_SOURCES  apt sources for the guest ("deb URI SUITE main" lines;
#                     common.sh passes the archive this host's apt uses, or
#                     LAB_MIRROR); default: mmdebstrap's own (deb.debian.org).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
suite=${1:?usage: build-root.sh SUITE DIR}
out=${2:?usage: build-root.sh SUITE DIR}
[ ! -e "$out" ] || { echo "build-root.sh: $out exists" >&2; exit 1; }

pkgs=$(sed -e 's/#.*//' "$here/guest-packages" | tr -s ' \n' ',,' | sed -e 's/^,//' -e 's/,$//')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/igd-lab-root.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
set --
if [ -n "${LAB_SOURCES:-}" ]; then
	printf '%s\n' "$LAB_SOURCES" >"$tmp/sources.list"
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
	"$suite" "$out.tmp" "$@"
mv "$out.tmp" "$out"
echo "build-root.sh: $(du -sh "$out" | cut -f1) in $out" >&2
