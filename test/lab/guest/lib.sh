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
journal_entry() {
	local e f
	e=$(journalctl -b -q -o verbose "MESSAGE_ID=$ENGINE_MSGID" "${JOURNAL_MATCH[@]}" -n 1 2>&1)
	[ -n "$e" ] || { echo "no journal entry with MESSAGE_ID=$ENGINE_MSGID ${JOURNAL_MATCH[*]}"; return 1; }
	for f; do
		printf '%s\n' "$e" | grep -qx "    $f" || { printf 'no %s in:\n%s\n' "$f" "$e"; return 1; }
	done
}
JOURNAL_MATCH=()
