#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Figures for the hookscript on the HP EliteDesk fixture (split state):
# wall time of post-start (the no-op phase; goal: under 5 ms) and of
# pre-start (config, VM config, snapshot, isolation check), over N runs of
# the real binary, and their instruction counts under callgrind.
set -eu
B=${B:-build}
N=${N:-50}
SRC=$(dirname "$0")
R=$(mktemp -d "${TMPDIR:-/tmp}/igd-bench-hook.XXXXXX")
trap 'rm -rf "$R"' EXIT

"$B/test/mkfixture" "$R" "$SRC/fixtures/hp-elitedesk-800-g4-split.topo"
cp "$SRC/fixtures/hp-elitedesk-800-g4.conf" "$R/conf"
chmod 600 "$R/conf"
mkdir -p "$R/etc/pve/qemu-server"
printf 'hostpci0: 0000:00:02.0\nhostpci1: 0000:00:1f.3,rombar=0\nmachine: pc\nvga: none\n' > "$R/etc/pve/qemu-server/100.conf"
echo pve > "$R/etc/hostname"
export IGD_REGROUP_ROOT="$R" IGD_REGROUP_CONFIG="$R/conf"

time_phase() { # $1 = phase, or "floor" for /bin/true; prints median, min, max wall time over N runs
	i=0
	: > "$R/t"
	while [ $i -lt "$N" ]; do
		t0=$(date +%s%N)
		if [ "$1" = floor ]; then /bin/true; else "$B/igd-regroup-hook" 100 "$1" > /dev/null; fi
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 )) >> "$R/t"
		i=$((i + 1))
	done
	sort -n "$R/t" | awk -v p="$1" '{ v[NR] = $1 } END { printf "%-10s wall over %d runs: median %.2f ms, min %.2f ms, max %.2f ms\n", p, NR, v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
}

echo "igd-regroup-hook on the HP EliteDesk 800 G4 fixture (split state), VM 100 passing 02.0 and 1f.3"
echo "(floor: /bin/true timed the same way: this machine's cost of starting any program)"
time_phase floor
time_phase post-start
time_phase pre-start
if command -v valgrind >/dev/null; then
	for p in post-start pre-start; do
		valgrind --tool=callgrind --callgrind-out-file="$R/cg.out" "$B/igd-regroup-hook" 100 $p > /dev/null 2> "$R/cg.err"
		awk -v p=$p '/Collected/ { printf "%-10s instructions (callgrind): %s\n", p, $NF }' "$R/cg.err"
	done
fi
