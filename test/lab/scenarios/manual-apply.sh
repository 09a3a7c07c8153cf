# Scenario 2: `igd-regroup apply` by hand after the boot, with the network up
# (igd-regroup.service skipped by its lab drop-in). The groups split and stay
# split, nothing is left removed, and since the NIC was up and in vmbr0 the
# run records it for the notifier (/run/igd-regroup/cycled-nics).
wait_boot
check "lab: igd-regroup.service did not run at boot" \
	test "$(systemctl show -P ConditionResult igd-regroup.service)" = no
nic=$(nic_name)
check "lab: the network is up: ${nic:-?} and tap101i0 in vmbr0, ${nic:-?} with carrier" wait_until 30 network_up
show_groups "before: "
# The engine alone: when the notifier is installed, apply starts it, and it
# brings the network back and removes the record. Masked here (for this
# boot only) so that what the engine leaves for it stays to be seen.
if systemctl cat igd-regroup-netnotify.service >/dev/null 2>&1; then
	systemctl mask --runtime --quiet igd-regroup-netnotify.service
	diag "igd-regroup-netnotify.service is installed; masked for this boot to see the engine's record"
fi
check "before: $HP_FUNCS share one IOMMU group" same_group $HP_FUNCS

# The split predicted from the header types (1f.0 has the multi-function
# bit but comes back first; the others have it clear) before anything runs.
run_igd dry apply --dry-run
for f in $HP_FUNCS; do
	check "the dry run predicts: $f will get a group of its own" grep -qx "  $f will get a group of its own" "$WORK/dry.out"
done

run_igd apply apply
check "igd-regroup apply exits 0" test "$rc" = 0
check "the kernel did as predicted: apply reports no difference" sh -c "! grep -q 'predicted' '$WORK/apply.err'"
for f in $HP_FUNCS; do
	check "$f is alone in its IOMMU group (group $(group_of "$f"))" alone "$f"
done
check "nothing is left removed: $HP_FUNCS are present" all_present $HP_FUNCS
for d in $HP_VFIO; do
	check "$d is bound to vfio-pci" has_driver "$d" vfio-pci
done
check "drivers_autoprobe is back on" autoprobe_on
after=$(groups_line $HP_FUNCS)
show_groups "after: "

diag_file /run/igd-regroup/cycled-nics "cycled-nics: "
check "the need for the notifier is recorded: /run/igd-regroup/cycled-nics has '$NIC_ADDR ${nic:-?} vmbr0 <usec>'" \
	grep -Eqx "$NIC_ADDR ${nic:-none} vmbr0 [0-9]+" /run/igd-regroup/cycled-nics
check "apply says the network went away and the notifier brings it back" \
	grep -q "The host network was up on ${nic:-none} in vmbr0 and went away with the removal: igd-regroup-netnotify.service brings it back." "$WORK/apply.err"
check "the journal entry says so too (IGD_NICS_CYCLED=1, IGD_RESULT=ok)" journal_entry IGD_NICS_CYCLED=1 IGD_RESULT=ok

# "Stay split": udev has finished with everything the rescan brought, and a
# while later the groups are those apply reported.
udevadm settle --timeout=60
sleep 3
check "the groups stay split after udev settled ($after)" test "$(groups_line $HP_FUNCS)" = "$after"
for f in $HP_FUNCS; do
	check "$f is still alone" alone "$f"
done
diag "note: ${nic:-?} is in $(port_of "${nic:-none}") now: bringing it back into vmbr0 is the notifier's job (igd-regroup-netnotify), masked here."
