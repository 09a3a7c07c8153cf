# The hook issue, b), and the notifier issue, d): `igd-regroup-hook 100
# post-stop` (the default reset phase) with the host network up: the same
# regroup as `igd-regroup apply` on [hook] reset_functions (set here to
# every [regroup] function of the HP config, NIC included), then, since it
# cycled the NIC while it was up, igd-regroup-netnotify.service, started by
# the hook over D-Bus, reloads networking.service ([network] action =
# reload: ifreload -a).
# Asserted: every function back and bound as configured (the [vfio] devices
# on vfio-pci, the others on the host drivers they had), nothing left
# removed; the notifier ran once per reset and succeeded; the NIC is back in
# vmbr0 with carrier and the running VM's tap101i0 is still attached.
# Two resets: from the boot's groups (no igd-regroup.service at this boot),
# and again from the split groups, as after the VM stopped.
wait_boot
nic=$(nic_name)
check "lab: igd-regroup.service did not run at boot" \
	test "$(systemctl show -P ConditionResult igd-regroup.service)" = no
check "lab: the network is up: ${nic:-?} and tap101i0 in vmbr0, ${nic:-?} with carrier" wait_until 30 network_up
check "lab: [network] action = reload in /etc/igd-regroup.conf" grep -qx 'action = reload' /etc/igd-regroup.conf
check "lab: $NOTIFIER has not run at this boot (journalctl -u: nothing)" test -z "$(journalctl -b -q -u $NOTIFIER)"
# The reset of every [regroup] function, NIC included, set explicitly: the
# default resets only what the VM passed (1f.0, 1f.3 here) and never touches
# the NIC. This scenario tests the notifier path, which an admin gets with
# such a list.
RESET_ALL="0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6"
sed -i "/^\[hook\]\$/a reset_functions = $RESET_ALL" /etc/igd-regroup.conf
check "lab: /etc/igd-regroup.conf has [hook] reset_functions = $RESET_ALL" \
	grep -qxF "reset_functions = $RESET_ALL" /etc/igd-regroup.conf
vm_conf 100 "hostpci0: 0000:00:02.0,legacy-igd=1" "hostpci1: 0000:00:1f.0" "hostpci2: 0000:00:1f.3" \
	"machine: pc-i440fx-8.1" "vga: none" "name: media"

# the host drivers of the functions that are not [vfio] devices, before anything
declare -A host_driver
for f in $HP_FUNCS; do
	case " $HP_VFIO " in *" $f "*) continue ;; esac
	host_driver[$f]=$(driver_of "$f")
done
diag "host drivers at boot: $(for f in "${!host_driver[@]}"; do printf '%s=%s ' "$f" "${host_driver[$f]}"; done)"

