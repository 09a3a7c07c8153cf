#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# seeds.sh DIR: writes each fuzz target's seed inputs under DIR/TARGET/, taken
# from the shipped config and the test fixtures (the seed machines' VM configs,
# pci.cfg), so the fuzzer starts from real input.
set -eu
out=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fx=$src/test/fixtures
rm -rf "$out"
for t in config pci-addr hostpci vmconf mapping modconf udevdb mountinfo leftovers; do mkdir -p "$out/$t"; done

cp "$src/conf/igd-regroup.conf" "$out/config/shipped.conf"
cp "$fx/hp-elitedesk-800-g4.conf" "$out/config/hp-elitedesk-800-g4.conf"

i=0
for a in 0000:00:1f.3 00:02.0 00:1f 0000:00:02 ffff:ff:1f.7 10000:00:00.0; do
	i=$((i + 1))
	printf '%s' "$a" >"$out/pci-addr/$i"
done

for f in "$fx"/pve/*.conf; do
	cp "$f" "$out/vmconf/${f##*/}"
	sed -n 's/^hostpci[0-9]*: *//p' "$f" | while IFS= read -r v; do
		printf '%s' "$v" >"$out/hostpci/$(printf '%s' "$v" | cksum | cut -d' ' -f1)"
	done
done

# mapping: "NAME\n" + pci.cfg, for each mapping the fixture defines
grep -v '^[[:space:]#]' "$fx/pve/pci.cfg" | grep -v '^$' | while IFS= read -r name; do
	{ printf '%s\n' "$name"; cat "$fx/pve/pci.cfg"; } >"$out/mapping/$name"
done

printf 'vfio-pci.ids\nBOOT_IMAGE=/vmlinuz-6.8.12-4-pve root=ZFS=rpool/ROOT/pve-1 quiet intel_iommu=on iommu=pt vfio-pci.ids=8086:a348,8086:3e92 modprobe.blacklist=snd_hda_intel,i915' >"$out/modconf/ids"
printf 'modprobe.blacklist\nquiet modprobe.blacklist=snd_hda_intel modprobe_blacklist=i915,snd_sof_pci_intel_tgl "vfio_pci.ids=8086:a348:103c:83e0"' >"$out/modconf/blacklist"

# udevdb: records as udev writes them (run/udev/data/bMAJ:MIN)
printf 'S:disk/by-id/ata-X-part3\nW:12\nI:4211\nE:ID_FS_TYPE=zfs_member\nE:ID_FS_LABEL=rpool\nG:systemd\n' >"$out/udevdb/zfs"
printf 'E:DM_NAME=data2-data_tpool\nE:DM_VG_NAME=data2\nE:DM_LV_NAME=data_tpool\nE:DM_LV_LAYER=tpool\nE:ID_FS_TYPE=' >"$out/udevdb/thin"

# mountinfo: the kernel's lines, escapes and optional fields included
printf '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/pve-root rw,errors=remount-ro\n25 22 0:24 / /rpool rw shared:2 master:1 - zfs rpool rw,xattr\n30 22 8:2 / /mnt/with\\040blank rw - vfat /dev/sda2 rw\n' >"$out/mountinfo/host"

# leftovers: the seed's two @reboot jobs and its script's lines
printf '@reboot echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.3/remove && echo 1 > /sys/bus/pci/rescan\n' >"$out/leftovers/one-line"
printf '@reboot /root/passthrough-tweak.sh\necho 1 > /sys/bus/pci/devices/0000\\:00\\:1f.0/remove\necho 1 > /sys/bus/pci/rescan\nsystemctl restart networking\n' >"$out/leftovers/script"
