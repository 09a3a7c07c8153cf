# The notifier issue, f): the boot never starts the notifier. With
# igd-regroup.service enabled at boot (igd.boot-unit, as in boot-split) the
# NIC at 1f.6 is cycled before networking.service configures it, so the
# engine records no NIC (IGD_NICS_CYCLED=0) and
# igd-regroup-netnotify.service never runs: no invocation, no start time,
# nothing in its journal; networking.service alone brings the network up,
# once.
wait_boot
nic=$(nic_name)
state=$(systemctl show -P ActiveState igd-regroup.service)/$(systemctl show -P Result igd-regroup.service)
check "igd-regroup.service ran at boot and succeeded (state $state)" test "$state" = active/success
for f in $HP_FUNCS; do
	check "$f is alone in its IOMMU group" alone "$f"
done
check "the network came up: ${nic:-?} and tap101i0 in vmbr0, ${nic:-?} with carrier" wait_until 30 network_up
# anything the boot queued has run by now: is-system-running --wait returned
diag "queued jobs: $(systemctl list-jobs --no-legend | wc -l)"

diag "$(systemctl status --no-pager $NOTIFIER 2>&1)"
diag "$NOTIFIER: $(systemctl show -p LoadState -p UnitFileState -p ActiveState -p InvocationID -p ExecMainStartTimestampMonotonic -p InactiveExitTimestampMonotonic -p NRestarts $NOTIFIER | tr '\n' ' ')"
check "lab: $NOTIFIER is installed (LoadState loaded, UnitFileState static: no [Install], never enabled)" \
	test "$(notifier_prop LoadState)/$(notifier_prop UnitFileState)" = loaded/static
check "$NOTIFIER has no InvocationID ('$(notifier_prop InvocationID)')" \
	test -z "$(notifier_prop InvocationID)"
# (weak on their own: systemd unloads an ended oneshot, and a freshly loaded
# unit shows these empty too; the journal below is what proves it never ran)
check "$NOTIFIER: ExecMainStartTimestampMonotonic and InactiveExitTimestampMonotonic are 0" \
	test "$(notifier_prop ExecMainStartTimestampMonotonic)" = 0 -a "$(notifier_prop InactiveExitTimestampMonotonic)" = 0
check "... ActiveState inactive, and still inactive after a few seconds" \
	sh -c "sleep 3; test \"\$(systemctl show -P ActiveState $NOTIFIER)\" = inactive -a -z \"\$(systemctl show -P InvocationID $NOTIFIER)\""
check "$NOTIFIER never ran at this boot: journalctl -b -u $NOTIFIER shows nothing (no Starting/Finished, no output)" \
	test -z "$(journalctl -b -q -u "$NOTIFIER" 2>&1)"
check "... and there is no notifier entry in the journal (MESSAGE_ID=$NETNOTIFY_MSGID)" \
	test -z "$(journalctl -b -q "MESSAGE_ID=$NETNOTIFY_MSGID" 2>&1)"

JOURNAL_MATCH=(_SYSTEMD_UNIT=igd-regroup.service)
check "the boot unit's engine entry says IGD_NICS_CYCLED=0 (IGD_RESULT=ok)" journal_entry IGD_NICS_CYCLED=0 IGD_RESULT=ok
JOURNAL_MATCH=()
journalctl -b -q -o cat -u igd-regroup.service | sed 's/^/#   igd-regroup.service: /'
check "the boot unit said nothing about the notifier" \
	sh -c "! journalctl -b -q -o cat -u igd-regroup.service | grep -q netnotify"
check "nothing recorded for the notifier (no /run/igd-regroup/cycled-nics)" test ! -e /run/igd-regroup/cycled-nics
starts=$(unit_msgs networking.service $MSGID_UNIT_STARTING)
check "networking.service started once and was never reloaded or stopped (journal: $starts start, $(unit_msgs networking.service $MSGID_UNIT_RELOADING) reload, $(unit_msgs networking.service $MSGID_UNIT_STOPPING) stop)" \
	test "$starts" = 1 -a "$(unit_msgs networking.service $MSGID_UNIT_RELOADING)" = 0 \
	-a "$(unit_msgs networking.service $MSGID_UNIT_STOPPING)" = 0
