# Scenario 3 (negative): the audio function 1f.3 is added with
# multifunction=on (bit 7 of its header type set). After remove + rescan the
# kernel puts it back into a group with the LPC at 1f.0 (whose header has
# the bit too); the functions with the bit clear get groups of their own.
#  a) With 1f.0 left to the host (the Esprimo's [vfio] devices: 02.0 and
#     1f.3 only), apply must say plainly that 1f.3 is still shared with a
#     host device and exit 1, and check must warn.
#  b) With the HP's config, 1f.0 is a [vfio] device too: 1f.3's only peer is
#     a passthrough peer, which README's rule accepts ("alone with its
#     passthrough peers"): apply still reports it as shared but exits 0, and
#     the kernel must agree that the group is viable.
wait_boot
check "lab: 0000:00:1f.3 has the multi-function bit of its header type set" is_multifunction 0000:00:1f.3
check "lab: so has 0000:00:1f.0 (q35's LPC, as on real PCHs)" is_multifunction 0000:00:1f.0
show_groups "before: "

conf=$WORK/esprimo-vfio.conf
printf '[regroup]\nfunctions = %s\n[vfio]\ndevices = 0000:00:02.0 0000:00:1f.3\n' "$HP_FUNCS" >"$conf"
chmod 0644 "$conf"
diag "a) config: functions = $HP_FUNCS; [vfio] devices = 0000:00:02.0 0000:00:1f.3"
# Predicted from the header types: 1f.3 has the multi-function bit and finds
# 1f.0 (found again just before it); the functions with the bit clear split.
run_igd dry apply --dry-run --config "$conf"
check "a) the dry run predicts: 0000:00:1f.3 will stay grouped with 0000:00:1f.0" \
	grep -qx "  0000:00:1f.3 will stay grouped with 0000:00:1f.0 (multi-function header)" "$WORK/dry.out"
check "a) ... and 0000:00:1f.0 with 0000:00:1f.3" \
	grep -qx "  0000:00:1f.0 will stay grouped with 0000:00:1f.3 (multi-function header)" "$WORK/dry.out"
for f in 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6; do
	check "a) the dry run predicts: $f will get a group of its own" grep -qx "  $f will get a group of its own" "$WORK/dry.out"
done
run_igd check-before check --config "$conf"
check "a) check warns before the run: 0000:00:1f.3 will stay grouped with 0000:00:1f.0 (a [vfio] device)" \
	grep -Eq '^WARN +split +0000:00:1f\.3 will stay grouped with 0000:00:1f\.0 after the split: .*as a \[vfio\] device it cannot be passed through without them$' "$WORK/check-before.out"
run_igd apply apply --config "$conf"
check "a) igd-regroup apply exits 1" test "$rc" = 1
check "a) the kernel did as predicted: apply reports no difference" sh -c "! grep -q 'predicted' '$WORK/apply.err'"
check "a) apply reports '0000:00:1f.3: group A -> B (still shared with N other device(s))'" \
	grep -Eqx '0000:00:1f\.3: group [0-9]+ -> [0-9]+ \(still shared with [0-9]+ other devices?\)' "$WORK/apply.out"
check "a) apply says why: 1f.3 is still in a group with the host's 0000:00:1f.0 (lpc_ich) and cannot be passed through alone" \
	grep -Eq '^0000:00:1f\.3 is still in IOMMU group [0-9]+ with host devices: 0000:00:1f\.0 \(lpc_ich\)\..*it cannot be passed through alone\.$' "$WORK/apply.err"
check "a) apply's result line says failed" grep -Eq '^Result: failed ' "$WORK/apply.out"
check "a) the journal entry says failed (IGD_RESULT=failed)" journal_entry IGD_RESULT=failed
show_groups "a) after: "
g=$(group_of 0000:00:1f.3)
check "a) the kernel agrees: 0000:00:1f.3 shares group $g with 0000:00:1f.0 ($(group_members "$g"))" \
	same_group 0000:00:1f.3 0000:00:1f.0
check "a) and VFIO says its group is not viable (1f.0 is on lpc_ich)" sh -c "! $LABTOOL vfio-viable $g"
check "a) nothing is left removed: $HP_FUNCS are present" all_present $HP_FUNCS
for f in 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6; do
	check "a) $f (multi-function bit clear) is alone" alone "$f"
done
check "a) drivers_autoprobe is back on" autoprobe_on
run_igd check check --config "$conf"
check "a) igd-regroup check warns that 0000:00:1f.3 still shares its IOMMU group" \
	grep -Eq '^WARN +group +0000:00:1f\.3 still shares IOMMU group [0-9]+ with ' "$WORK/check.out"

diag "b) the HP config: /etc/igd-regroup.conf ([vfio] devices include 1f.0)"
run_igd apply-hp apply
check "b) apply reports 1f.3 as still shared with 1 other device" \
	grep -Eqx '0000:00:1f\.3: group [0-9]+ -> [0-9]+ \(still shared with 1 other device\)' "$WORK/apply-hp.out"
check "b) whose only peer is 1f.0, a [vfio] device: apply counts it isolated and exits 0" \
	sh -c "test $rc = 0 && grep -qx '0000:00:1f.3: bound to vfio-pci, isolated' '$WORK/apply-hp.out'"
check "b) the kernel agrees: 1f.3's group ($(group_members "$(group_of 0000:00:1f.3)")) is viable" vfio_viable 0000:00:1f.3
