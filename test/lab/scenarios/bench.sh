# make bench: in one boot, with the network up (the NIC and tap101i0 in
# vmbr0), the same five PCH functions cycled by
#   floor  the bare kernel work: remove 1f.0 1f.3 1f.4 1f.5 1f.6, rescan,
#          udevadm settle
#   ours   igd-regroup apply (it also binds 02.0, 1f.0, 1f.3 to vfio-pci and,
#          when igd-regroup-netnotify is installed, starts it to bring the
#          network back: its time counts in the NIC's time out of vmbr0),
#          [network] action = reload (the default: ReloadOrRestartUnit,
#          ifreload -a for networking.service)
#   ours_restart  the same with [network] action = restart (RestartUnit:
#          ifdown -a + ifup -a, what the seed's script runs), notifier only
#   ours+reload  only without the notifier: igd-regroup apply, then
#          `ifreload -a`, what the notifier's action = reload runs
#   seed   passthrough-tweak.sh verbatim from seeds/000 (its removals, its
#          `systemctl restart networking` and `netbird`, its `sleep 10`)
# and, once an apply has split the groups, a VM stop with the defaults:
#   floor2     the bare kernel work for the function the default resets:
#              remove 1f.3, rescan, udevadm settle
#   hook_stop  igd-regroup-hook 100 post-stop, no [hook] reset_functions:
#              of what VM 100 (02.0, 1f.0, 1f.3) passed it resets 1f.3 (1f.0,
#              multi-function, would rejoin its slot's group), and leaves the
#              NIC and the network alone
# Per row: the command's wall time, how long the NIC was out of vmbr0
# (labtool polls its bridge every ms), the downtime the notifier itself
# reported (removal to back in vmbr0, its journal's IGD_DOWNTIME_MS), and
# whether the VM's port tap101i0 stayed in vmbr0. Before each row the
# network is put back as after the boot. igd.rounds=N: medians of N rounds.
wait_boot
rounds=${IGD_LAB_ROUNDS:-1}
nic=$(nic_name)
WAIT_BACK=20 # seconds a row gets to bring the NIC back by itself
notifier=no
systemctl cat igd-regroup-netnotify.service >/dev/null 2>&1 && notifier=yes

floor() {
	local f
	for f in $HP_FUNCS; do echo 1 >"$PCI/$f/remove"; done
	echo 1 >/sys/bus/pci/rescan
	udevadm settle
}
set_action() { sed -i "s/^action = .*/action = $1/" /etc/igd-regroup.conf; }
ours() { igd-regroup apply; }
ours_restart() { set_action restart && igd-regroup apply; }
ours_reload() { igd-regroup apply && ifreload -a; }
seed() { /usr/lib/igd-lab/passthrough-tweak.sh; }
floor2() {
	local f
	for f in 0000:00:1f.3; do echo 1 >"$PCI/$f/remove"; done
	echo 1 >/sys/bus/pci/rescan
	udevadm settle
}
hook_stop() { "$HOOK" 100 post-stop </dev/null; }
# after ours/ours_restart: the groups are split, as after the boot unit
rows="floor ours ours_reload floor2 hook_stop seed"
[ "$notifier" = no ] || rows="floor ours ours_restart floor2 hook_stop seed"
vm_conf 100 "hostpci0: 0000:00:02.0,legacy-igd=1" "hostpci1: 0000:00:1f.0" "hostpci2: 0000:00:1f.3" \
	"machine: pc-i440fx-8.1" "vga: none" "name: media"
check "lab: /etc/igd-regroup.conf has the default reset (no reset_functions line)" \
	sh -c "! grep -Eq '^[[:space:]]*reset_functions[[:space:]]*=' /etc/igd-regroup.conf"

