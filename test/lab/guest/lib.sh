# Lab only: helpers for the scenario scripts (bash), sourced by run and by
# each scenario. TAP-like output: "ok N - what", "not ok N - what", "# ...";
# run counts the results and prints "N passed, M failed".
PCI=/sys/bus/pci/devices
LABTOOL=/usr/lib/igd-lab/labtool
WORK=/run/igd-lab
TAP_RESULTS=${TAP_RESULTS:-$WORK/results}
ENGINE_MSGID=c6f7690cb9e54b66af2cbd9e4258b201
# systemd's catalog: a unit is starting / stopping
MSGID_UNIT_STARTING=7d4958e842da4a758f6c1cdc7b36dcc5
MSGID_UNIT_STOPPING=de5b426a63be47a7b6ac3eaac82e2f6f
# The HP EliteDesk 800 G4 of seeds/000 (test/fixtures/hp-elitedesk-800-g4.conf)
HP_FUNCS="0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6"
HP_VFIO="0000:00:02.0 0000:00:1f.0 0000:00:1f.3"
NIC_ADDR=0000:00:1f.6
LAYOUT=${IGD_LAB_LAYOUT:-hp}
export NO_COLOR=1

# ---- TAP ----
_tap_next() { echo $(($(wc -l <"$TAP_RESULTS") + 1)); }
ok() {
	local n
	n=$(_tap_next)
	echo pass >>"$TAP_RESULTS"
	printf 'ok %d - %s\n' "$n" "$*"
}
not_ok() {
	local n
	n=$(_tap_next)
	echo fail >>"$TAP_RESULTS"
	printf 'not ok %d - %s\n' "$n" "$*"
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
diag_file() { [ -s "$1" ] && sed "s/^/# ${2:-}/" "$1"; return 0; }
# check WHAT CMD...: ok when CMD succeeds; otherwise not ok, with CMD's output.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		[ -z "$out" ] || diag "$out"
	fi
}
summary() {
	printf '%d passed, %d failed\n' "$(grep -c '^pass$' "$TAP_RESULTS")" \
		"$(grep -c '^fail$' "$TAP_RESULTS")"
}

# ---- waiting ----
# wait_until SECONDS CMD...: retries CMD every 0.2 s; its last output on failure.
wait_until() {
	local end=$(($(date +%s) + $1)) out
	shift
	while :; do
		if out=$("$@" 2>&1); then return 0; fi
		if [ "$(date +%s)" -ge "$end" ]; then
			[ -z "$out" ] || printf '%s\n' "$out"
			return 1
		fi
		sleep 0.2
	done
}
wait_boot() {
	local state
	state=$(timeout 300 systemctl is-system-running --wait 2>&1)
	diag "boot finished: system $state after $(cut -d' ' -f1 /proc/uptime) s"
	if [ "$state" != running ]; then
		systemctl --failed --no-legend --plain 2>&1 | sed 's/^/# failed unit: /'
	fi
}

