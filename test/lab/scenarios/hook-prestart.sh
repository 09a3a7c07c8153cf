# The hook issue, a): on a boot without igd-regroup.service (the PCH
# functions 1f.0-1f.6 share one IOMMU group, the NIC at 1f.6 is up in
# vmbr0), `igd-regroup-hook 100 pre-start` for VM 100 passing the audio
# function 1f.3 must refuse the start (exit 1: Proxmox aborts it) with one
# message naming the passed device, the host's NIC and its interface and
# bridge, the group and the fix, and must change nothing. After
# `igd-regroup apply` split the group, the same pre-start passes (exit 0).
wait_boot
nic=$(nic_name)
check "lab: igd-regroup.service did not run at boot" \
	test "$(systemctl show -P ConditionResult igd-regroup.service)" = no
check "lab: the network is up: ${nic:-?} and tap101i0 in vmbr0, ${nic:-?} with carrier" wait_until 30 network_up
check "lab: before: $HP_FUNCS share one IOMMU group" same_group $HP_FUNCS
show_groups "before: "
g=$(group_of 0000:00:1f.3)

# VM 100 of the seed, as `qm config` would show it: the audio function passed alone
vm_conf 100 "boot: order=scsi0" "cores: 2" "hostpci0: 0000:00:1f.3" "machine: q35" \
	"memory: 2048" "name: media" "net0: virtio=BC:24:11:00:00:01,bridge=vmbr0" "ostype: l26"
before=$(groups_line $HP_FUNCS) drivers_before="$(driver_of 0000:00:1f.3) $(driver_of $NIC_ADDR)"

run_hook refused 100 pre-start
msg=$(cat "$WORK/refused.out" "$WORK/refused.err")
check "pre-start before the split exits 1 (Proxmox aborts the start)" test "$rc" = 1
check "the message says it refuses to start VM 100" grep -q '^igd-regroup: refusing to start VM 100: ' "$WORK/refused.err"
has() { # has WHAT: the refusal names it
	grep -qF -- "$1" <<<"$msg" || { echo "not in the hook's output: $1"; return 1; }
}
check "... names the passed device: 0000:00:1f.3 (its name) shares IOMMU group $g" \
	grep -Eq "refusing to start VM 100: 0000:00:1f\.3 \(.*HD Audio Controller\) shares IOMMU group $g with " "$WORK/refused.err"
check "... names the host's NIC with its driver, interface and bridge: 0000:00:1f.6 (..., driver e1000, ${nic:-?} in vmbr0)" \
	grep -Eq "0000:00:1f\.6 \(.*, driver e1000, ${nic:-none} in vmbr0\)" "$WORK/refused.err"
check "... names the LPC bridge the host also uses: 0000:00:1f.0 (..., driver lpc_ich)" \
	grep -Eq "0000:00:1f\.0 \(.*, driver lpc_ich\)" "$WORK/refused.err"
check "... and not the unused 1f.4/1f.5 (no driver)" sh -c "! grep -Eq '0000:00:1f\.[45] ' '$WORK/refused.err'"
check "... says what would happen: Proxmox would bind them to vfio-pci and take them from the host" \
	has "which the host uses; Proxmox would bind them to vfio-pci and take them from the host."
check "... and the fix: 'igd-regroup apply' (or enable igd-regroup.service)" \
	has "Run 'igd-regroup apply' (or enable igd-regroup.service) to split the group."
check "it does not say the start is fine" sh -c "! grep -q 'none takes a device from the host' '$WORK/refused.out' '$WORK/refused.err'"
check "the refusal changed nothing: groups ($before) and drivers of 1f.3 and 1f.6 ($drivers_before)" \
	test "$(groups_line $HP_FUNCS) $(driver_of 0000:00:1f.3) $(driver_of $NIC_ADDR)" = "$before $drivers_before"
check "the host keeps its network: ${nic:-?} and tap101i0 in vmbr0" network_up
JOURNAL_MATCH=(IGD_PHASE=pre-start)
check "the hook's journal entry says refused (MESSAGE_ID=$HOOK_MSGID, IGD_VMID=100, IGD_RESULT=refused)" \
	journal_msg "$HOOK_MSGID" IGD_VMID=100 IGD_RESULT=refused
JOURNAL_MATCH=()

# The fix the message names
notifier_mark
run_igd apply apply
check "igd-regroup apply exits 0" test "$rc" = 0
# (its network part is the reset scenarios'; here it only has to be done)
# The notifier apply started is incidental here (hook-reset and
# netnotify-restart assert it): it has to have ended, and how is reported.
check "the $NOTIFIER apply started has run and ended" wait_until 120 notifier_finished
notifier_show
notifier_succeeded >/dev/null || diag "FINDING: the $NOTIFIER run apply started did not succeed (see its lines above)"
check "${nic:-?} and tap101i0 are back in vmbr0, ${nic:-?} with carrier" wait_until 30 network_up
show_groups "after apply: "
check "0000:00:1f.3 is alone in its IOMMU group now (group $(group_of 0000:00:1f.3))" alone 0000:00:1f.3
check "$NIC_ADDR is alone in its IOMMU group now (group $(group_of $NIC_ADDR))" alone $NIC_ADDR

run_hook passed 100 pre-start
check "pre-start after the split exits 0" test "$rc" = 0
check "it says: 'igd-regroup: VM 100: 1 passed device(s) checked; none takes a device from the host.'" \
	grep -qxF "igd-regroup: VM 100: 1 passed device(s) checked; none takes a device from the host." "$WORK/passed.out"
check "no refusal and no warning" sh -c "! grep -Eq 'refusing|warning' '$WORK/passed.out' '$WORK/passed.err'"
check "0000:00:1f.3 is on vfio-pci, ready for the VM" has_driver 0000:00:1f.3 vfio-pci
check "VFIO calls 0000:00:1f.3's group $(group_of 0000:00:1f.3) viable" vfio_viable 0000:00:1f.3
check "the host still has its network" network_up
JOURNAL_MATCH=(IGD_PHASE=pre-start)
check "the hook's journal entry says ok (IGD_VMID=100, IGD_RESULT=ok)" journal_msg "$HOOK_MSGID" IGD_VMID=100 IGD_RESULT=ok
JOURNAL_MATCH=()
