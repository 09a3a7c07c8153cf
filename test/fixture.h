/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test fixtures: a temporary root in the layout of the real one (sys/, proc/,
 * dev/, usr/share/misc/pci.ids) built from a compact, line-based topology.
 * Used by the snapshot, planning and status suites and as the starting state
 * of the sysfs simulator.
 *
 * FORMAT. One directive per line; words are separated by blanks; a word that
 * starts with '#' begins a comment that runs to the end of the line; a word in
 * double quotes may hold blanks. ADDR is a PCI address in any form
 * pci_addr_parse() accepts (written canonically: "0000:00:1f.3"). NAME is a
 * single path component (no '/', not "." or ".."). PATH is an absolute path
 * inside the root without ".." components.
 *
 *   device ADDR VVVV:DDDD [sub=VVVV:DDDD] [class=CCCCCC] [rev=RR] [irq=N]
 *          [group=N] [driver=NAME] [bridge[=BB]] [parent=ADDR]
 *       A PCI function: sys/devices/pci<DDDD>:00/<ADDR>/ (or inside the
 *       directory of parent=ADDR, as behind a root port) with vendor, device,
 *       subsystem_vendor, subsystem_device (0x0000 without sub=), class
 *       (default 000000), revision, modalias, irq, resource, config (64 bytes: ids,
 *       class, header type 0x00, or 0x01 for a bridge, | 0x80 for function 0
 *       of a slot with several functions, as q35 and the PCHs show it;
 *       subsystem ids), remove, rescan,
 *       driver_override "(null)", subsystem -> bus/pci; the link
 *       sys/bus/pci/devices/<ADDR>; driver -> bus/pci/drivers/NAME (the driver
 *       directory is created with bind, unbind, new_id, remove_id and gets the
 *       <ADDR> back link); iommu_group -> kernel/iommu_groups/N with
 *       kernel/iommu_groups/N/devices/<ADDR>. bridge adds pci_bus/ (with
 *       <DDDD>:<BB> for the secondary bus: =BB, else the bus of a device whose
 *       parent= is this one).
 *   vendor VVVV NAME...            a vendor line of the fixture's pci.ids
 *   name VVVV:DDDD NAME...         a device line; its vendor needs a vendor line
 *       (NAME... is the rest of the line, or one "quoted word")
 *   net NAME (dev=ADDR | virtual) [sub=REL] [state=up|down|unknown|...]
 *          [flags=0xHEX] [carrier=0|1|none] [master=NAME]
 *       A netdev: <device dir>/net/NAME (or <device dir>/REL) or
 *       sys/devices/virtual/net/NAME, with operstate, flags, carrier (absent
 *       with none, as the kernel refuses to read it on a down link), the link
 *       sys/class/net/NAME. Defaults from state: up -> flags 0x1003 carrier 1;
 *       down -> 0x1002 none; anything else -> 0x9 carrier 1 (like lo).
 *       master=BR (declared in the same text) adds master and upper_BR links
 *       to BR's directory, BR/brif/NAME back, and BR/bridge/.
 *   block NAME (dev=ADDR | parent=DISK | virtual) [sub=REL] [slaves=A,B,...]
 *       A block device: a disk under its PCI device
 *       (<dir>/ata<k>/host<k-1>/target<k-1>:0:0/<k-1>:0:0:0/block/NAME, or
 *       <dir>/nvme/nvmeX/NAME for nvmeXnY, or <dir>/REL), a partition inside
 *       its disk's directory (with the file partition), or
 *       sys/devices/virtual/block/NAME; each with dev (MAJ:MIN: 253 for dm-*,
 *       259 for nvme*, else 8; minors in order, skipping those a device of an
 *       earlier build has, and a device built again keeps its number), holders/,
 *       slaves/ (with links to A, B; they get holders/NAME back), the link
 *       sys/class/block/NAME and an empty regular file dev/NAME (no mknod).
 *   link PATH TARGET               a symlink, TARGET verbatim (use relative
 *                                  targets: "link /dev/mapper/pve-root ../dm-0")
 *   mount SOURCE MOUNTPOINT [FSTYPE [OPTIONS]] [dev=MAJ:MIN]
 *       appends "SOURCE MOUNTPOINT FSTYPE OPTIONS 0 0" to proc/mounts and
 *       "ID 1 MAJ:MIN / MOUNTPOINT OPTIONS shared:1 - FSTYPE SOURCE rw" to
 *       proc/self/mountinfo, verbatim: write a blank in a path as \040, as
 *       the kernel does. Defaults: ext4, rw,relatime, an anonymous device
 *       number 0:N (as btrfs, ZFS and tmpfs show).
 *   udev NAME KEY=VALUE...         the udev database record of block device
 *                                  NAME (declared in this text or earlier):
 *                                  run/udev/data/b<MAJ:MIN> with "E:KEY=VALUE"
 *                                  lines
 *   swap SOURCE [partition|file]   appends to proc/swaps (type default:
 *                                  partition under /dev/, else file)
 *   cmdline TEXT...                proc/cmdline
 *   noiommu                        no IOMMU: group= is ignored and
 *                                  sys/kernel/iommu_groups stays empty
 *   module NAME [driver=DRV]       sys/module/NAME; with driver= also the
 *                                  driver directory sys/bus/pci/drivers/DRV
 *                                  ("module vfio_pci" implies driver=vfio-pci)
 *   driver NAME                    an unbound driver directory
 *   file PATH [TEXT...]            a file holding TEXT and a newline
 *
 * Always present: sys/bus/pci/{devices,drivers,slots}/, sys/bus/pci/rescan,
 * drivers_probe, drivers_autoprobe ("1"), sys/class/{net,block}/,
 * sys/kernel/iommu_groups/, sys/module/, dev/, proc/mounts,
 * proc/self/mountinfo, proc/swaps (with
 * its header), proc/cmdline, usr/share/misc/pci.ids.
 *
 * INCREMENTAL USE. fixture_build() may be called again on the same root (the
 * simulator re-adds a removed function that way): directories are reused,
 * links and attribute files replaced (but nothing is removed: a device that
 * changes group or driver must be removed from the tree first, as the
 * simulator's remove does); mount and swap lines are appended;
 * proc/cmdline and pci.ids are rewritten only by a text that has cmdline,
 * respectively vendor/name lines; global files are created only when missing.
 */
#pragma once

/*
 * Builds text into root (an existing directory). Returns 0 or -errno when a
 * file cannot be written. Malformed text aborts the running Check test with
 * "<source>:<line>: <what is wrong>" (also printed to stderr; outside a Check
 * test, as in mkfixture, the process then exits).
 */
int fixture_build(const char *root, const char *text);
int fixture_build_file(const char *root, const char *topo_path);
/* $IGD_TEST_SRCDIR/fixtures/<name>.topo (IGD_TEST_SRCDIR defaults to "test"). */
int fixture_build_named(const char *root, const char *name);
/* The path fixture_build_named() reads, malloc'd. Aborts the test on ENOMEM. */
char *fixture_topo_path(const char *name);
