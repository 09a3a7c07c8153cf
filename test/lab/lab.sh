#!/bin/sh
# The real-kernel lab: boots Debian guests (Debian's own kernels, QEMU q35
# in software emulation, an emulated Intel IOMMU and a PCH-like slot 1f)
# once per scenario, with igd-regroup installed from its .deb by apt
# (make deb), and checks what each scenario names. Two generations
# (test/lab/generations): Debian 12 + its 6.1 kernel (Proxmox VE 8's base)
# and Debian 13 + the newest Debian kernel for it (Proxmox VE 9's base).
# Exit 0 only when every boot's guest reported "N passed, 0 failed".
#
# Usage: test/lab/lab.sh [--keep] [--verbose] [--list] [SCENARIO...]
#   --keep      keep every console log (default: only those of failed boots)
#   --verbose   stream each guest's serial console to the terminal
#   --list      list the scenarios and the generations they run on, and exit
# Env: LAB_GENERATIONS (IDs, default all of test/lab/generations),
#      LAB_CACHE (default test/lab/cache), LAB_TIMEOUT (seconds per boot,
#      default 300), LAB_SMP (2), LAB_MEM (1024), LAB_MIRROR (the Debian
#      archive's URI; default the one this host's apt uses).
# Needs root (sudo): mmdebstrap, chroot (apt installs the .deb), a root-owned image.
set -eu
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$LAB_DIR/common.sh"

# ID SCRIPT LAYOUT GENERATIONS KERNEL-ARGS: one line each, run in this order
# on each generation. GENERATIONS: newest (the last of test/lab/generations),
# all, or generation IDs separated by commas (bookworm,trixie). KERNEL-ARGS:
# - for none.
SCENARIOS='
boot-split boot-split hp all igd.boot-unit
boot-split-e1000e boot-split e1000e newest igd.boot-unit
manual-apply manual-apply hp newest -
still-shared still-shared hp-mf newest -
crash-recovery crash-recovery hp newest -
safety safety hp newest -
safety-stack safety-stack hp newest -
pmc-sibling pmc-sibling hp-pmc newest -
hook-prestart hook-prestart hp newest -
hook-mapping hook-mapping hp newest -
hook-reset hook-reset hp all -
netnotify-restart netnotify-restart hp all -
boot-no-notifier boot-no-notifier hp newest igd.boot-unit
check-modprobe check-modprobe hp newest -
boot-race-1 boot-race hp newest igd.boot-unit modprobe.blacklist=bochs igd.late_drm=1
boot-race-2 boot-race hp newest igd.boot-unit modprobe.blacklist=bochs igd.late_drm=1
boot-race-3 boot-race hp newest igd.boot-unit modprobe.blacklist=bochs igd.late_drm=1
netnotify-downtime netnotify-downtime hp newest -
hook-stop-keeps-nic hook-stop-keeps-nic hp newest igd.boot-unit
boot-journal boot-journal hp newest igd.boot-unit systemd.setenv=IGD_REGROUP_CONFIG=/usr/lib/igd-lab/boot-journal.conf
boot-no-iommu boot-no-iommu hp newest igd.boot-unit intel_iommu=off
'
describe() {
	case $1 in
	boot-split) echo "1. igd-regroup.service at boot, HP-like layout (e1000 at 1f.6 shares the PCH group)" ;;
	boot-split-e1000e) echo "1. igd-regroup.service at boot, e1000e at 1f.6 (its own group at boot)" ;;
	manual-apply) echo "2. igd-regroup apply by hand after boot, network up" ;;
	still-shared) echo "3. negative: audio 1f.3 with multifunction=on stays shared" ;;
	crash-recovery) echo "4. apply killed between remove and rescan, then recovered" ;;
	safety) echo "5. refuses the root disk's and a mounted filesystem's function" ;;
	safety-stack) echo "5b. refuses the data disk's function while an LVM thin pool, a VM or a swap file uses it, nothing mounted" ;;
	pmc-sibling) echo "+. a present 1f.2 left out of the config keeps 1f.0 (multi-function) shared" ;;
	hook-prestart) echo "hook a. pre-start refuses 1f.3 while it shares the NIC's group; passes after apply" ;;
	hook-mapping) echo "hook c. pre-start with hostpci0: mapping=NAME (pci.cfg): refused, then passes" ;;
	hook-reset) echo "hook b + notifier d. post-stop reset, network up: bound as configured, NIC back by reload, tap kept" ;;
	hook-stop-keeps-nic) echo "hook: post-stop with the default reset after the boot split: 1f.0, 1f.3 reset, the NIC and networking untouched" ;;
	netnotify-restart) echo "notifier e. action = restart: the NIC comes back, the VM's tap is detached" ;;
	boot-no-notifier) echo "notifier f. igd-regroup.service at boot never starts the notifier" ;;
	check-modprobe) echo "drivers. check names snd_hda_intel and the modprobe.d fix; with it, apply never lets it bind 1f.3" ;;
	boot-race-*) echo "boot race ${1#boot-race-}/3: the boot unit while udev's coldplug still loads the iGPU's driver (late bochs)" ;;
	boot-journal) echo "logs. igd-regroup.service fails at boot (a [vfio] device that is not there): journalctl -p err/-p warning show the error, not the info report" ;;
	boot-no-iommu) echo "logs. a boot without an IOMMU: the unit, the dry run and pre-start stop first and say how to turn it on" ;;
	netnotify-downtime) echo "notifier g. the downtime the notifier reports against an observer sampling vmbr0/brif every 50 ms" ;;
	esac
}

