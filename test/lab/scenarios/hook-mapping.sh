# The hook issue, c): a VM that passes the audio function through a PCI
# resource mapping (hostpci0: mapping=NAME, resolved through
# /etc/pve/mapping/pci.cfg for this node, as Proxmox 8 does). On a boot
# without igd-regroup.service the pre-start refuses and names 0000:00:1f.3;
# after `igd-regroup apply` it passes. The mapping also has an entry for
# another node (path 1f.6): it must not count here.
wait_boot
nic=$(nic_name)
node=$(node_name)
check "lab: igd-regroup.service did not run at boot" \
	test "$(systemctl show -P ConditionResult igd-regroup.service)" = no
check "lab: the network is up: ${nic:-?} and tap101i0 in vmbr0" wait_until 30 network_up
check "lab: before: $HP_FUNCS share one IOMMU group" same_group $HP_FUNCS
g=$(group_of 0000:00:1f.3)
id=$(sed 's/^0x//' "$PCI/0000:00:1f.3/vendor"):$(sed 's/^0x//' "$PCI/0000:00:1f.3/device")
nic_id=$(sed 's/^0x//' "$PCI/$NIC_ADDR/vendor"):$(sed 's/^0x//' "$PCI/$NIC_ADDR/device")

# /etc/pve/mapping/pci.cfg as the GUI (Datacenter > Resource Mappings) writes it
mkdir -p /etc/pve/mapping
printf '%s\n' \
	"hdmi-audio" \
	"	map node=$node,path=0000:00:1f.3,id=$id" \
	"	map node=pve-other,path=$NIC_ADDR,id=$nic_id" \
	"	description iGPU HDMI/DP audio" \
	"" \
	"onboard-nic" \
	"	map node=$node,path=$NIC_ADDR,id=$nic_id" \
	>/etc/pve/mapping/pci.cfg
diag "this node: $node (the first label of /etc/hostname)"
diag_file /etc/pve/mapping/pci.cfg "  pci.cfg: "
vm_conf 100 "boot: order=scsi0" "cores: 2" "hostpci0: mapping=hdmi-audio,pcie=1" "machine: q35" \
	"memory: 2048" "name: media" "net0: virtio=BC:24:11:00:00:01,bridge=vmbr0" "ostype: l26"

run_hook refused 100 pre-start
check "pre-start before the split exits 1" test "$rc" = 1
check "it resolves the mapping to 0000:00:1f.3 and refuses: 'refusing to start VM 100: 0000:00:1f.3 (...) shares IOMMU group $g with ...'" \
	grep -Eq "^igd-regroup: refusing to start VM 100: 0000:00:1f\.3 \(.*HD Audio Controller\) shares IOMMU group $g with " "$WORK/refused.err"
check "... naming the host's NIC 0000:00:1f.6 (${nic:-?} in vmbr0) as a device the host uses" \
	grep -Eq "with .*0000:00:1f\.6 \(.*, driver e1000, ${nic:-none} in vmbr0\).*, which the host uses" "$WORK/refused.err"
check "... with the fix (igd-regroup apply)" grep -qF "Run 'igd-regroup apply' (or enable igd-regroup.service) to split the group." "$WORK/refused.err"
check "the other node's map line (path $NIC_ADDR) is not taken as passed: 1f.6 is named only as the host's" \
	sh -c "! grep -Eq '0000:00:1f\.3 \(.*\) and 0000:00:1f\.6|share IOMMU group' '$WORK/refused.err'"
same=$(for f in $HP_FUNCS; do printf '%s=%s ' "$f" "$g"; done)
check "the refusal changed nothing: all still in group $g, 0000:00:1f.3 still on snd_hda_intel" \
	test "$(groups_line $HP_FUNCS) $(driver_of 0000:00:1f.3)" = "${same% } snd_hda_intel"

notifier_mark
run_igd apply apply
check "igd-regroup apply exits 0" test "$rc" = 0
# The notifier apply started is incidental here (hook-reset and
# netnotify-restart assert it): it has to have ended, and how is reported.
check "the $NOTIFIER apply started has run and ended" wait_until 120 notifier_finished
notifier_show
notifier_succeeded >/dev/null || diag "FINDING: the $NOTIFIER run apply started did not succeed (see its lines above)"
check "0000:00:1f.3 is alone in its IOMMU group now" alone 0000:00:1f.3

run_hook passed 100 pre-start
check "pre-start after the split exits 0" test "$rc" = 0
check "it counts one passed device (this node's map line only): 'igd-regroup: VM 100: 1 passed device(s) checked; none takes a device from the host.'" \
	grep -qxF "igd-regroup: VM 100: 1 passed device(s) checked; none takes a device from the host." "$WORK/passed.out"
check "0000:00:1f.3 is on vfio-pci" has_driver 0000:00:1f.3 vfio-pci


# a mapping that pci.cfg does not define: the start is refused, naming it
vm_conf 100 "hostpci0: mapping=no-such-map" "name: media"
run_hook undefined 100 pre-start
check "a mapping pci.cfg does not define: exit 1, 'mapping 'no-such-map' is not defined in /etc/pve/mapping/pci.cfg'" \
	sh -c "test $rc = 1 && grep -qF \"mapping 'no-such-map' is not defined in /etc/pve/mapping/pci.cfg\" '$WORK/undefined.err'"
