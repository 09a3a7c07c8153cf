# Scenario 5: safety. A config that names the function holding the root disk
# (virtio-blk at 00:03.0), or the one holding a mounted filesystem (the data
# disk at 00:04.0, on /mnt/data), is refused before anything is written --
# even 1f.3, listed first, is left alone.
wait_boot

# pci_of_block NAME: the PCI function under /sys/class/block/NAME
pci_of_block() {
	local p
	p=$(readlink -f "/sys/class/block/$1/device")
	while [ "$p" != / ]; do
		case ${p##*/} in [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*) echo "${p##*/}"; return 0 ;; esac
		p=${p%/*}
	done
	return 1
}
# What a write would change: the kernel objects (inode numbers), groups and
# drivers of bus 00, autoprobe, and the kernel's PCI messages.
state() {
	local d
	for d in "$PCI"/0000:00:*; do
		echo "${d##*/} ino=$(stat -L -c %i "$d") group=$(group_of "${d##*/}") driver=$(driver_of "${d##*/}")"
	done
	echo "autoprobe=$(cat /sys/bus/pci/drivers_autoprobe)"
	echo "pci-messages=$(dmesg | grep -c ' pci 0000:00:')"
}

root_dev=$(findmnt -n -o SOURCE /)
root_dev=${root_dev#/dev/}
data_dev=$(findmnt -n -o SOURCE /mnt/data)
data_dev=${data_dev#/dev/}
root_pci=$(pci_of_block "$root_dev")
data_pci=$(pci_of_block "${data_dev:-none}")
diag "root filesystem on /dev/$root_dev ($root_pci), /mnt/data on /dev/${data_dev:-?} (${data_pci:-?})"
check "lab: the root disk is a PCI function ($root_pci)" test -n "$root_pci"
check "lab: /mnt/data is mounted from a PCI disk (${data_pci:-?})" test -n "$data_pci"

try() { # try NAME PCI REASON DEV
	local name=$1 fn=$2 reason=$3 dev=$4 conf=$WORK/$1.conf before after
	printf '[regroup]\nfunctions = 0000:00:1f.3 %s\n' "$fn" >"$conf"
	chmod 0644 "$conf"
	diag "config $conf: functions = 0000:00:1f.3 $fn"
	before=$(state)

	run_igd "$name-dry" apply --dry-run --config "$conf"
	check "apply --dry-run with $fn exits 1" test "$rc" = 1
	check "the dry run says $fn must not be removed: $reason ($dev)" \
		grep -qx "  $fn must not be removed: $reason ($dev)" "$WORK/$name-dry.out"

	run_igd "$name" apply --config "$conf"
	check "apply with $fn exits 1" test "$rc" = 1
	check "apply refuses: 'Refusing to remove $fn: $reason ($dev). Nothing was changed.'" \
		grep -qx "Refusing to remove $fn: $reason ($dev). Nothing was changed." "$WORK/$name.err"
	check "apply's result line says refused" grep -Eq '^Result: refused ' "$WORK/$name.out"
	after=$(state)
	check "nothing was written: no PCI function of bus 00 was removed or re-added (not even 0000:00:1f.3, listed first), groups, drivers and autoprobe unchanged" \
		test "$before" = "$after"
	[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/# /'
	check "no record of a cycled NIC" test ! -e /run/igd-regroup/cycled-nics
}
try root "$root_pci" "it backs the root filesystem" "$root_dev"
try data "${data_pci:-0000:00:04.0}" "it backs a mounted filesystem" "${data_dev:-vdb}"
check "the root filesystem still works" sh -c "echo ok >/var/tmp/igd-lab-write && sync && grep -q ok /var/tmp/igd-lab-write"
check "/mnt/data still works" sh -c "echo ok >/mnt/data/igd-lab-write && sync && grep -q ok /mnt/data/igd-lab-write"
