# Found on the real kernel (not one of the scenarios): a function of
# slot 1f that is present but not in [regroup] functions -- here a PMC at
# 1f.2, as the Esprimo Q957 has -- keeps the old group, and the LPC at 1f.0,
# whose header type has the multi-function bit set (q35's LPC does, as real
# PCHs' do), joins it again after the rescan. apply must report 1f.0 as still
# shared; whether it may pass it anyway must agree with VFIO's viability.
# With 1f.2 listed too, every function gets a group of its own.
wait_boot
check "lab: 0000:00:1f.0 has the multi-function bit of its header type set" is_multifunction 0000:00:1f.0
check "lab: 0000:00:1f.2 is present and shares 1f.0's group at boot" same_group 0000:00:1f.0 0000:00:1f.2
show_groups "before: "

run_igd apply apply
check "with the HP config (no 1f.2), apply reports '0000:00:1f.0: group A -> A (still shared with 1 other device)'" \
	grep -Eqx '0000:00:1f\.0: group ([0-9]+) -> \1 \(still shared with 1 other device\)' "$WORK/apply.out"
check "the kernel agrees: 1f.0 and 1f.2 share group $(group_of 0000:00:1f.0)" same_group 0000:00:1f.0 0000:00:1f.2
if grep -qx '0000:00:1f.0: bound to vfio-pci, isolated' "$WORK/apply.out"; then
	check "apply counts 1f.0 isolated (1f.2 has no driver) and exits 0" test "$rc" = 0
	check "... and VFIO agrees: 1f.0's group is viable" vfio_viable 0000:00:1f.0
else
	check "apply counts 1f.0 not isolated and exits 1" test "$rc" = 1
fi
for f in 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6; do
	check "$f is alone" alone "$f"
done
check "nothing is left removed" all_present $HP_FUNCS 0000:00:1f.2
show_groups "after: "

conf=$WORK/with-1f2.conf
printf '[regroup]\nfunctions = 0000:00:1f.0 0000:00:1f.2 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n[vfio]\ndevices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n' >"$conf"
chmod 0644 "$conf"
run_igd apply2 apply --config "$conf"
check "with 1f.2 listed too, apply exits 0" test "$rc" = 0
for f in 0000:00:1f.0 0000:00:1f.2 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6; do
	check "$f is alone" alone "$f"
done
show_groups "after listing 1f.2: "
