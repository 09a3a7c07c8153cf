# Scenario boot-journal: igd-regroup.service fails at boot, and the journal
# files each of its lines at its priority. Its config
# (guest/etc/boot-journal.conf, through systemd.setenv= on the kernel
# command line) names a [vfio] device the machine does not have: the unit
# refuses before any write. Then `journalctl -p err` shows the error,
# `-p warning` shows it too, and the run's report (stdout, info) shows only
# without a priority filter.
wait_boot
show_groups
diag "$(systemctl status --no-pager -n 30 igd-regroup.service 2>&1)"

MISSING=0000:00:05.0
ERR="[vfio] device $MISSING is not present; nothing was changed."
u=igd-regroup.service
lines() { journalctl -b -q -o cat -u "$u" "$@" 2>/dev/null; }
# has_line LINE JOURNALCTL-ARGS...: LINE is one of the unit's messages at that filter
has_line() {
	local l=$1
	shift
	lines "$@" | grep -qxF -- "$l" || { printf 'not in journalctl -u %s %s:\n' "$u" "$*"; lines "$@"; return 1; }
}
lacks_line() {
	local l=$1
	shift
	! lines "$@" | grep -qF -- "$l" || { printf 'in journalctl -u %s %s:\n' "$u" "$*"; lines "$@"; return 1; }
}

check "lab: the unit ran with the lab's config (IGD_REGROUP_CONFIG=$(systemctl show-environment | sed -n 's/^IGD_REGROUP_CONFIG=//p'))" \
	sh -c 'systemctl show-environment | grep -qx "IGD_REGROUP_CONFIG=/usr/lib/igd-lab/boot-journal.conf"'
check "lab: $MISSING does not exist" absent "$MISSING"
state=$(systemctl show -P ActiveState $u)/$(systemctl show -P Result $u)/$(systemctl show -P ExecMainStatus $u)
check "igd-regroup.service failed at boot with exit status 1 (state $state)" test "$state" = failed/exit-code/1

# The unit's stderr and stdout are journal streams ($JOURNAL_STREAM).
check "journalctl -p err -b -u $u shows the error: '$ERR'" has_line "$ERR" -p err
check "journalctl -p warning -b -u $u shows the error line" has_line "$ERR" -p warning
check "the error is filed at priority 3 exactly (-p 3..3), not above it (-p 0..2)" \
	sh -c "journalctl -b -q -o cat -u $u -p 3..3 | grep -qxF -- '$ERR' && ! journalctl -b -q -o cat -u $u -p 0..2 | grep -qF -- '$ERR'"
check "the journal stripped the priority prefix: no line of the unit starts with '<N>'" \
	sh -c "! journalctl -b -q -o cat -u $u | grep -q '^<[0-7]>'"
# The report is stdout: without a prefix, the unit's SyslogLevel= (info).
check "the run's report reached the journal at info ('Result: failed ...', no filter)" \
	sh -c "journalctl -b -q -o cat -u $u -p info | grep -q '^Result: failed in '"
check "the report's lines are info: not shown at -p notice" lacks_line "Result: failed in " -p notice
check "... nor at -p warning" lacks_line "Result: failed in " -p warning
check "the report says every function is unchanged (0000:00:1f.3: group N -> unchanged)" \
	sh -c "journalctl -b -q -o cat -u $u | grep -qE '^0000:00:1f\.3: group [0-9]+ -> unchanged$'"
JOURNAL_MATCH=(_SYSTEMD_UNIT=$u)
check "the structured entry says failed (MESSAGE_ID=$ENGINE_MSGID, IGD_RESULT=failed, PRIORITY=3)" \
	journal_entry IGD_RESULT=failed PRIORITY=3

# Nothing was changed: the PCH functions still share the group the kernel gave them.
check "nothing was written: 1f.3 still shares its IOMMU group with the NIC 1f.6 (group $(group_of 0000:00:1f.3))" \
	same_group 0000:00:1f.3 "$NIC_ADDR"
diag "$(journalctl -b -q -o short-monotonic -u $u --output-fields=PRIORITY,MESSAGE 2>&1 | tail -n 20)"
diag "$(journalctl -b -q -o verbose -u $u -p warning 2>&1 | grep -E '^    (PRIORITY|MESSAGE)=' | tail -n 20)"

# Debug lines are stderr lines too: a transient unit runs the dry run with
# --verbose; its debug line is filed at 7, below info.
p=igd-journal-probe
systemd-run --wait -q -u $p -p Environment=IGD_REGROUP_CONFIG=/usr/lib/igd-lab/boot-journal.conf \
	/usr/sbin/igd-regroup --verbose apply --dry-run >/dev/null 2>&1
# (journald reads the stream on its own time: wait for the line to be there)
check "igd-regroup --verbose under a unit: its debug line 'read N PCI devices' is in the journal at -p debug" \
	wait_until 20 sh -c "journalctl -b -q -o cat -u $p.service -p debug | grep -q '^read [0-9]* PCI devices under /\$'"
check "... and filed at 7: not shown at -p info" \
	sh -c "! journalctl -b -q -o cat -u $p.service -p info | grep -q '^read [0-9]* PCI devices'"
check "... while the dry run's plan (stdout) is shown at -p info" \
	sh -c "journalctl -b -q -o cat -u $p.service -p info | grep -q '^Dry run: nothing is written.\$'"
diag "$(journalctl -b -q -o verbose -u $p.service 2>&1 | grep -E '^    (PRIORITY|MESSAGE)=' | head -n 12)"