notifier_idle() {
	[ "$notifier" = no ] || systemctl show -P ActiveState igd-regroup-netnotify.service | grep -Eqx 'inactive|failed'
}
restore() { # as after the boot: the NIC and the VM port in vmbr0, action = reload
	wait_until 60 notifier_idle >/dev/null
	set_action reload
	[ "$(port_of "$(nic_name)")" = vmbr0 ] || ifreload -a >>"$WORK/restore.log" 2>&1
	ip link set dev tap101i0 master vmbr0 up 2>/dev/null
	wait_until 60 network_up >/dev/null
	udevadm settle
}

# measure NAME: runs NAME with a watcher on the NIC's bridge membership
measure() {
	local name=$1 t0 t1 w out back kept said=- res=-
	restore
	[ "$name" != hook_stop ] || show_groups "before hook_stop: "
	notifier_mark
	"$LABTOOL" watch-port "$nic" vmbr0 >"$WORK/watch.$name" &
	w=$!
	sleep 0.2
	t0=$(date +%s%N)
	"$name" >"$WORK/bench.$name.log" 2>&1
	t1=$(date +%s%N)
	wait_until "$WAIT_BACK" in_bridge "$nic" vmbr0 >/dev/null
	case $name in
	ours | ours_restart)
		# started by apply: wait for that run (started after the mark) to end
		if [ "$notifier" = yes ] && wait_until 120 notifier_finished >/dev/null; then
			res=failed
			notifier_succeeded >/dev/null && res=success
			said=$(journal_since -o verbose "MESSAGE_ID=$NETNOTIFY_MSGID" -n 1 |
				sed -n "s/^    IGD_DOWNTIME_MS=.*$nic=\([0-9]*\).*/\1/p")
			[ -n "$said" ] || said=-
		fi
		;;
	esac
	wait_until 60 notifier_idle >/dev/null
	kill -TERM "$w"
	wait "$w"
	kept=no
	[ "$(port_of tap101i0)" = vmbr0 ] && kept=yes
	out=$(sed -n 's/.*out_ms=\([0-9]*\).*/\1/p' "$WORK/watch.$name")
	back=$(sed -n 's/.*out_now=\([01]\).*/\1/p' "$WORK/watch.$name")
	[ "$back" = 0 ] && back=yes || back=no
	echo "$name $(((t1 - t0) / 1000000)) $out $back $kept $said $res" >>"$WORK/bench.results"
	diag "$name: wall $(((t1 - t0) / 1000000)) ms; $(cat "$WORK/watch.$name"); tap101i0 kept: $kept; notifier: $res, its downtime $said ms"
	diag_file "$WORK/bench.$name.log" "  $name: "
	case $name in ours | ours_restart)
		[ "$notifier" = no ] || notifier_journal | sed 's/^/#   notifier: /'
	esac
}

: >"$WORK/bench.results"
for r in $(seq 1 "$rounds"); do
	diag "round $r of $rounds"
	for n in $rows; do measure "$n"; done
done
restore

