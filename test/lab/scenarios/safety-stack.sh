# Scenario: safety for storage stacks that nothing mounts. The data disk
# (virtio-blk at 00:04.0) becomes the LVM physical volume of an active volume
# group with a thin pool and a thin volume, nothing mounted: apply --dry-run
# and apply refuse 00:04.0 naming the LVM use, read from the real udev
# database (sd-device), and nothing is written. Then a "VM" (a process named
# by /run/qemu-server/100.pid) holds the thin volume open: the refusal names
# VM 100. Then a swap file on a filesystem of that disk is active: the
# refusal names it. At the end the volume group is deactivated: an inactive
# VG is not a use, and 00:04.0 is no longer refused.
wait_boot

data_dev=$(findmnt -n -o SOURCE /mnt/data)
data_dev=${data_dev#/dev/}
data_pci=$(pci_of_block "${data_dev:-none}")
diag "/mnt/data on /dev/${data_dev:-?} (${data_pci:-?})"
check "lab: /mnt/data is mounted from a PCI disk (${data_pci:-?})" test -n "$data_pci"
dev=${data_dev:-vdb}
fn=${data_pci:-0000:00:04.0}
vg=igdlabvg

# status_disk: the "disk DEV (...)" part of fn's status line, or nothing
status_disk() {
	run_igd "status-$1" status >&2
	grep -F " $fn " "$WORK/status-$1.out" | grep -o "  disk $dev ([^)]*)" | sed 's/^  //'
}
step() { # step DESCRIPTION CMD...: a setup step; its output goes to the log
	local out
	out=$("${@:2}" 2>&1) && ok "$1" || { not_ok "$1"; diag "$out"; }
}

step "unmount /mnt/data" umount /mnt/data
step "wipe /dev/$dev" wipefs -a "/dev/$dev"
step "pvcreate /dev/$dev" pvcreate -y -ff "/dev/$dev"
step "vgcreate $vg /dev/$dev" vgcreate "$vg" "/dev/$dev"
# (--monitor n: the guest has no dmeventd)
step "lvcreate a 16 MiB thin pool $vg/pool" lvcreate -y --monitor n -L 16M -T "$vg/pool"
step "lvcreate a 32 MiB thin volume $vg/thin1 in it" lvcreate -y --monitor n -V 32M -T "$vg/pool" -n thin1
udevadm trigger --action=change "/dev/$dev" >/dev/null 2>&1
udevadm settle
diag "$(lsblk -o NAME,MAJ:MIN,TYPE,FSTYPE,MOUNTPOINTS "/dev/$dev" 2>&1)"
diag "udev: $(udevadm info -q property "/dev/$dev" | grep -E '^ID_FS_TYPE=' | tr '\n' ' ')"
check "nothing on /dev/$dev is mounted" sh -c "! lsblk -n -o MOUNTPOINTS /dev/$dev | grep -q ."
check "/dev/$dev has holders (the thin pool's dm devices)" test -n "$(ls "/sys/class/block/$dev/holders")"

use="LVM $vg: thin pool"
got=$(status_disk lvm)
check "status shows 'disk $dev ($use)' (udev: LVM2_member, DM_VG_NAME)" test "$got" = "disk $dev ($use)"
diag "status: $got"
check_refused lvm "$fn" "$use" "$dev"

# A running VM: a process named by a Proxmox pid file holds the thin volume open.
mkdir -p /run/qemu-server
sleep 600 <"/dev/$vg/thin1" &
vm_pid=$!
echo "$vm_pid" >/run/qemu-server/100.pid
diag "VM 100: pid $vm_pid holds $(readlink "/proc/$vm_pid/fd/0") open"
use="LVM $vg: thin pool, VM 100"
got=$(status_disk vm)
check "status shows 'disk $dev ($use)'" test "$got" = "disk $dev ($use)"
diag "status: $got"
check_refused vm "$fn" "$use" "$dev"
kill "$vm_pid"
wait "$vm_pid" 2>/dev/null
rm -f /run/qemu-server/100.pid

# A swap file on a filesystem of the same disk (not on /mnt/data: systemd
# would unmount anything there, its fstab device being gone).
step "lvcreate $vg/files (24 MiB)" lvcreate -y -L 24M -n files "$vg"
step "mkfs.ext4 on $vg/files" mkfs.ext4 -q "/dev/$vg/files"
mkdir -p /mnt/stack
step "mount it on /mnt/stack" mount "/dev/$vg/files" /mnt/stack
step "an 8 MiB swap file /mnt/stack/swapfile" dd if=/dev/zero of=/mnt/stack/swapfile bs=1M count=8 status=none
chmod 0600 /mnt/stack/swapfile
step "mkswap /mnt/stack/swapfile" mkswap /mnt/stack/swapfile
step "swapon /mnt/stack/swapfile" swapon /mnt/stack/swapfile
diag "$(cat /proc/swaps)"
use="LVM $vg: thin pool, /mnt/stack, swap file /mnt/stack/swapfile"
got=$(status_disk swapfile)
check "status shows 'disk $dev ($use)'" test "$got" = "disk $dev ($use)"
diag "status: $got"
check_refused swapfile "$fn" "$use" "$dev"

# An inactive volume group is not a use (nothing can reach it without vgchange -ay).
step "swapoff" swapoff /mnt/stack/swapfile
step "umount /mnt/stack" umount /mnt/stack
step "vgchange -an $vg" vgchange -an "$vg"
udevadm settle
check "/dev/$dev has no holders now" test -z "$(ls "/sys/class/block/$dev/holders")"
got=$(status_disk inactive)
check "status shows no use of $dev" test -z "$got"
printf '[regroup]\nfunctions = %s\n' "$fn" >"$WORK/inactive.conf"
run_igd inactive-dry apply --dry-run --config "$WORK/inactive.conf"
check "apply --dry-run would remove $fn now (exit 0)" test "$rc" = 0
check "the dry run lists $fn to remove" grep -q "^  1\. $fn " "$WORK/inactive-dry.out"