keep=no verbose=no only=
all_gens=$(lab_generations | tr '\n' ' ')
newest=$(lab_newest)
# runs_on GENS GEN: the scenario's GENERATIONS field names GEN
runs_on() {
	case $1 in
	all) return 0 ;;
	newest) [ "$2" = "$newest" ] ;;
	*) case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac ;;
	esac
}
# every line has its five fields and names known generations
echo "$SCENARIOS" | while read -r id script layout gens args; do
	[ -n "$id" ] || continue
	[ -n "$args" ] || die "SCENARIOS: '$id $script $layout $gens': want ID SCRIPT LAYOUT GENERATIONS KERNEL-ARGS (- for none)"
	[ -r "$LAB_DIR/scenarios/$script.sh" ] || die "SCENARIOS: $id: no scenarios/$script.sh"
	case $gens in
	all | newest) ;;
	*) for g in $(echo "$gens" | tr ',' ' '); do
		case " $all_gens " in *" $g "*) ;; *) die "SCENARIOS: $id: '$gens' is not all, newest or IDs of test/lab/generations ($all_gens)" ;; esac
	done ;;
	esac
done
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=yes ;;
	--verbose | -v) verbose=yes ;;
	--list)
		echo "$SCENARIOS" | while read -r id script layout gens args; do
			[ -n "$id" ] || continue
			on=
			for g in $all_gens; do runs_on "$gens" "$g" && on="$on,$g"; done
			printf '%-18s %-7s %-16s %s\n' "$id" "$layout" "${on#,}" "$(describe "$id")"
		done
		exit 0
		;;
	-h | --help)
		sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	-*) die "unknown option $1 (try --help)" ;;
	*) only="$only $1" ;;
	esac
	shift
done
for s in $only; do
	echo "$SCENARIOS" | grep -q "^$s " || die "no scenario '$s' (try --list)"
done
gens=${LAB_GENERATIONS:-$all_gens}
for g in $gens; do
	case " $all_gens " in *" $g "*) ;; *) die "LAB_GENERATIONS: no generation '$g' ($all_gens)" ;; esac
done

# boot_once ID SCRIPT LAYOUT [ARGS...]: one boot; sets qrc.
boot_once() {
	if [ "$verbose" = yes ]; then
		lab_boot "$@" &
		qpid=$!
		sleep 1
		tail -n +1 -f --pid="$qpid" "$LOGS/$GEN-$1.console.log" 2>/dev/null | tr -d '\r' | sed "s/^/[$GEN $1] /" &
		wait "$qpid" && qrc=0 || qrc=$?
		wait
	else
		lab_boot "$@" && qrc=0 || qrc=$?
	fi
}

# crashed_before_start ID: the guest printed nothing on the result port
# and its kernel panicked: no scenario ran.
crashed_before_start() {
	[ -z "$(tr -d '\r\n' <"$LOGS/$GEN-$1.result.log")" ] &&
		tr -d '\r' <"$LOGS/$GEN-$1.console.log" | grep -q 'Kernel panic'
}
crash_line() {
	tr -d '\r' <"$LOGS/$GEN-$1.console.log" | grep -m1 -E 'Oops|BUG|Kernel panic' | sed 's/^\[ *\([0-9.]*\)\] /at \1 s: /'
}

