# A VM stop leaves the host network alone. After the boot split
# (igd-regroup.service, every [regroup] function alone in its group), with
# the network up (the NIC at 1f.6 and the stand-in VM port tap101i0 in
# vmbr0) and the DEFAULT config (no [hook] reset_functions), the hookscript
# runs pre-start, post-start and post-stop for VM 100, which passes 02.0,
# 1f.0 and 1f.3. The default resets the [regroup] functions the VM passed,
# except a multi-function one while a function of its slot stays: the LPC
# bridge 1f.0 (header type bit 7) found again next to 1f.4..1f.6 would join
# their group (the kernel's multi-function alias search), so only 1f.3 is
# reset and 1f.0 keeps the group the boot split gave it. Asserted on the
# kernel's own uevents (udevadm monitor, bracketed by marks) and on the
# network: 1f.3 is removed and found again at post-stop, 1f.0 and 1f.6 are
# never removed, the NIC never leaves vmbr0 and keeps its ifindex,
# networking.service is neither reloaded nor restarted, the notifier never
# runs, the tap stays, and 1f.0 and 1f.3 end alone in their groups on vfio-pci.
LPC=0000:00:1f.0
AUDIO=0000:00:1f.3
MARKDEV=0000:00:1f.4 # neither passed nor reset: its synthetic uevents mark the phases