reset_round() { # reset_round LABEL
	local l=$1 reloads0 stops0 starts0 f
	show_groups "$l before: "
	notifier_mark
	reloads0=$(unit_msgs networking.service $MSGID_UNIT_RELOADING)
	stops0=$(unit_msgs networking.service $MSGID_UNIT_STOPPING)
	starts0=$(unit_msgs networking.service $MSGID_UNIT_STARTING)
	"$LABTOOL" watch-port "$nic" vmbr0 >"$WORK/watch.$l" &
	local w=$!
	"$LABTOOL" watch-port tap101i0 vmbr0 >"$WORK/watch-tap.$l" &
	local wt=$!
	"$LABTOOL" watch-driver $HP_FUNCS 0000:00:02.0 >"$WORK/watch-drv.$l" &
	local wd=$!
	sleep 0.2

	run_hook "reset-$l" 100 post-stop
	kill -TERM "$wd"
	wait "$wd"
	diag_file "$WORK/watch-drv.$l" "$l: drivers during the reset (labtool watch-driver): "
	# The kernel attaches a re-added function at once to the first registered
	# driver that matches it (drivers_autoprobe is not consulted): recorded.
	for f in $HP_VFIO; do
		local seen
		# the drivers it had after it came back from the removal ("-")
		seen=$(sed -n "s/^$f: //p" "$WORK/watch-drv.$l" | tr -d ' ' | tr '>' '\n' |
			sed -n '/^-$/,$p' | grep -vxE 'vfio-pci|none|-' | sort -u | tr '\n' ' ')
		[ -z "$seen" ] || diag "$l: FINDING: [vfio] $f came back from the rescan bound to the host driver(s) ${seen% }, not vfio-pci"
	done
	check "$l: post-stop exits 0" test "$rc" = 0
	check "$l: it says which host driver held 1f.3 after the rescan: 'igd-regroup: 0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.'" \
		grep -qxF "igd-regroup: 0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci." "$WORK/reset-$l.out"
	check "$l: it says 'igd-regroup: VM 100 post-stop: resetting 5 function(s).'" \
		grep -qxF "igd-regroup: VM 100 post-stop: resetting 5 function(s)." "$WORK/reset-$l.out"
	check "$l: it hands the network to the notifier: 'Started $NOTIFIER (job ...)'" \
		grep -q "^igd-regroup: Started $NOTIFIER (job " "$WORK/reset-$l.out"

	check "$l: nothing is left removed: $HP_FUNCS 0000:00:02.0 are present" all_present $HP_FUNCS 0000:00:02.0
	for f in $HP_FUNCS; do
		check "$l: $f is alone in its IOMMU group (group $(group_of "$f"))" alone "$f"
	done
	for f in $HP_VFIO; do
		check "$l: [vfio] $f is bound to vfio-pci" has_driver "$f" vfio-pci
	done
	for f in "${!host_driver[@]}"; do
		check "$l: $f is back on its host driver (${host_driver[$f]})" has_driver "$f" "${host_driver[$f]}"
	done
	check "$l: drivers_autoprobe is back on" autoprobe_on
	JOURNAL_MATCH=(IGD_PHASE=post-stop)
	check "$l: the hook's journal entry says ok (IGD_VMID=100, IGD_PHASE=post-stop, IGD_RESULT=ok)" \
		journal_msg "$HOOK_MSGID" IGD_VMID=100 IGD_RESULT=ok
	JOURNAL_MATCH=()

	check "$l: $NOTIFIER, started by the hook, ran and ended with Result=success, ExecMainStatus=0" notifier_run_ok
	notifier_show
	check "$l: its record /run/igd-regroup/cycled-nics is gone" test ! -e /run/igd-regroup/cycled-nics
	check "$l: it reloaded: 'networking.service: reload done.'" notifier_says "networking.service: reload done."
	check "$l: it reports the downtime: '${nic:-?} (0000:00:1f.6) in vmbr0: back after N s'" \
		grep -Eqx "${nic:-none} \(0000:00:1f\.6\) in vmbr0: back after [0-9]+\.[0-9]{3} s" <(notifier_journal)
	check "$l: its journal entry (one since the reset): IGD_RESULT=back IGD_ACTION=reload, networking.service=done" \
		notifier_entry IGD_RESULT=back IGD_ACTION=reload \
		"IGD_JOB_RESULTS=networking.service=done netbird.service=done" "IGD_NICS=0000:00:1f.6=${nic:-none}>vmbr0"
	check "$l: networking.service was reloaded, not restarted (journal: reloading $reloads0 -> $(unit_msgs networking.service $MSGID_UNIT_RELOADING), stopping $stops0 -> $(unit_msgs networking.service $MSGID_UNIT_STOPPING), starting $starts0 -> $(unit_msgs networking.service $MSGID_UNIT_STARTING))" \
		test "$(unit_msgs networking.service $MSGID_UNIT_RELOADING)" -gt "$reloads0" \
		-a "$(unit_msgs networking.service $MSGID_UNIT_STOPPING)" = "$stops0" \
		-a "$(unit_msgs networking.service $MSGID_UNIT_STARTING)" = "$starts0"

	# d) the notifier's action = reload, on the network itself
	check "$l: (d) ${nic:-?} is back in vmbr0" in_bridge "${nic:-none}" vmbr0
	check "$l: (d) ${nic:-?} has carrier" wait_until 10 has_carrier "${nic:-none}"
	check "$l: (d) vmbr0 is up (operstate $(cat /sys/class/net/vmbr0/operstate 2>/dev/null))" \
		grep -qx up /sys/class/net/vmbr0/operstate
	check "$l: (d) the running VM's tap101i0 is still attached to vmbr0" in_bridge tap101i0 vmbr0
	kill -TERM "$w" "$wt"
	wait "$w" "$wt"
	diag "$l: labtool watch-port ${nic:-?} vmbr0: $(cat "$WORK/watch.$l")"
	diag "$l: labtool watch-port tap101i0 vmbr0: $(cat "$WORK/watch-tap.$l")"
	check "$l: (d) tap101i0 never left vmbr0 during the reset (polled every ms: $(cat "$WORK/watch-tap.$l"))" \
		grep -Eq '^out_ms=0 outages=0 out_now=0' "$WORK/watch-tap.$l"
	check "$l: (d) and it is the same interface (ifindex $(cat /sys/class/net/tap101i0/ifindex), at boot $tap_ifindex)" \
		test "$(cat /sys/class/net/tap101i0/ifindex)" = "$tap_ifindex"
	show_groups "$l after: "
}

tap_ifindex=$(cat /sys/class/net/tap101i0/ifindex)
reset_round 1st
# the VM started again and stopped: the devices are as the first reset left them
reset_round 2nd
check "the notifier ran once per reset: 2 runs in this boot's journal" \
	test "$(journalctl -b -q -o cat "MESSAGE_ID=$NETNOTIFY_MSGID" | wc -l)" = 2