t_all=$(date +%s)
lab_preflight
lab_deb
failed=0 n=0 table='' groups=''

for gen in $gens; do
	# the scenarios of this generation
	todo=$(echo "$SCENARIOS" | while read -r id script layout g args; do
		[ -n "$id" ] || continue
		if [ -n "$only" ]; then
			case " $only " in *" $id "*) ;; *) continue ;; esac
		fi
		runs_on "$g" "$gen" && echo "$id $script $layout $args"
	done)
	[ -n "$todo" ] || continue
	lab_prepare_gen "$gen"
	kernel="$KVER"
	say "[$GEN] scenarios run one after the other, one fresh boot each (logs: $LOGS/$GEN-*)"
	report_from=
	while read -r id script layout args; do
		[ "$args" = - ] && args=
		n=$((n + 1))
		say "[$GEN $id] $(describe "$id") ..."
		t=$(date +%s)
		note=''
		boot_once "$id" "$script" "$layout" $args
		# The emulator, not the scenario: a guest kernel that died before
		# userspace (nothing on the result port) is booted once more, and
		# the table says so. 7.3 under multi-threaded TCG has oopsed this
		# way (int3 in sched_clock_cpu at 1.6 s) in one boot of 21.
		if crashed_before_start "$id"; then
			cp "$LOGS/$GEN-$id.console.log" "$LOGS/$GEN-$id.crashed.console.log"
			say "[$GEN $id] the guest kernel crashed before the scenario started ($(crash_line "$id")); booting it once more (log: $LOGS/$GEN-$id.crashed.console.log)"
			note=" (2nd boot: the 1st crashed before userspace)"
			boot_once "$id" "$script" "$layout" $args
		fi
		secs=$(secs_since "$t")
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			say "[$GEN $id] qemu did not finish within $LAB_TIMEOUT s and was killed"
		fi
		if lab_verdict "$id"; then
			res=PASS
			[ "$keep" = yes ] || rm -f "$LOGS/$GEN-$id.console.log"
		else
			res=FAIL
			failed=$((failed + 1))
			say "[$GEN $id] console log: $LOGS/$GEN-$id.console.log, results: $LOGS/$GEN-$id.result.log"
			tail -n 15 "$LOGS/$GEN-$id.console.log" | tr -d '\r' | sed "s/^/    console: /" >&2
		fi
		up=$(tr -d '\r' <"$LOGS/$GEN-$id.result.log" | sed -n 's/^# uptime at the end: \([0-9.]*\) s.*/\1/p' | tail -n 1)
		say "[$GEN $id] $res: $VERDICT (boot to poweroff ${secs} s, guest uptime at its summary ${up:-?} s)"
		table="$table$(printf '%-9s %-24s %-18s %-6s %-5s %4ss  %s' "$GEN" "$kernel" "$id" "$layout" "$res" "$secs" "$VERDICT$note")
"
		# the groups report: boot-split's, else the first hp boot's
		if [ "$id" = boot-split ] || { [ -z "$report_from" ] && [ "$layout" = hp ]; }; then
			[ "$report_from" = boot-split ] || report_from=$id
		fi
	done <<EOF_S
$todo
EOF_S
	if [ -n "$report_from" ]; then
		groups="$groups
  kernel $kernel ($GEN, $KPKG=$KPKGVER), from $report_from: function, IOMMU group at boot/functions in it, at the end/functions in it, header type, multi-function bit
$(tr -d '\r' <"$LOGS/$GEN-$report_from.result.log" | sed -n 's/^# lab-groups: /    /p')"
	fi
done

[ "$n" -gt 0 ] || die "no scenario ran"
printf '\nlab: %d boot(s) in %s s (wall time, builds included):\n%-9s %-24s %-18s %-6s %-5s %5s  %s\n%s' "$n" "$(secs_since "$t_all")" \
	generation kernel scenario layout res time verdict "$table" >&2
[ -z "$groups" ] || printf '\nlab: IOMMU groups of 00:02.0 and 00:1f.* per kernel (functions of 02.0/1f.* only):%s\n' "$groups" >&2
if [ "$failed" -gt 0 ]; then
	say "FAILED: $failed of $n boot(s)"
	exit 1
fi
say "all $n boot(s) passed"
