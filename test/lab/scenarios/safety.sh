# Scenario 5: safety. A config that names the function holding the root disk
# (virtio-blk at 00:03.0), or the one holding a mounted filesystem (the data
# disk at 00:04.0, on /mnt/data), is refused before anything is written --
# even 1f.3, listed first, is left alone.
wait_boot

root_dev=$(findmnt -n -o SOURCE /)
root_dev=${root_dev#/dev/}
data_dev=$(findmnt -n -o SOURCE /mnt/data)
data_dev=${data_dev#/dev/}
root_pci=$(pci_of_block "$root_dev")
data_pci=$(pci_of_block "${data_dev:-none}")
diag "root filesystem on /dev/$root_dev ($root_pci), /mnt/data on /dev/${data_dev:-?} (${data_pci:-?})"
check "lab: the root disk is a PCI function ($root_pci)" test -n "$root_pci"
check "lab: /mnt/data is mounted from a PCI disk (${data_pci:-?})" test -n "$data_pci"

check_refused root "$root_pci" "/" "$root_dev"
check_refused data "${data_pci:-0000:00:04.0}" "/mnt/data" "${data_dev:-vdb}"
check "the root filesystem still works" sh -c "echo ok >/var/tmp/igd-lab-write && sync && grep -q ok /var/tmp/igd-lab-write"
check "/mnt/data still works" sh -c "echo ok >/mnt/data/igd-lab-write && sync && grep -q ok /mnt/data/igd-lab-write"
