#!/bin/sh
# The real-kernel lab: boots a Debian 12 guest (Debian's kernel, QEMU q35 in
# software emulation, an emulated Intel IOMMU and a PCH-like slot 1f) once
# per scenario, with igd-regroup installed by its `make install`, and checks
# what each scenario names. Exit 0 only when every scenario's guest reported
# "N passed, 0 failed".
#
# Usage: test/lab/lab.sh [--keep] [--verbose] [--list] [SCENARIO...]
#   --keep      keep every console log (default: only those of failed scenarios)
#   --verbose   stream each guest's serial console to the terminal
#   --list      list the scenarios and exit
# Env: LAB_CACHE (default test/lab/cache), LAB_TIMEOUT (seconds per boot,
#      default 600), LAB_SMP (2), LAB_MEM (1024), LAB_KERNEL (NAME=VERSION,
#      default test/lab/kernel.pin), LAB_MIRROR (see build-root.sh).
# Needs root (sudo): mmdebstrap and a root-owned image.
set -eu
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$LAB_DIR/common.sh"

# ID SCRIPT LAYOUT KERNEL-ARGS: one line each, run in this order.
SCENARIOS='
boot-split boot-split hp igd.boot-unit
boot-split-e1000e boot-split e1000e igd.boot-unit
manual-apply manual-apply hp -
still-shared still-shared hp-mf -
crash-recovery crash-recovery hp -
safety safety hp -
pmc-sibling pmc-sibling hp-pmc -
hook-prestart hook-prestart hp -
hook-mapping hook-mapping hp -
hook-reset hook-reset hp -
hook-stop-keeps-nic hook-stop-keeps-nic hp igd.boot-unit
netnotify-restart netnotify-restart hp -
boot-no-notifier boot-no-notifier hp igd.boot-unit
'
describe() {
	case $1 in
	boot-split) echo "1. igd-regroup.service at boot, HP-like layout (e1000 at 1f.6 shares the PCH group)" ;;
	boot-split-e1000e) echo "1. igd-regroup.service at boot, e1000e at 1f.6 (its own group at boot)" ;;
	manual-apply) echo "2. igd-regroup apply by hand after boot, network up" ;;
	still-shared) echo "3. negative: audio 1f.3 with multifunction=on stays shared" ;;
	crash-recovery) echo "4. apply killed between remove and rescan, then recovered" ;;
	safety) echo "5. refuses the root disk's and a mounted filesystem's function" ;;
	pmc-sibling) echo "+. a present 1f.2 left out of the config keeps 1f.0 (multi-function) shared" ;;
	hook-prestart) echo "hook a. pre-start refuses 1f.3 while it shares the NIC's group; passes after apply" ;;
	hook-mapping) echo "hook c. pre-start with hostpci0: mapping=NAME (pci.cfg): refused, then passes" ;;
	hook-reset) echo "hook b + notifier d. post-stop reset, network up: bound as configured, NIC back by reload, tap kept" ;;
	hook-stop-keeps-nic) echo "hook: post-stop with the default reset after the boot split: 1f.0, 1f.3 reset, the NIC and networking untouched" ;;
	netnotify-restart) echo "notifier e. action = restart: the NIC comes back, the VM's tap is detached" ;;
	boot-no-notifier) echo "notifier f. igd-regroup.service at boot never starts the notifier" ;;
	esac
}

keep=no verbose=no only=
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=yes ;;
	--verbose | -v) verbose=yes ;;
	--list)
		echo "$SCENARIOS" | while read -r id script layout args; do
			[ -n "$id" ] && printf '%-18s %-7s %s\n' "$id" "$layout" "$(describe "$id")"
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

t_all=$(date +%s)
lab_prepare
say "scenarios run one after the other, one fresh boot each (logs: $LOGS)"

failed=0 n=0 table=
while read -r id script layout args; do
	[ -n "$id" ] || continue
	if [ -n "$only" ]; then
		case " $only " in *" $id "*) ;; *) continue ;; esac
	fi
	[ "$args" = - ] && args=
	n=$((n + 1))
	say "[$id] $(describe "$id") ..."
	t=$(date +%s)
	if [ "$verbose" = yes ]; then
		lab_boot "$id" "$script" "$layout" $args &
		qpid=$!
		sleep 1
		tail -n +1 -f --pid="$qpid" "$LOGS/$id.console.log" 2>/dev/null | tr -d '\r' | sed "s/^/[$id] /" &
		wait "$qpid" && qrc=0 || qrc=$?
		wait
	else
		lab_boot "$id" "$script" "$layout" $args && qrc=0 || qrc=$?
	fi
	secs=$(secs_since "$t")
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		say "[$id] qemu did not finish within $LAB_TIMEOUT s and was killed"
	fi
	if lab_verdict "$id"; then
		res=PASS
		[ "$keep" = yes ] || rm -f "$LOGS/$id.console.log"
	else
		res=FAIL
		failed=$((failed + 1))
		say "[$id] console log: $LOGS/$id.console.log, results: $LOGS/$id.result.log"
		tail -n 15 "$LOGS/$id.console.log" | tr -d '\r' | sed "s/^/    console: /" >&2
	fi
	up=$(tr -d '\r' <"$LOGS/$id.result.log" | sed -n 's/^# uptime at the end: \([0-9.]*\) s.*/\1/p' | tail -n 1)
	say "[$id] $res: $VERDICT (boot to poweroff ${secs} s, guest uptime at its summary ${up:-?} s)"
	table="$table$(printf '%-18s %-6s %-5s %4ss  %s' "$id" "$layout" "$res" "$secs" "$VERDICT")
"
done <<EOF_S
$SCENARIOS
EOF_S

[ "$n" -gt 0 ] || die "no scenario ran"
printf '\nlab: kernel %s (%s), %d scenario(s) in %s s:\n%s' "$KPKG=$KPKGVER" "$KVER" "$n" "$(secs_since "$t_all")" "$table" >&2
if [ "$failed" -gt 0 ]; then
	say "FAILED: $failed of $n scenario(s)"
	exit 1
fi
say "all $n scenario(s) passed"
