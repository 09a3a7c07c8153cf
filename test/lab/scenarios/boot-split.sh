# Scenario 1: igd-regroup.service at boot with the HP EliteDesk config
# (test/fixtures/hp-elitedesk-800-g4.conf as /etc/igd-regroup.conf).
# The unit runs before the network is configured: it must have finished
# before networking.service started, split every configured function into a
# group of its own, bound the [vfio] devices to vfio-pci (viable groups), and
# left the network to come up once, with the NIC in vmbr0.
wait_boot
show_groups
diag "$(systemctl status --no-pager -n 30 igd-regroup.service 2>&1)"

state=$(systemctl show -P ActiveState igd-regroup.service)/$(systemctl show -P Result igd-regroup.service)
check "igd-regroup.service ran at boot and succeeded (state $state)" test "$state" = active/success

t_igd=$(systemctl show -P ActiveEnterTimestampMonotonic igd-regroup.service)
t_net=$(systemctl show -P InactiveExitTimestampMonotonic networking.service)
t_net_exec=$(systemctl show -P ExecMainStartTimestampMonotonic networking.service)
check "igd-regroup.service finished (${t_igd:-?} us) before networking.service started (${t_net:-?} us, its ExecStart at ${t_net_exec:-?} us)" \
	test "${t_igd:-0}" -gt 0 -a "${t_igd:-0}" -le "${t_net:-0}" -a "${t_igd:-0}" -le "${t_net_exec:-0}"

for f in $HP_FUNCS; do
	check "$f is alone in its IOMMU group (group $(group_of "$f"))" alone "$f"
done
for d in $HP_VFIO; do
	check "$d is bound to vfio-pci" has_driver "$d" vfio-pci
	check "$d: its IOMMU group $(group_of "$d") is viable (VFIO_GROUP_GET_STATUS)" vfio_viable "$d"
done
check "drivers_autoprobe is back on" autoprobe_on
check "no NIC was up when the unit cycled it: nothing recorded for the notifier (no /run/igd-regroup/cycled-nics)" \
	test ! -e /run/igd-regroup/cycled-nics

starts=$(unit_msgs networking.service $MSGID_UNIT_STARTING)
stops=$(unit_msgs networking.service $MSGID_UNIT_STOPPING)
check "networking.service started once (journal: $starts start)" test "$starts" = 1
check "networking.service was never restarted (journal: $stops stop, NRestarts=$(systemctl show -P NRestarts networking.service), InactiveEnterTimestampMonotonic=$(systemctl show -P InactiveEnterTimestampMonotonic networking.service))" \
	test "$stops" = 0 -a "$(systemctl show -P NRestarts networking.service)" = 0 \
	-a "$(systemctl show -P InactiveEnterTimestampMonotonic networking.service)" = 0

nic=$(nic_name)
check "the NIC ${nic:-?} ($NIC_ADDR) is a port of vmbr0" wait_until 20 in_bridge "${nic:-none}" vmbr0
check "${nic:-?} has carrier" wait_until 20 has_carrier "${nic:-none}"
check "lab: the VM port stand-in tap101i0 is in vmbr0" in_bridge tap101i0 vmbr0

JOURNAL_MATCH=(_SYSTEMD_UNIT=igd-regroup.service)
check "the journal has igd-regroup.service's entry (MESSAGE_ID=$ENGINE_MSGID, IGD_RESULT=ok)" \
	journal_entry IGD_RESULT=ok IGD_RECOVERY_RESCAN=0
groups=$(journalctl -b -q -o verbose "MESSAGE_ID=$ENGINE_MSGID" _SYSTEMD_UNIT=igd-regroup.service -n 1 |
	sed -n 's/^    IGD_GROUPS=//p')
diag "IGD_GROUPS=$groups"
# What the boot looked like before the unit split it: the lab's own sanity.
before=$(printf '%s\n' $groups | sed 's/.*=\(.*\)>.*/\1/' | sort -u | wc -l)
before6=$(printf '%s\n' $groups | sed -n 's/^0000:00:1f\.6=\(.*\)>.*/\1/p')
before0=$(printf '%s\n' $groups | sed -n 's/^0000:00:1f\.0=\(.*\)>.*/\1/p')
if [ "$LAYOUT" = e1000e ]; then
	check "lab: before the unit, 1f.0-1f.5 shared one group and the e1000e at 1f.6 had its own" \
		test "$before" = 2 -a -n "$before6" -a "$before6" != "$before0"
else
	check "lab: before the unit, 1f.0-1f.6 shared one IOMMU group, as on the HP" test "$before" = 1
fi
