#!/bin/sh
# make demo-lab: igd-regroup on a real Linux kernel, for a newcomer without a
# Proxmox host. Boots the lab's newest guest (Debian 13 and its newest
# kernel, test/lab/generations; igd-regroup installed from its .deb) under
# QEMU (software emulation; the PCH functions of the HP EliteDesk 800 G4 rebuilt at
# 00:1f.*, sharing one IOMMU group) and shows `igd-regroup status`, the apply
# with the seed's config, and `status` again. Nothing on this machine is
# written outside test/lab/cache/. The first run builds the guest (about two
# minutes); later runs take about one.
#
# Usage: test/lab/demo.sh   (as root; env as for lab.sh, and LAB_GENERATION=ID
#        for another generation of test/lab/generations)
set -eu
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$LAB_DIR/common.sh"

lab_prepare "${LAB_GENERATION:-$(lab_newest)}"
say "booting the guest (QEMU, no KVM: about a minute) ..."
t=$(date +%s)
lab_boot demo demo hp &
qpid=$!
sleep 1
# the guest's demo output, as it comes
tail -n +1 -f --pid="$qpid" "$LOGS/$GEN-demo.result.log" 2>/dev/null | tr -d '\r' |
	grep -avE '^# (uptime at the end|lab-groups:)' &
wait "$qpid" && qrc=0 || qrc=$?
wait
if lab_verdict demo; then
	say "demo done in $(secs_since "$t") s ($VERDICT; the guest's console: $LOGS/$GEN-demo.console.log)"
else
	say "the demo FAILED: $VERDICT (qemu status $qrc; console log: $LOGS/$GEN-demo.console.log)"
	exit 1
fi