# mark NAME: a synthetic change uevent of 1f.4 carrying IGDMARK=NAME (the
# kernel takes only letters and digits there); the kernel broadcasts
# uevents in order, so once the monitor shows a mark it has every uevent
# before it. The marks: start, then prestart, poststart, poststop before
# each phase, and end.
mark() { echo "change $(cat /proc/sys/kernel/random/uuid) IGDMARK=$1" >"$PCI/$MARKDEV/uevent"; }
has_mark() { grep -qx "SYNTH_ARG_IGDMARK=$1" "$UEVENTS"; }
# uevents_of PHASE: the PCI uevents between the mark of PHASE (its name
# without the dash) and the next mark,
# one "ACTION DEVPATH DRIVER" line each (udevadm monitor --property: one
# blank-line separated block per uevent)
uevents_of() {
	awk -v want="$(echo "$1" | tr -d -)" 'BEGIN { RS = "" }
		/\nSYNTH_ARG_IGDMARK=/ {
			if (on) exit
			if ($0 ~ ("\nSYNTH_ARG_IGDMARK=" want "(\n|$)")) on = 1
			next
		}
		on && /^KERNEL\[/ {
			a = p = ""; d = "-"
			n = split($0, l, "\n")
			for (i = 1; i <= n; i++) {
				if (l[i] ~ /^ACTION=/) a = substr(l[i], 8)
				if (l[i] ~ /^DEVPATH=/) p = substr(l[i], 9)
				if (l[i] ~ /^DRIVER=/) d = substr(l[i], 8)
			}
			print a, p, d
		}' "$UEVENTS"
}
# saw PHASE ACTION ADDR: the kernel sent that uevent for ADDR in PHASE
saw() { uevents_of "$1" | grep -q "^$2 .*/$3 " || { echo "no '$2' uevent of $3 in $1"; return 1; }; }
# none_of PHASE ADDR: no remove, add, unbind or bind uevent of ADDR in PHASE
none_of() {
	local l
	l=$(uevents_of "$1" | grep -E "^(remove|add|unbind|bind) .*/$2 ")
	[ -z "$l" ] || { printf '%s: %s\n' "$1" "$l"; return 1; }
}
no_remove() {
	local l
	l=$(uevents_of "$1" | grep '^remove ')
	[ -z "$l" ] || { printf '%s: %s\n' "$1" "$l"; return 1; }
}

wait_boot
nic=$(nic_name)
state=$(systemctl show -P ActiveState igd-regroup.service)/$(systemctl show -P Result igd-regroup.service)
check "lab: igd-regroup.service split the groups at boot (state $state)" test "$state" = active/success
for f in $HP_FUNCS; do
	check "lab: $f is alone in its IOMMU group after the boot split (group $(group_of "$f"))" alone "$f"
done
check "lab: the network is up: ${nic:-?} and tap101i0 in vmbr0, ${nic:-?} with carrier" wait_until 30 network_up
check "lab: /etc/igd-regroup.conf has the default reset (no reset_functions line)" \
	sh -c "! grep -Eq '^[[:space:]]*reset_functions[[:space:]]*=' /etc/igd-regroup.conf"
check "lab: $NOTIFIER has not run at this boot (journalctl -u: nothing)" test -z "$(journalctl -b -q -u $NOTIFIER)"
vm_conf 100 "hostpci0: 0000:00:02.0,legacy-igd=1" "hostpci1: $LPC" "hostpci2: $AUDIO" \
	"machine: pc-i440fx-8.1" "vga: none" "name: media" "net0: virtio=BC:24:11:00:00:01,bridge=vmbr0"
show_groups "before: "

run_igd vm vm 100
check "igd-regroup vm 100 exits 0 (pre-start would accept)" test "$rc" = 0

nic_ifindex=$(cat "/sys/class/net/$nic/ifindex")
tap_ifindex=$(cat /sys/class/net/tap101i0/ifindex)
net_active=$(systemctl show -P ActiveEnterTimestampMonotonic networking.service)
net_inactive=$(systemctl show -P InactiveEnterTimestampMonotonic networking.service)
reloads0=$(unit_msgs networking.service $MSGID_UNIT_RELOADING)
stops0=$(unit_msgs networking.service $MSGID_UNIT_STOPPING)
starts0=$(unit_msgs networking.service $MSGID_UNIT_STARTING)
notifier_mark

UEVENTS=$WORK/uevents
udevadm monitor --kernel --property --subsystem-match=pci >"$UEVENTS" 2>&1 &
monitor=$!
end=$(($(date +%s) + 30))
until has_mark start || [ "$(date +%s)" -ge "$end" ]; do
	mark start
	sleep 0.5
done
check "lab: udevadm monitor receives the kernel's PCI uevents" has_mark start
"$LABTOOL" watch-port "$nic" vmbr0 >"$WORK/watch.nic" &
w=$!
"$LABTOOL" watch-port tap101i0 vmbr0 >"$WORK/watch.tap" &
wt=$!
sleep 0.2

mark prestart
run_hook pre-start 100 pre-start
check "pre-start exits 0" test "$rc" = 0
mark poststart
run_hook post-start 100 post-start
check "post-start exits 0" test "$rc" = 0
mark poststop
run_hook post-stop 100 post-stop
check "post-stop exits 0" test "$rc" = 0
mark end
check "lab: the monitor has every uevent up to the end of post-stop" wait_until 30 has_mark end
check "lab: and each phase's mark (prestart, poststart, poststop)" \
	eval 'has_mark prestart && has_mark poststart && has_mark poststop'
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
kill -TERM "$w" "$wt"
wait "$w" "$wt"
for p in pre-start post-start post-stop; do
	uevents_of "$p" | sed -n "s/^/# $p uevent: /p"
done
diag "labtool watch-port ${nic:-?} vmbr0: $(cat "$WORK/watch.nic")"
diag "labtool watch-port tap101i0 vmbr0: $(cat "$WORK/watch.tap")"

# what the hook did and said
check "post-stop says 'igd-regroup: VM 100 post-stop: resetting 1 function(s).'" \
	grep -qxF "igd-regroup: VM 100 post-stop: resetting 1 function(s)." "$WORK/post-stop.out"
check "post-stop says why $LPC is not reset (multi-function, 0000:00:1f.4 of its slot stays)" \
	grep -qF "igd-regroup: $LPC is not reset: it is a multi-function device (header type 0x80) and 0000:00:1f.4 of its slot stays" "$WORK/post-stop.out"
check "post-stop does not start the notifier (no 'Started $NOTIFIER')" \
	sh -c "! grep -q 'Started $NOTIFIER' '$WORK/post-stop.out' '$WORK/post-stop.err'"
JOURNAL_MATCH=(IGD_PHASE=post-stop)
check "the hook's journal entry says ok (IGD_VMID=100, IGD_PHASE=post-stop, IGD_RESULT=ok)" \
	journal_msg "$HOOK_MSGID" IGD_VMID=100 IGD_RESULT=ok
JOURNAL_MATCH=()

# the kernel's uevents
check "post-stop: the kernel removed $AUDIO (remove uevent)" saw post-stop remove "$AUDIO"
check "post-stop: and found it again (add uevent)" saw post-stop add "$AUDIO"
for p in pre-start post-start post-stop; do
	check "$p: no remove, add, unbind or bind uevent of the NIC $NIC_ADDR" none_of "$p" "$NIC_ADDR"
	check "$p: no remove, add, unbind or bind uevent of $LPC" none_of "$p" "$LPC"
done
for p in pre-start post-start; do
	check "$p: nothing was removed (no remove uevent)" no_remove "$p"
done
check "$NIC_ADDR is present, on e1000, the interface ${nic:-?} under it" \
	eval 'has_driver $NIC_ADDR e1000 && test "$(nic_name)" = "$nic"'

# the network
check "${nic:-?} never left vmbr0 (polled every ms: $(cat "$WORK/watch.nic"))" \
	grep -Eq '^out_ms=0 outages=0 out_now=0' "$WORK/watch.nic"
check "${nic:-?} is the same interface (ifindex $(cat "/sys/class/net/$nic/ifindex" 2>/dev/null), before $nic_ifindex)" \
	test "$(cat "/sys/class/net/$nic/ifindex" 2>/dev/null)" = "$nic_ifindex"
check "${nic:-?} is in vmbr0 with carrier" network_up
check "tap101i0 never left vmbr0 (polled every ms: $(cat "$WORK/watch.tap"))" \
	grep -Eq '^out_ms=0 outages=0 out_now=0' "$WORK/watch.tap"
check "tap101i0 is the same interface (ifindex $(cat /sys/class/net/tap101i0/ifindex 2>/dev/null), before $tap_ifindex)" \
	test "$(cat /sys/class/net/tap101i0/ifindex 2>/dev/null)" = "$tap_ifindex"
check "networking.service was neither reloaded nor restarted (journal: reloading $reloads0 -> $(unit_msgs networking.service $MSGID_UNIT_RELOADING), stopping $stops0 -> $(unit_msgs networking.service $MSGID_UNIT_STOPPING), starting $starts0 -> $(unit_msgs networking.service $MSGID_UNIT_STARTING))" \
	test "$(unit_msgs networking.service $MSGID_UNIT_RELOADING)" = "$reloads0" \
	-a "$(unit_msgs networking.service $MSGID_UNIT_STOPPING)" = "$stops0" \
	-a "$(unit_msgs networking.service $MSGID_UNIT_STARTING)" = "$starts0"
check "networking.service is still the same activation (ActiveEnterTimestampMonotonic $net_active, InactiveEnterTimestampMonotonic $net_inactive unchanged)" \
	test "$(systemctl show -P ActiveEnterTimestampMonotonic networking.service)" = "$net_active" \
	-a "$(systemctl show -P InactiveEnterTimestampMonotonic networking.service)" = "$net_inactive"
check "$NOTIFIER never ran (no systemd message about it since the mark)" \
	test "$(journal_since -o verbose _PID=1 "UNIT=$NOTIFIER" | grep -c '^    MESSAGE_ID=')" = 0
check "no notifier journal entry at this boot (MESSAGE_ID=$NETNOTIFY_MSGID)" \
	test -z "$(journalctl -b -q -o cat "MESSAGE_ID=$NETNOTIFY_MSGID")"
check "nothing recorded for it (no /run/igd-regroup/cycled-nics)" test ! -e /run/igd-regroup/cycled-nics

# the devices
check "nothing is left removed: $HP_FUNCS 0000:00:02.0 are present" all_present $HP_FUNCS 0000:00:02.0
check "$AUDIO is alone in its IOMMU group (group $(group_of $AUDIO))" alone $AUDIO
check "$AUDIO is bound to vfio-pci" has_driver $AUDIO vfio-pci
check "$LPC is bound to vfio-pci" has_driver $LPC vfio-pci
check "$LPC is alone in its IOMMU group (group $(group_of $LPC)): the boot split's group, kept" alone $LPC
check "drivers_autoprobe is back on" autoprobe_on
show_groups "after: "