# ---- PCI and IOMMU groups ----
present() { [ -d "$PCI/$1" ] || { echo "$1 is not present"; return 1; }; }
absent() { [ ! -e "$PCI/$1" ] || { echo "$1 is present"; return 1; }; }
all_present() {
	local a r=0
	for a; do present "$a" || r=1; done
	return $r
}
group_of() {
	local l
	l=$(readlink "$PCI/$1/iommu_group" 2>/dev/null) && echo "${l##*/}" || echo none
}
group_members() { ls "/sys/kernel/iommu_groups/$1/devices" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
group_size() { ls "/sys/kernel/iommu_groups/$1/devices" 2>/dev/null | wc -l; }
alone() {
	local g
	present "$1" || return 1
	g=$(group_of "$1")
	[ "$g" != none ] || { echo "$1 has no IOMMU group"; return 1; }
	[ "$(group_size "$g")" = 1 ] || { echo "$1 is in group $g with: $(group_members "$g")"; return 1; }
}
same_group() {
	local g a
	g=$(group_of "$1")
	for a; do
		[ "$(group_of "$a")" = "$g" ] || { echo "$a is in group $(group_of "$a"), $1 in $g"; return 1; }
	done
}
driver_of() {
	local l
	l=$(readlink "$PCI/$1/driver" 2>/dev/null) && echo "${l##*/}" || echo none
}
has_driver() { [ "$(driver_of "$1")" = "$2" ] || { echo "$1: driver is $(driver_of "$1"), not $2"; return 1; }; }
# the header-type byte (config offset 0x0e), bit 7: multi-function
header_type() { od -An -tx1 -j14 -N1 "$PCI/$1/config" | tr -d ' '; }
is_multifunction() { [ $((0x$(header_type "$1") & 0x80)) != 0 ] || { echo "$1: header type 0x$(header_type "$1")"; return 1; }; }
vfio_viable() { "$LABTOOL" vfio-viable "$(group_of "$1")"; }
autoprobe_on() {
	[ "$(cat /sys/bus/pci/drivers_autoprobe)" = 1 ] || { echo "drivers_autoprobe is $(cat /sys/bus/pci/drivers_autoprobe)"; return 1; }
	[ ! -e /run/igd-regroup/autoprobe-held ] || { echo "/run/igd-regroup/autoprobe-held is still there"; return 1; }
}
# The IOMMU groups of bus 00, one "# group N: members" line each
show_groups() {
	local g
	for g in $(ls /sys/kernel/iommu_groups | sort -n); do
		case " $(group_members "$g") " in
		*" 0000:00:"*) diag "${1:-}group $g: $(group_members "$g")" ;;
		esac
	done
}
# pci_snapshot: "ADDR GROUP HEADER-TYPE" for 00:02.0 and each 00:1f.* present
pci_snapshot() {
	local d a
	for d in "$PCI"/0000:00:02.0 "$PCI"/0000:00:1f.*; do
		[ -e "$d" ] || continue
		a=${d##*/}
		echo "$a $(group_of "$a") 0x$(header_type "$a")"
	done
}
# pci_report: for the host's report, one "# lab-groups: ..." line per
# function of the snapshot at boot (igd-lab-groups.service) and of now: its
# IOMMU group at boot and now, how many functions shared that group, and
# the header type's bit 7 (multi-function), so that a kernel whose grouping
# differs is seen at once
pci_report() {
	local boot=$WORK/groups-at-boot now a gb ht gn nb nn mf
	now=$(pci_snapshot)
	[ -s "$boot" ] || diag "lab-groups: no snapshot of the groups at boot ($boot)"
	{ cut -d' ' -f1 "$boot" 2>/dev/null; printf '%s\n' "$now" | cut -d' ' -f1; } | sort -u | while read -r a; do
		[ -n "$a" ] || continue
		gb=$(awk -v a="$a" '$1 == a { print $2 }' "$boot" 2>/dev/null)
		ht=$(awk -v a="$a" '$1 == a { print $3 }' "$boot" 2>/dev/null)
		gn=$(printf '%s\n' "$now" | awk -v a="$a" '$1 == a { print $2 }')
		[ -n "$ht" ] || ht=$(printf '%s\n' "$now" | awk -v a="$a" '$1 == a { print $3 }')
		nb=$(awk -v g="${gb:-x}" '$2 == g' "$boot" 2>/dev/null | wc -l)
		nn=$(printf '%s\n' "$now" | awk -v g="${gn:-x}" '$2 == g' | wc -l)
		mf=$((${ht:-0} >> 7 & 1))
		echo "# lab-groups: $a boot=${gb:-absent}/$nb now=${gn:-absent}/$nn header=${ht:-?} mf=$mf"
	done
}
# pci_of_block NAME: the PCI function under /sys/class/block/NAME
pci_of_block() {
	local p
	p=$(readlink -f "/sys/class/block/$1/device")
	while [ -n "$p" ] && [ "$p" != / ]; do
		case ${p##*/} in [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*) echo "${p##*/}"; return 0 ;; esac
		p=${p%/*}
	done
	return 1
}
# bus_state: what a write would change: the kernel objects (inode numbers), groups and
# drivers of bus 00, autoprobe, and the kernel's PCI messages.
bus_state() {
	local d
	for d in "$PCI"/0000:00:*; do
		echo "${d##*/} ino=$(stat -L -c %i "$d") group=$(group_of "${d##*/}") driver=$(driver_of "${d##*/}")"
	done
	echo "autoprobe=$(cat /sys/bus/pci/drivers_autoprobe)"
	echo "pci-messages=$(dmesg | grep -c ' pci 0000:00:')"
}
# check_refused NAME PCI USE DEV: a config with 1f.3 and PCI is refused by
# apply --dry-run and apply, naming disk DEV and its USE, and nothing is written
check_refused() {
	local name=$1 fn=$2 use=$3 dev=$4 conf=$WORK/$1.conf before after
	printf '[regroup]\nfunctions = 0000:00:1f.3 %s\n' "$fn" >"$conf"
	chmod 0644 "$conf"
	diag "config $conf: functions = 0000:00:1f.3 $fn"
	before=$(bus_state)

	run_igd "$name-dry" apply --dry-run --config "$conf"
	check "apply --dry-run with $fn exits 1" test "$rc" = 1
	check "the dry run says $fn must not be removed: disk $dev is used ($use)" \
		grep -qxF "  $fn must not be removed: disk $dev is used ($use)" "$WORK/$name-dry.out"

	run_igd "$name" apply --config "$conf"
	check "apply with $fn exits 1" test "$rc" = 1
	check "apply refuses: 'Refusing to remove $fn: disk $dev is used ($use). Nothing was changed.'" \
		grep -qxF "Refusing to remove $fn: disk $dev is used ($use). Nothing was changed." "$WORK/$name.err"
	check "apply's result line says refused" grep -Eq '^Result: refused ' "$WORK/$name.out"
	after=$(bus_state)
	check "nothing was written: no PCI function of bus 00 was removed or re-added (not even 0000:00:1f.3, listed first), groups, drivers and autoprobe unchanged" \
		test "$before" = "$after"
	[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/# /'
	check "no record of a cycled NIC" test ! -e /run/igd-regroup/cycled-nics
}
# "ADDR=GROUP ..." for the given functions
groups_line() {
	local a s=
	for a; do s="$s $a=$(group_of "$a")"; done
	echo "${s# }"
}

# ---- network ----
nic_name() { ls "$PCI/$NIC_ADDR/net" 2>/dev/null | head -n 1; }
port_of() {
	local l
	l=$(readlink "/sys/class/net/$1/master" 2>/dev/null) && echo "${l##*/}" || echo none
}
in_bridge() { [ "$(port_of "$1")" = "$2" ] || { echo "$1 is in $(port_of "$1"), not $2"; return 1; }; }
has_carrier() { [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ] || { echo "$1: no carrier"; return 1; }; }
network_up() {
	local nic
	nic=$(nic_name)
	[ -n "$nic" ] || { echo "no interface under $NIC_ADDR"; return 1; }
	in_bridge "$nic" vmbr0 && has_carrier "$nic" && in_bridge tap101i0 vmbr0
}
# unit_msgs UNIT MESSAGE_ID: how many such messages systemd logged for UNIT in this boot
unit_msgs() { journalctl -b -q -o cat "MESSAGE_ID=$2" "UNIT=$1" 2>/dev/null | wc -l; }

# ---- igd-regroup ----
# run_igd NAME ARGS...: runs igd-regroup ARGS, stdout in $WORK/NAME.out,
# stderr in $WORK/NAME.err, exit status in $rc; both shown as diagnostics.
run_igd() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	timeout 300 igd-regroup "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	t1=$(date +%s%N)
	diag "\$ igd-regroup $* -> exit $rc in $(((t1 - t0) / 1000000)) ms"
	diag_file "$WORK/$name.out" "  "
	diag_file "$WORK/$name.err" "  stderr: "
}
# journal_entry FIELD=VALUE...: the last engine entry of this boot has these fields
journal_entry() { journal_msg "$ENGINE_MSGID" "$@"; }
# journal_msg MESSAGE_ID FIELD=VALUE...: the same for the last entry with that id
# (and the matches of JOURNAL_MATCH)
journal_msg() {
	local id=$1 e f
	shift
	e=$(journalctl -b -q -o verbose "MESSAGE_ID=$id" "${JOURNAL_MATCH[@]}" -n 1 2>&1)
	[ -n "$e" ] || { echo "no journal entry with MESSAGE_ID=$id ${JOURNAL_MATCH[*]}"; return 1; }
	for f; do
		printf '%s\n' "$e" | grep -qx "    $f" || { printf 'no %s in:\n%s\n' "$f" "$e"; return 1; }
	done
}
JOURNAL_MATCH=()

# ---- the hookscript and the notifier ----
HOOK=/usr/lib/igd-regroup/igd-regroup-hook
HOOK_MSGID=27545de4456749c4bee32be151a9cf0c
NETNOTIFY_MSGID=8078dfad7e3647c7ad76ead2face1acd
NOTIFIER=igd-regroup-netnotify.service
# systemd's catalog: a unit is reloading
MSGID_UNIT_RELOADING=d34d037fff1847e6ae669a370e694725
# this node's name as Proxmox uses it in mapping/pci.cfg: the hostname's first label
node_name() {
	local h
	h=$(cat /etc/hostname 2>/dev/null)
	[ -n "$h" ] || h=$(uname -n)
	echo "${h%%.*}"
}
# vm_conf VMID LINE...: /etc/pve/qemu-server/VMID.conf, as Proxmox keeps it
vm_conf() {
	local id=$1
	shift
	mkdir -p /etc/pve/qemu-server
	printf '%s\n' "$@" >"/etc/pve/qemu-server/$id.conf"
	diag_file "/etc/pve/qemu-server/$id.conf" "  $id.conf: "
}
# run_hook NAME VMID PHASE: the hookscript as Proxmox runs it (stdin at EOF),
# stdout in $WORK/NAME.out, stderr in $WORK/NAME.err, exit status in $rc.
run_hook() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	timeout 300 "$HOOK" "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	t1=$(date +%s%N)
	diag "\$ igd-regroup-hook $* -> exit $rc in $(((t1 - t0) / 1000000)) ms"
	diag_file "$WORK/$name.out" "  "
	diag_file "$WORK/$name.err" "  stderr: "
}
# notifier_prop PROPERTY: the notifier unit's property. Careful: once the
# oneshot has ended, systemd unloads the unit (garbage collection), and
# `systemctl show` then reads a freshly loaded unit: Result=success,
# ExecMainStatus=0, ExecMainStartTimestamp=0, no InvocationID, whatever the
# run did. How a run ended is read from the journal (notifier_succeeded).
notifier_prop() { systemctl show -P "$1" "$NOTIFIER"; }
# systemd's catalog: a start job finished (JOB_RESULT=done) or failed; a unit
# deactivated successfully; a unit failed with a result; a process exited
MSGID_UNIT_STARTED=39f53479d3a045ac8e11786248231fbf
MSGID_UNIT_FAILED=be02cf6855d2428ba40df7e9d022f03d
MSGID_UNIT_SUCCESS=7ad2d189f7e94e70a38c781354912448
MSGID_UNIT_FAILURE_RESULT=d9b373ed55a64feb8242e02dbe79a49c
MSGID_UNIT_PROCESS_EXIT=98e322203f7a4ed290d09fe03c09fe15
# journal_mark: writes a mark into the journal and sets JOURNAL_CURSOR to it;
# journal_since ARGS...: journalctl -b ARGS from the mark on. (A mark entry
# and --cursor, not the last entry and --after-cursor: systemd 252's
# journalctl skips the first matching entry after the cursor when matches
# are given.)
journal_mark() {
	local tag=igd-lab-mark-$$-$RANDOM
	echo "lab: mark $tag" | systemd-cat -t "$tag"
	wait_until 20 sh -c "journalctl -q -b -t $tag | grep -q ." >/dev/null
	JOURNAL_CURSOR=$(journalctl -q -b -t "$tag" -n 1 -o cat --show-cursor | sed -n 's/^-- cursor: //p')
	[ -n "$JOURNAL_CURSOR" ] || diag "lab: no journal cursor for the mark $tag"
}
JOURNAL_CURSOR=
journal_since() { journalctl -b -q ${JOURNAL_CURSOR:+"--cursor=$JOURNAL_CURSOR"} "$@" 2>/dev/null; }
# notifier_mark: before something starts the notifier
notifier_mark() { journal_mark; }
# notifier_sys MESSAGE_ID [FIELD=VALUE...]: how many such systemd messages
# about the notifier since the mark
notifier_sys() {
	local id=$1
	shift
	journal_since -o verbose _PID=1 "UNIT=$NOTIFIER" "MESSAGE_ID=$id" "$@" | grep -c '^    MESSAGE_ID='
}
# notifier_finished: since the mark, a start job of the notifier ended
# (systemd's "Finished ..." or "Failed to start ...") and the unit is idle
notifier_finished() {
	local ended state job
	ended=$(($(notifier_sys $MSGID_UNIT_STARTED) + $(notifier_sys $MSGID_UNIT_FAILED)))
	state=$(notifier_prop ActiveState)
	job=$(notifier_prop Job)
	[ "$ended" -ge 1 ] || { echo "no start job of $NOTIFIER ended since the mark (ActiveState $state, job '$job')"; return 1; }
	case $state in
	inactive | failed) [ -z "$job" ] || [ "$job" = 0 ] ||
		{ echo "$NOTIFIER is $state with a job queued ($job)"; return 1; } ;;
	*) echo "$NOTIFIER is $state ($(notifier_prop StatusText))"; return 1 ;;
	esac
}
# notifier_run_ok: waits (bounded: its lock wait and its [network]
# timeout_ms, 30 s each, and slack) for notifier_finished, then notifier_succeeded
notifier_run_ok() { wait_until 120 notifier_finished && notifier_succeeded; }
# notifier_succeeded: exactly one run since the mark, and it ended with
# Result=success and exit status 0: its start job is done (a oneshot's job is
# done only when ExecStart exited 0), systemd said "Deactivated successfully"
# (Result=success), and neither "Failed with result" nor a main-process exit
# status was logged (systemd logs those only on failure)
notifier_succeeded() {
	local ndone failed success failure exits
	ndone=$(notifier_sys $MSGID_UNIT_STARTED)
	failed=$(notifier_sys $MSGID_UNIT_FAILED)
	success=$(notifier_sys $MSGID_UNIT_SUCCESS)
	failure=$(notifier_sys $MSGID_UNIT_FAILURE_RESULT)
	exits=$(notifier_sys $MSGID_UNIT_PROCESS_EXIT)
	[ "$ndone/$failed/$success/$failure/$exits" = 1/0/1/0/0 ] || {
		echo "since the mark: $ndone start job(s) done, $failed failed, $success 'Deactivated successfully', $failure 'Failed with result', $exits process exit(s) logged"
		journal_since -o verbose _PID=1 "UNIT=$NOTIFIER" | grep -E '^    (MESSAGE|UNIT_RESULT|EXIT_CODE|EXIT_STATUS|JOB_RESULT)='
		return 1
	}
}
# notifier_journal [journalctl options]: the notifier's lines since the mark
notifier_journal() { journal_since -o cat -u "$NOTIFIER" "$@"; }
# notifier_show: its state and its lines since the mark, as diagnostics
notifier_show() {
	diag "$NOTIFIER since the mark: $(notifier_sys $MSGID_UNIT_STARTED) start job(s) done, $(notifier_sys $MSGID_UNIT_SUCCESS) 'Deactivated successfully', $(notifier_sys $MSGID_UNIT_FAILURE_RESULT) 'Failed with result'; now ActiveState=$(notifier_prop ActiveState)"
	journal_since -o short-monotonic -u "$NOTIFIER" | sed 's/^/#   notifier: /'
}
# notifier_says TEXT: since the mark, the notifier wrote this line (whole line)
notifier_says() {
	notifier_journal | grep -qxF -- "$1" || { echo "the notifier's run did not say: $1"; return 1; }
}
# notifier_entry FIELD=VALUE...: its one journal entry since the mark has these fields
notifier_entry() {
	local e f
	e=$(journal_since -o verbose "MESSAGE_ID=$NETNOTIFY_MSGID")
	[ -n "$e" ] || { echo "no journal entry with MESSAGE_ID=$NETNOTIFY_MSGID since the mark"; return 1; }
	[ "$(printf '%s\n' "$e" | grep -c '^    MESSAGE_ID=')" = 1 ] || { printf 'more than one notifier entry since the mark:\n%s\n' "$e"; return 1; }
	for f; do
		printf '%s\n' "$e" | grep -qx "    $f" || { printf 'no %s in:\n%s\n' "$f" "$e"; return 1; }
	done
}
