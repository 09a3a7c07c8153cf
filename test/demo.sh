#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: igd-regroup on the HP EliteDesk 800 G4 of seeds/000, rebuilt as a
# directory tree in a temporary folder, with the kernel's PCI behaviour
# simulated (test/sim.c). Nothing on this machine is written.
set -eu
B=${1:-build}
SRC=$(dirname "$0")
TOPO=$SRC/fixtures/hp-elitedesk-800-g4.topo
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/igd-demo.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT

"$B/test/mkfixture" "$ROOT" "$TOPO"
cp "$SRC/fixtures/hp-elitedesk-800-g4.conf" "$ROOT/igd-regroup.conf"
chmod 600 "$ROOT/igd-regroup.conf"
export IGD_REGROUP_ROOT="$ROOT" IGD_REGROUP_CONFIG="$ROOT/igd-regroup.conf"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step igd-regroup status
"$B/igd-regroup" status
step igd-regroup check
"$B/igd-regroup" check || true
step igd-regroup apply --dry-run
"$B/igd-regroup" apply --dry-run
step "igd-regroup apply    (on the simulated sysfs)"
IGD_SIM_ROOT="$ROOT" IGD_SIM_TOPO="$TOPO" "$B/test/igd-regroup-sim" apply
step igd-regroup status
"$B/igd-regroup" status
