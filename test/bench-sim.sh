#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Figures for `igd-regroup apply` on the simulated sysfs with the HP EliteDesk
# fixture: wall time over N fresh trees, the engine's own phase split, and
# the system calls of one run (strace -c). The simulator's own file work is
# part of every figure: the real kernel's cost is measured in the lab.
set -eu
B=${B:-build}
N=${N:-20}
SRC=$(dirname "$0")
TOPO=$SRC/fixtures/hp-elitedesk-800-g4.topo
W=$(mktemp -d "${TMPDIR:-/tmp}/igd-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

run_once() { # $1 = root; prints the engine's Result line
	"$B/test/mkfixture" "$1" "$TOPO"
	cp "$SRC/fixtures/hp-elitedesk-800-g4.conf" "$1/conf"
	chmod 600 "$1/conf"
	IGD_SIM_ROOT="$1" IGD_SIM_TOPO="$TOPO" "$B/test/igd-regroup-sim" --root "$1" --config "$1/conf" apply 2>/dev/null |
		grep '^Result:'
}

i=0
: > "$W/results"
start=$(date +%s%N)
while [ $i -lt "$N" ]; do
	mkdir "$W/r$i"
	t0=$(date +%s%N)
	run_once "$W/r$i" >> "$W/results"
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 )) >> "$W/wall_us"
	rm -rf "$W/r$i"
	i=$((i + 1))
done

echo "igd-regroup apply on the simulated HP EliteDesk 800 G4 ($N fresh trees; the wall time includes building each tree)"
sort -n "$W/wall_us" | awk '{ v[NR] = $1 } END { printf "wall per run incl. fixture build: median %.1f ms, min %.1f ms, max %.1f ms\n", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
# "Result: ok in 49 ms (lock 0, remove 5, rescan 29, wait 7, bind 1)."
sed 's/[^0-9 ]/ /g' "$W/results" | awk '{ t += $1; l += $2; r += $3; s += $4; w += $5; b += $6; n++ }
	END { printf "engine, mean of %d runs: total %.1f ms = lock %.1f + remove %.1f + rescan %.1f + wait %.1f + bind %.1f (+ snapshots, verify)\n", n, t/n, l/n, r/n, s/n, w/n, b/n }'

if command -v strace >/dev/null; then
	mkdir "$W/s"
	"$B/test/mkfixture" "$W/s" "$TOPO"
	cp "$SRC/fixtures/hp-elitedesk-800-g4.conf" "$W/s/conf"
	chmod 600 "$W/s/conf"
	IGD_SIM_ROOT="$W/s" IGD_SIM_TOPO="$TOPO" strace -f -c -o "$W/strace" \
		"$B/test/igd-regroup-sim" --root "$W/s" --config "$W/s/conf" apply >/dev/null 2>&1 || true
	echo "system calls of one run (the simulator's included), strace -c:"
	awk '/^------/ { n++; next } n == 1 && NF >= 4 { print }' "$W/strace" | sort -k4 -n -r | head -12 |
		awk '{ printf "  %-16s %8s calls\n", $NF, $4 }'
	awk '$NF == "total" { printf "  %-16s %8s calls\n", "total", $4 }' "$W/strace"
fi
