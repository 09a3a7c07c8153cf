#!/bin/sh
# make bench: in one boot of the lab's guest, with the network up, the same
# five PCH functions cycled by the bare kernel work (the floor), by
# `igd-regroup apply` with its notifier's action = reload and = restart, and
# by the seeds' passthrough-tweak.sh verbatim: wall times, ratios, how long
# the NIC was out of vmbr0, the downtime the notifier reported, and whether
# the VM's tap stayed in vmbr0 (see scenarios/bench.sh for each row).
#
# Usage: test/lab/bench.sh [ROUNDS]   (as root; ROUNDS default 1, or
#        $BENCH_ROUNDS; with more, medians are reported). The newest
#        generation (test/lab/generations), or LAB_GENERATION=ID.
set -eu
rounds=${1:-${BENCH_ROUNDS:-1}}
case $rounds in '' | *[!0-9]* | 0) echo "bench.sh: ROUNDS must be a number > 0" >&2; exit 2 ;; esac
# the boot and a round take about a minute each under QEMU without KVM
LAB_TIMEOUT=${LAB_TIMEOUT:-$((240 + 120 * rounds))}
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$LAB_DIR/common.sh"

lab_prepare "${LAB_GENERATION:-$(lab_newest)}"
say "booting the guest for the bench ($rounds round(s); each takes about a minute under QEMU without KVM) ..."
t=$(date +%s)
lab_boot bench bench hp "igd.rounds=$rounds" &
qpid=$!
sleep 1
tail -n +1 -f --pid="$qpid" "$LOGS/$GEN-bench.result.log" 2>/dev/null | tr -d '\r' | grep -avE '^# ( |lab-groups:)' &
wait "$qpid" && qrc=0 || qrc=$?
wait
if lab_verdict bench; then
	say "bench done in $(secs_since "$t") s (details: $LOGS/$GEN-bench.result.log)"
else
	say "the bench FAILED: $VERDICT (qemu status $qrc; console log: $LOGS/$GEN-bench.console.log)"
	exit 1
fi
