# Scenario boot-no-iommu: a boot without an IOMMU (intel_iommu=off after the
# lab's intel_iommu=on; the kernel takes the last). igd-regroup.service, the
# dry run and the hook's pre-start each stop first with the one message that
# says the IOMMU is off and how to turn it on, and print no plan.
wait_boot
u=igd-regroup.service
MSG="The IOMMU is off: no IOMMU groups: add intel_iommu=on iommu=pt to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, run update-grub and reboot. Nothing was changed."
diag "kernel command line: $(cat /proc/cmdline)"
diag "$(systemctl status --no-pager -n 20 $u 2>&1)"

check "lab: the kernel made no IOMMU groups" sh -c '[ -z "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]'
check "lab: no IOMMU registered (/sys/class/iommu is empty)" sh -c '[ -z "$(ls /sys/class/iommu 2>/dev/null)" ]'
state=$(systemctl show -P ActiveState $u)/$(systemctl show -P Result $u)/$(systemctl show -P ExecMainStatus $u)
check "igd-regroup.service failed at boot with exit status 1 (state $state)" test "$state" = failed/exit-code/1
check "journalctl -p err -b -u $u: '$MSG'" \
	sh -c "journalctl -b -q -o cat -u $u -p err | grep -qxF -- '$MSG'"
check "the unit printed no report and no plan (no 'Result:' line, no group lines)" \
	sh -c "! journalctl -b -q -o cat -u $u | grep -qE '^(Result:|0000:)'"
check "nothing was removed: 1f.6 and 1f.3 are present" all_present 0000:00:1f.3 "$NIC_ADDR"

run_igd dry apply --dry-run
check "igd-regroup apply --dry-run exits 1" test "$rc" = 1
check "... with no plan on stdout" test ! -s "$WORK/dry.out"
check "... and the message on stderr" grep -qxF -- "$MSG" "$WORK/dry.err"

# the hook's pre-start for a VM that passes 1f.3: the same message, the start refused
vm_conf 100 "boot: order=scsi0" "cores: 2" "hostpci0: 0000:00:1f.3" "machine: q35" "memory: 512"
run_hook pre 100 pre-start
check "the hook's pre-start exits 1 (Proxmox aborts the start)" test "$rc" = 1
check "... and says the IOMMU is off, with the fix" grep -qxF -- "igd-regroup: $MSG" "$WORK/pre.err"