median() { # median NAME FIELD
	awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$WORK/bench.results" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
last() { awk -v n="$1" -v f="$2" '$1 == n { v = $f } END { print v }' "$WORK/bench.results"; }
secs() { awk -v m="$1" 'BEGIN { printf "%.2f s", m / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
outage() { # outage NAME: time out of vmbr0, or that it did not come back
	if [ "$(last "$1" 4)" = yes ]; then secs "$(median "$1" 3)"; else echo "not back within ${WAIT_BACK} s"; fi
}
said() { # said NAME: the notifier's own downtime (median), or -
	local m
	m=$(awk -v n="$1" '$1 == n && $6 ~ /^[0-9]+$/ { print $6 }' "$WORK/bench.results" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
	if [ -n "$m" ]; then secs "$m"; else echo -; fi
}
row() { printf '%-52s %9s   %-24s %-18s %s\n' "$1" "$2" "$3" "$4" "$5"; }

f=$(median floor 2) o=$(median ours 2) s=$(median seed 2)
printf '\nbench: kernel %s, %s round(s)%s; QEMU without KVM: absolute times are slow, compare ratios\n\n' \
	"$(uname -r)" "$rounds" "$([ "$rounds" -gt 1 ] && echo ', medians')"
row "" "wall" "$nic out of vmbr0" "notifier says" "tap101i0 kept"
row "floor: remove + rescan + udevadm settle" "$(secs "$f")" "$(outage floor)" "-" "$(last floor 5)"
if [ "$notifier" = yes ]; then
	row "ours: igd-regroup apply + notifier, action = reload" "$(secs "$o")" "$(outage ours)" "$(said ours)" "$(last ours 5)"
	row "ours: igd-regroup apply + notifier, action = restart" "$(secs "$(median ours_restart 2)")" "$(outage ours_restart)" "$(said ours_restart)" "$(last ours_restart 5)"
else
	row "ours: igd-regroup apply" "$(secs "$o")" "$(outage ours)" "-" "$(last ours 5)"
	row "ours + ifreload -a (the notifier, by hand)" "$(secs "$(median ours_reload 2)")" "$(outage ours_reload)" "-" "$(last ours_reload 5)"
fi
row "seed: passthrough-tweak.sh (restart networking)" "$(secs "$s")" "$(outage seed)" "-" "$(last seed 5)"
f2=$(median floor2 2) h=$(median hook_stop 2)
printf '\nA VM stop with the defaults (VM 100 passes 02.0, 1f.0, 1f.3; groups split):\n'
row "floor: remove 1f.3 + rescan + udevadm settle" "$(secs "$f2")" "$(outage floor2)" "-" "$(last floor2 5)"
row "ours: igd-regroup-hook 100 post-stop" "$(secs "$h")" "$(outage hook_stop)" "-" "$(last hook_stop 5)"
row "seed: passthrough-tweak.sh (as above)" "$(secs "$s")" "$(outage seed)" "-" "$(last seed 5)"
printf 'post-stop/floor = %s (aim <= 1.25)   network down: post-stop %s, seed %s\n' \
	"$(awk -v a="$h" -v b="$f2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')" \
	"$(outage hook_stop)" "$(outage seed)"
printf '\nours/floor = %s   seed/ours = %s' "$(ratio "$o" "$f")" "$(ratio "$s" "$o")"
[ "$notifier" = yes ] || printf '   seed/(ours + ifreload) = %s' "$(ratio "$s" "$(median ours_reload 2)")"
[ "$notifier" = no ] || printf '   out of vmbr0: seed/reload = %s' "$(ratio "$(median seed 3)" "$(median ours 3)")"
printf '\n(wall: until the command returned; for ours the notifier works on after it, in its\n own unit: the network is back when "out of vmbr0" ends. The floor leaves the NIC out\n of vmbr0, nothing brings it back. Each row starts from the network as after the boot)\n\n'

for n in $rows; do
	check "bench: $n ran ($(awk -v n="$n" '$1 == n' "$WORK/bench.results" | wc -l) time(s))" grep -q "^$n " "$WORK/bench.results"
done
if [ "$notifier" = yes ]; then
	for n in ours ours_restart; do
		check "bench: $n: the notifier succeeded every time" \
			test -z "$(awk -v n="$n" '$1 == n && $7 != "success"' "$WORK/bench.results")"
	done
fi
check "bench: hook_stop: the NIC never left vmbr0 ($(awk '$1 == "hook_stop" { printf "%s ms ", $3 }' "$WORK/bench.results"))" \
	test -z "$(awk '$1 == "hook_stop" && ($3 != 0 || $4 != "yes")' "$WORK/bench.results")"
check "bench: hook_stop: the VM's tap101i0 stayed in vmbr0" \
	test -z "$(awk '$1 == "hook_stop" && $5 != "yes"' "$WORK/bench.results")"
check "bench: every function is present at the end" all_present $HP_FUNCS
