# Scenario: igd-regroup.service at boot while udev is still busy with
# coldplug and the iGPU's driver loads late (test/lab/guest/etc/late-drm.rules,
# kernel command line igd.boot-unit modprobe.blacklist=bochs igd.late_drm=1:
# the coldplug event of 02.0 stays in udev's queue until the unit has
# rescanned, and bochs is loaded a second later, while the unit is about to
# bind, as a slow i915 load does on real hardware). The unit must wait for
# udev's queue before binding, and 02.0 must end on vfio-pci. Run three
# times in a row (boot-race-1..3; no_timer_check: the kernel's early IO-APIC
# timer check can fail, and panic, on a loaded host under software emulation).
wait_boot
show_groups
diag "$(systemctl status --no-pager -n 40 igd-regroup.service 2>&1)"
unit_log() { journalctl -b -q -o cat -u igd-regroup.service; }
unit_says() { unit_log | grep -qxF -- "$1" || { echo "igd-regroup.service did not say: $1"; return 1; }; }
unit_says_re() { unit_log | grep -qxE -- "$1" || { echo "igd-regroup.service said nothing like: $1"; return 1; }; }
after_udevd() { systemctl show -P After igd-regroup.service | tr ' ' '\n' | grep -qx systemd-udevd.service; }

state=$(systemctl show -P ActiveState igd-regroup.service)/$(systemctl show -P Result igd-regroup.service)
check "igd-regroup.service ran at boot and succeeded (state $state)" test "$state" = active/success
check "igd-regroup.service is ordered after systemd-udevd.service" \
	after_udevd

# The race happened: udev's queue was not empty when the unit came to bind,
# and the display driver registered after the unit had started.
t_unit=$(systemctl show -P ExecMainStartTimestampMonotonic igd-regroup.service)
k_line=$(journalctl -b -k -q -o short-monotonic | grep -m1 'igd-lab: loading bochs late')
b_line=$(journalctl -b -k -q -o short-monotonic | grep -m1 'Initialized bochs-drm')
diag "igd-regroup.service's ExecStart at ${t_unit:-?} us (monotonic)" "kernel: $k_line" "kernel: $b_line"
t_bochs=$(printf '%s\n' "$b_line" | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]*\)\].*/\1\2/p')
check "lab: bochs was loaded late, after igd-regroup.service started (${t_bochs:-?} us > ${t_unit:-?} us)" \
	test -n "$t_bochs" -a "${t_bochs:-0}" -gt "${t_unit:-0}" -a "${t_unit:-0}" -gt 0
check "the unit found udev still busy: 'udev is still processing events (/run/udev/queue exists): waiting for its queue to empty before binding.'" \
	unit_says "udev is still processing events (/run/udev/queue exists): waiting for its queue to empty before binding."
# It waited: until the queue was empty, or, when the machine is so loaded
# that udev's queue outlives [regroup] timeout_ms (the events the late
# driver's own devices bring), until then, and bound anyway: both are the
# bounded wait at work, and which one is a diagnostic.
waited() {
	unit_says_re "udev's event queue is empty after [0-9]+ ms\\." >/dev/null && return 0
	unit_says_re "warning: udev's event queue was still not empty after [0-9]+ ms \\(/run/udev/queue exists\\): binding anyway.*"
}
check "and bound only after waiting for the queue: 'udev's event queue is empty after N ms.' (or, past timeout_ms, 'still not empty ... binding anyway')" waited
diag "the unit's journal (udev, binds):"
unit_log | grep -E "udev|bound to|took the device|was taken by|not bound|did not take" | sed 's/^/#   /'
check "the late driver held 02.0 when the unit bound it, and was moved: '0000:00:02.0: bound to vfio-pci (was bochs-drm).'" \
	unit_says "0000:00:02.0: bound to vfio-pci (was bochs-drm)."

# Part of the same boot: the kernel gave the re-added audio function to its
# host driver at the rescan, and the unit said so at notice level.
notice_says() {
	journalctl -b -q -o cat -p notice -u igd-regroup.service | grep -qxF -- "$1" ||
		{ echo "no notice-level line: $1"; journalctl -b -q -o cat -p notice -u igd-regroup.service; return 1; }
}
check "at notice level: '0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.'" \
	notice_says "0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci."

check "0000:00:02.0 ends on vfio-pci" has_driver 0000:00:02.0 vfio-pci
check "0000:00:02.0: its IOMMU group $(group_of 0000:00:02.0) is viable (VFIO_GROUP_GET_STATUS)" vfio_viable 0000:00:02.0
for f in $HP_FUNCS; do
	check "$f is alone in its IOMMU group (group $(group_of "$f"))" alone "$f"
done
for d in 0000:00:1f.0 0000:00:1f.3; do
	check "$d is bound to vfio-pci" has_driver "$d" vfio-pci
done
JOURNAL_MATCH=(_SYSTEMD_UNIT=igd-regroup.service)
check "the unit's journal entry says ok (MESSAGE_ID=$ENGINE_MSGID, IGD_RESULT=ok)" journal_entry IGD_RESULT=ok
JOURNAL_MATCH=()
t_igd=$(systemctl show -P ActiveEnterTimestampMonotonic igd-regroup.service)
t_net=$(systemctl show -P InactiveExitTimestampMonotonic networking.service)
check "igd-regroup.service finished (${t_igd:-?} us) before networking.service started (${t_net:-?} us)" \
	test "${t_igd:-0}" -gt 0 -a "${t_igd:-0}" -le "${t_net:-0}"
