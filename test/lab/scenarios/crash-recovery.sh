# Scenario 4: crash recovery. An apply is killed with SIGKILL after its first
# removal and before its rescan; the next apply must notice the missing
# function, rescan first, and end with every device back and split.
#
# The stop point is made deterministic without any test hook in the program:
# apply's stderr is a pipe that is already full. apply writes nothing to
# stderr before its first removal; its first line is "Removed 0000:00:1f.0."
# and that write blocks (a write of up to PIPE_BUF bytes waits until it fits
# whole). So once the process sleeps in pipe_write (anon_pipe_write in newer
# kernels: the lab's 7.3), exactly 1f.0 is removed
# and the rescan has not run: it is stopped (SIGSTOP) and killed (SIGKILL)
# right there.
wait_boot
show_groups "before: "
first=${HP_FUNCS%% *}
rest=${HP_FUNCS#* }

fifo=$WORK/stderr.fifo
rm -f "$fifo"
mkfifo "$fifo"
exec 3<>"$fifo"
# Fill the pipe: non-blocking writes of whole pages until it takes no more.
dd if=/dev/zero of=/proc/self/fd/3 bs=4096 oflag=nonblock 2>"$WORK/dd.err"
check "lab: the pipe for apply's stderr is full ($(sed -n 's/ bytes.*/ bytes/p' "$WORK/dd.err"))" \
	grep -q 'Resource temporarily unavailable' "$WORK/dd.err"

igd-regroup apply >"$WORK/crashed.out" 2>&3 &
pid=$!
blocked() {
	case $(cat /proc/$pid/wchan 2>/dev/null) in
	pipe_write | anon_pipe_write) ;;
	*) echo "pid $pid: wchan $(cat /proc/$pid/wchan 2>/dev/null), state $(awk '/^State/{print $2}' /proc/$pid/status 2>/dev/null)"; return 1 ;;
	esac
}
check "apply (pid $pid) blocks writing its first stderr line" wait_until 120 blocked
kill -STOP "$pid"
show_groups "stopped: "
check "at that point $first, the first configured function, is removed" absent "$first"
check "and the rescan has not run: $rest are present" all_present $rest
check "drivers_autoprobe was not touched (it keeps no driver away at a rescan)" autoprobe_on
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null # no "Killed" notice from the shell
krc=$?
exec 3>&-
check "apply died of SIGKILL (status $krc)" test "$krc" = 137
sleep 1
check "after the kill, $first is still missing (nobody rescanned)" absent "$first"
check "the lock is free again" flock -n /run/igd-regroup/lock true
check "the lock's directory is root's, mode 0755" test "$(stat -c %u:%a /run/igd-regroup)" = 0:755

run_igd recover apply
check "the next igd-regroup apply exits 0" test "$rc" = 0
check "it says an earlier run stopped between remove and rescan" \
	grep -q "configured function(s) are missing, first $first: an earlier run stopped between remove and rescan. Rescanning first." "$WORK/recover.err"
show_groups "after: "
check "every device is back: $HP_FUNCS 0000:00:02.0" all_present $HP_FUNCS 0000:00:02.0
for f in $HP_FUNCS; do
	check "$f is alone in its IOMMU group" alone "$f"
done
for d in $HP_VFIO; do
	check "$d is bound to vfio-pci" has_driver "$d" vfio-pci
done
check "drivers_autoprobe is still on, no marker" autoprobe_on
check "the journal entry records the recovery (IGD_RECOVERY_RESCAN=1, IGD_RESULT=ok)" \
	journal_entry IGD_RECOVERY_RESCAN=1 IGD_RESULT=ok
