/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot against fixture roots built from the seeds' machines, and once against the real host. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "testutil.h"
#include "topology/snapshot.h"

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct snapshot snap;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
}

static void teardown(void)
{
	snapshot_done(&snap);
	tu_root_teardown(&root, &ctx, &logbuf);
}

static void build_named(const char *name)
{
	ck_assert_int_eq(fixture_build_named(root, name), 0);
}

static void build_text(const char *text)
{
	ck_assert_int_eq(fixture_build(root, text), 0);
}

static void read_ok(void)
{
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
}

/* The number of captured log lines at priority prio or more urgent. */
static size_t log_count_upto(int prio)
{
	size_t n = 0;

	for (const char *s = logbuf.buf; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
		n += atoi(s) <= prio;
	return n;
}

static const struct pci_device *find(const char *addr)
{
	struct pci_addr a;

	ck_assert_int_eq(pci_addr_parse(addr, 0, &a), 0);
	return snapshot_find(&snap, &a);
}

static const struct pci_device *dev(const char *addr)
{
	const struct pci_device *d = find(addr);

	ck_assert_msg(d != NULL, "no device %s in the snapshot", addr);
	return d;
}

static void unlink_in_root(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	ck_assert_msg(unlink(p) == 0, "unlink %s: %s", p, strerror(errno));
}

/* ---- HP EliteDesk 800 G4 (seed 000) ---- */

START_TEST(hp_devices)
{
	const struct pci_device *d;

	build_named("hp-elitedesk-800-g4");
	read_ok();
	ck_assert_uint_eq(snap.n_devices, 14);
	for (size_t i = 1; i < snap.n_devices; i++)
		ck_assert_int_lt(pci_addr_cmp(&snap.devices[i - 1].addr, &snap.devices[i].addr), 0);
	ck_assert_str_eq(PCI_ADDR_STR(&snap.devices[0].addr), "0000:00:00.0");
	ck_assert_str_eq(PCI_ADDR_STR(&snap.devices[13].addr), "0000:00:1f.6");

	d = dev("00:1f.3");
	ck_assert_uint_eq(d->vendor_id, 0x8086);
	ck_assert_uint_eq(d->device_id, 0xa348);
	ck_assert_uint_eq(d->subsys_vendor_id, 0x103c);
	ck_assert_uint_eq(d->subsys_device_id, 0x83e2);
	ck_assert_uint_eq(d->class_code, 0x040300);
	ck_assert(!d->is_bridge);
	d = dev("00:02.0");
	ck_assert_uint_eq(d->device_id, 0x3e92);
	ck_assert_uint_eq(d->class_code, 0x030000);
	d = dev("00:14.0");
	ck_assert_uint_eq(d->class_code, 0x0c0330);
	d = dev("00:14.3");
	ck_assert_uint_eq(d->subsys_vendor_id, 0x8086);
	ck_assert_uint_eq(d->subsys_device_id, 0x0034);
	d = dev("00:1f.6");
	ck_assert_uint_eq(d->device_id, 0x15bb);
	ck_assert_uint_eq(d->class_code, 0x020000);
	ck_assert_uint_eq(log_count_upto(LOG_WARNING), 0);
}
END_TEST

START_TEST(hp_names)
{
	build_named("hp-elitedesk-800-g4");
	read_ok();
	ck_assert_str_eq(dev("00:1f.6")->vendor_name, "Intel Corporation");
	ck_assert_str_eq(dev("00:1f.6")->device_name, "Ethernet Connection (7) I219-LM");
	ck_assert_str_eq(dev("00:02.0")->device_name, "CoffeeLake-S GT2 [UHD Graphics 630]");
	ck_assert_str_eq(dev("00:1f.3")->device_name, "Cannon Lake PCH cAVS");
	ck_assert_str_eq(dev("00:1f.0")->device_name, "Q370 Chipset LPC/eSPI Controller");
	ck_assert_str_eq(dev("00:17.0")->device_name, "SATA Controller [RAID mode]");
	/* class names from pci.ids' class section, as lspci shows them */
	ck_assert_str_eq(dev("00:1f.3")->class_name, "Audio device");
	ck_assert_str_eq(dev("00:1f.6")->class_name, "Ethernet controller");
	ck_assert_str_eq(dev("00:1f.0")->class_name, "ISA bridge");
	ck_assert_str_eq(dev("00:1f.4")->class_name, "SMBus");
	ck_assert_str_eq(dev("00:17.0")->class_name, "RAID bus controller");
}
END_TEST

START_TEST(hp_drivers)
{
	build_named("hp-elitedesk-800-g4");
	read_ok();
	ck_assert_str_eq(dev("00:02.0")->driver, "i915");
	ck_assert_str_eq(dev("00:14.0")->driver, "xhci_hcd");
	ck_assert_str_eq(dev("00:14.3")->driver, "iwlwifi");
	ck_assert_str_eq(dev("00:16.0")->driver, "mei_me");
	ck_assert_str_eq(dev("00:17.0")->driver, "ahci");
	ck_assert_ptr_null(dev("00:1f.0")->driver);
	ck_assert_str_eq(dev("00:1f.3")->driver, "snd_hda_intel");
	ck_assert_str_eq(dev("00:1f.4")->driver, "i801_smbus");
	ck_assert_str_eq(dev("00:1f.5")->driver, "intel-spi");
	ck_assert_str_eq(dev("00:1f.6")->driver, "e1000e");
	ck_assert_ptr_null(dev("00:14.2")->driver);
}
END_TEST

START_TEST(hp_groups)
{
	static const struct {
		const char *addr;
		int group;
	} want[] = {
		{ "00:02.0", 0 }, { "00:00.0", 1 }, { "00:12.0", 2 }, { "00:14.0", 3 }, { "00:14.2", 3 },
		{ "00:14.3", 4 }, { "00:16.0", 5 }, { "00:16.3", 5 }, { "00:17.0", 6 }, { "00:1f.0", 7 },
		{ "00:1f.3", 7 }, { "00:1f.4", 7 }, { "00:1f.5", 7 }, { "00:1f.6", 7 },
	};

	build_named("hp-elitedesk-800-g4");
	read_ok();
	ck_assert(snap.iommu_groups);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(dev(want[i].addr)->iommu_group == want[i].group, "%s: group %d, want %d",
			      want[i].addr, dev(want[i].addr)->iommu_group, want[i].group);
	ck_assert_uint_eq(snapshot_group_size(&snap, 7), 5);
	ck_assert_uint_eq(snapshot_group_size(&snap, 3), 2);
	ck_assert_uint_eq(snapshot_group_size(&snap, 5), 2);
	ck_assert_uint_eq(snapshot_group_size(&snap, 0), 1);
	ck_assert_uint_eq(snapshot_group_size(&snap, 8), 0);
	ck_assert_uint_eq(snapshot_group_size(&snap, IOMMU_GROUP_NONE), 0);
}
END_TEST

START_TEST(hp_netdevs)
{
	const struct pci_device *nic, *wifi;

	build_named("hp-elitedesk-800-g4");
	read_ok();
	nic = dev("00:1f.6");
	ck_assert_uint_eq(nic->n_netdevs, 1);
	ck_assert_str_eq(nic->netdevs[0].name, "eno1");
	ck_assert_str_eq(nic->netdevs[0].operstate, "up");
	ck_assert(nic->netdevs[0].admin_up);
	ck_assert(nic->netdevs[0].carrier);
	ck_assert_str_eq(nic->netdevs[0].master, "vmbr0");
	ck_assert(pci_device_has_up_netdev(nic));

	wifi = dev("00:14.3");
	ck_assert_uint_eq(wifi->n_netdevs, 1);
	ck_assert_str_eq(wifi->netdevs[0].name, "wlp0s20f3");
	ck_assert_str_eq(wifi->netdevs[0].operstate, "down");
	ck_assert(!wifi->netdevs[0].admin_up);
	ck_assert(!wifi->netdevs[0].carrier); /* no carrier file on a down link */
	ck_assert_ptr_null(wifi->netdevs[0].master);
	ck_assert(!pci_device_has_up_netdev(wifi));

	/* vmbr0, lo and wt0 are virtual: on no PCI device. */
	for (size_t i = 0; i < snap.n_devices; i++) {
		const struct pci_device *d = &snap.devices[i];

		if (d != nic && d != wifi)
			ck_assert_msg(d->n_netdevs == 0, "%s has netdevs", PCI_ADDR_STR(&d->addr));
	}
}
END_TEST

START_TEST(hp_storage)
{
	const struct pci_device *sata;
	const struct blockdev_info *bd;

	build_named("hp-elitedesk-800-g4");
	read_ok();
	sata = dev("00:17.0");
	ck_assert_uint_eq(sata->n_blockdevs, 4);
	bd = sata->blockdevs;
	ck_assert_str_eq(bd[0].name, "sda");
	ck_assert_str_eq(bd[1].name, "sda1");
	ck_assert_str_eq(bd[2].name, "sda2");
	ck_assert_str_eq(bd[3].name, "sda3");
	/* dm-0 (pve-root, "/") and dm-1 (swap) have sda3 in slaves/. */
	ck_assert(bd[3].root && bd[3].mounted && bd[3].swap);
	/* The disk is used through its partitions. */
	ck_assert(bd[0].root && bd[0].mounted && bd[0].swap);
	ck_assert(bd[2].mounted && !bd[2].root && !bd[2].swap); /* /boot/efi */
	ck_assert(!bd[1].mounted && !bd[1].root && !bd[1].swap);
	ck_assert(pci_device_uses_storage(sata));

	for (size_t i = 0; i < snap.n_devices; i++) {
		const struct pci_device *d = &snap.devices[i];

		if (d != sata) {
			ck_assert_msg(d->n_blockdevs == 0, "%s has block devices", PCI_ADDR_STR(&d->addr));
			ck_assert(!pci_device_uses_storage(d));
		}
	}
}
END_TEST

START_TEST(hp_split)
{
	build_named("hp-elitedesk-800-g4-split");
	read_ok();
	ck_assert_int_eq(dev("00:1f.3")->iommu_group, 8);
	ck_assert_uint_eq(snapshot_group_size(&snap, 8), 1);
	ck_assert_uint_eq(snapshot_group_size(&snap, 7), 4);
	ck_assert_int_eq(dev("00:1f.6")->iommu_group, 7);
	ck_assert_str_eq(dev("00:1f.3")->driver, "vfio-pci");
	ck_assert_str_eq(dev("00:02.0")->driver, "vfio-pci");
	ck_assert(pci_device_has_up_netdev(dev("00:1f.6")));
}
END_TEST

/* ---- N100 and Esprimo Q957 (seed 001) ---- */

START_TEST(n100)
{
	const struct pci_device *nvme;

	build_named("n100");
	read_ok();
	ck_assert_uint_eq(snap.n_devices, 13);
	ck_assert_ptr_null(find("00:1f.6"));
	ck_assert_uint_eq(snapshot_group_size(&snap, dev("00:1f.0")->iommu_group), 4);
	ck_assert_int_eq(dev("00:1f.3")->iommu_group, dev("00:1f.5")->iommu_group);
	ck_assert_uint_eq(dev("00:02.0")->device_id, 0x46d1);
	ck_assert_ptr_null(dev("00:02.0")->driver);
	ck_assert_uint_eq(dev("00:1f.3")->device_id, 0x54c8);
	ck_assert_str_eq(dev("00:1f.0")->device_name, "Alder Lake-N PCH eSPI Controller");
	ck_assert_str_eq(dev("00:1c.0")->device_name, "Alder Lake-N PCI Express Root Port #7");
	ck_assert_str_eq(dev("01:00.0")->driver, "r8169");
	ck_assert_str_eq(dev("01:00.0")->vendor_name, "Realtek Semiconductor Co., Ltd.");
	ck_assert(pci_device_has_up_netdev(dev("01:00.0")));
	ck_assert_str_eq(dev("01:00.0")->netdevs[0].master, "vmbr0");
	nvme = dev("02:00.0");
	ck_assert_uint_eq(nvme->n_blockdevs, 4);
	ck_assert_str_eq(nvme->blockdevs[3].name, "nvme0n1p3");
	ck_assert(nvme->blockdevs[3].root && nvme->blockdevs[3].swap);
	ck_assert(pci_device_uses_storage(nvme));
	for (unsigned f = 0; f < 8; f++) {
		const struct pci_device *d;
		char a[16];

		snprintf(a, sizeof(a), "00:1f.%u", f);
		d = find(a);
		ck_assert(!d || (!pci_device_uses_storage(d) && !pci_device_has_up_netdev(d)));
	}
}
END_TEST

START_TEST(esprimo)
{
	const struct pci_device *nic;
	int g;

	build_named("esprimo-q957");
	read_ok();
	ck_assert_uint_eq(snap.n_devices, 12);
	ck_assert_uint_eq(dev("00:02.0")->device_id, 0x5912);
	ck_assert_uint_eq(dev("00:1f.3")->device_id, 0xa2f0);
	ck_assert_uint_eq(dev("00:1f.2")->device_id, 0xa2a1);
	ck_assert_str_eq(dev("00:02.0")->driver, "vfio-pci");
	ck_assert_str_eq(dev("00:1f.3")->driver, "vfio-pci");
	g = dev("00:1f.0")->iommu_group;
	ck_assert_uint_eq(snapshot_group_size(&snap, g), 6);
	for (unsigned f = 0; f < 8; f++) {
		char a[16];

		snprintf(a, sizeof(a), "00:1f.%u", f);
		ck_assert(!find(a) || find(a)->iommu_group == g);
	}
	nic = dev("00:1f.6");
	ck_assert_uint_eq(nic->device_id, 0x15b7);
	ck_assert_str_eq(nic->device_name, "Ethernet Connection (2) I219-LM");
	ck_assert_str_eq(nic->netdevs[0].name, "eno1");
	ck_assert_str_eq(nic->netdevs[0].master, "vmbr0");
	ck_assert(pci_device_has_up_netdev(nic));
	ck_assert(pci_device_uses_storage(dev("00:17.0")));
	ck_assert(!pci_device_uses_storage(nic));
}
END_TEST

/* ---- Single behaviours on small fixtures ---- */

static const char root_port_text[] = "device 0000:00:1c.0 8086:a33c class=060400 group=8 driver=pcieport bridge\n"
				     "device 0000:01:00.0 10ec:8168 class=020000 group=9 driver=r8169 "
				     "parent=0000:00:1c.0\n"
				     "device 0000:00:1f.3 8086:a348 class=040300 group=7\n"
				     "net enp1s0 dev=0000:01:00.0 state=up\n"
				     "block sdb dev=0000:01:00.0 sub=usb1/1-1/host6/block/sdb\n"
				     "mount /dev/sdb /srv ext4\n";

START_TEST(bridge)
{
	build_text(root_port_text);
	read_ok();
	ck_assert(dev("00:1c.0")->is_bridge);
	ck_assert(!dev("01:00.0")->is_bridge);
	ck_assert(!dev("00:1f.3")->is_bridge);
}
END_TEST

START_TEST(deepest_owner)
{
	build_text(root_port_text);
	read_ok();
	/* The endpoint behind the root port owns them, not the bridge whose directory also contains them. */
	ck_assert_uint_eq(dev("01:00.0")->n_netdevs, 1);
	ck_assert_uint_eq(dev("00:1c.0")->n_netdevs, 0);
	ck_assert_uint_eq(dev("01:00.0")->n_blockdevs, 1);
	ck_assert_uint_eq(dev("00:1c.0")->n_blockdevs, 0);
	ck_assert(pci_device_uses_storage(dev("01:00.0")));
}
END_TEST

START_TEST(noiommu)
{
	build_text("noiommu\n"
		   "device 0000:00:02.0 8086:3e92 class=030000 group=0 driver=i915\n"
		   "device 0000:00:1f.3 8086:a348 class=040300 group=7\n"
		   "device 0000:00:1f.6 8086:15bb class=020000 group=7 driver=e1000e\n");
	read_ok();
	ck_assert(!snap.iommu_groups);
	ck_assert_uint_eq(snap.n_devices, 3);
	for (size_t i = 0; i < snap.n_devices; i++)
		ck_assert_int_eq(snap.devices[i].iommu_group, IOMMU_GROUP_NONE);
	ck_assert_uint_eq(snapshot_group_size(&snap, IOMMU_GROUP_NONE), 0);
	ck_assert_uint_eq(snapshot_group_size(&snap, 7), 0);
}
END_TEST

START_TEST(missing_pci_dir)
{
	struct snapshot untouched = { .n_devices = 4242 };

	/* An empty root: no sys/bus/pci/devices at all. */
	ck_assert_int_eq(snapshot_read(ctx, &untouched), -ENOENT);
	ck_assert_uint_eq(untouched.n_devices, 4242);
	ck_assert_ptr_null(untouched.devices);
	ck_assert(tu_log_contains(&logbuf, "cannot read the PCI devices under"));
	ck_assert(tu_log_contains(&logbuf, "/sys/bus/pci/devices"));
	ck_assert_uint_eq(log_count_upto(LOG_ERR), 1);
}
END_TEST

START_TEST(libpci_error)
{
	struct snapshot untouched = { .n_devices = 4242 };

	/* As if 1f.3 vanished between libpci's directory scan and its read of vendor. */
	build_named("hp-elitedesk-800-g4");
	unlink_in_root("sys/bus/pci/devices/0000:00:1f.3/vendor");
	ck_assert_int_eq(snapshot_read(ctx, &untouched), -EIO);
	ck_assert_uint_eq(untouched.n_devices, 4242);
	ck_assert(tu_log_contains(&logbuf, "libpci: Cannot open"));
	ck_assert(tu_log_contains(&logbuf, "0000:00:1f.3/vendor"));
	ck_assert_uint_eq(log_count_upto(LOG_ERR), 1);

	/* Still alive, and the next read works once the file is back. */
	tu_write_file(root, "sys/bus/pci/devices/0000:00:1f.3/vendor", "0x8086\n");
	read_ok();
	ck_assert_uint_eq(snap.n_devices, 14);
}
END_TEST

START_TEST(libpci_error_class)
{
	build_named("esprimo-q957");
	unlink_in_root("sys/bus/pci/devices/0000:00:1f.6/class");
	ck_assert_int_eq(snapshot_read(ctx, &snap), -EIO);
	ck_assert(tu_log_contains(&logbuf, "0000:00:1f.6/class"));
	ck_assert_uint_eq(snap.n_devices, 0);
}
END_TEST

START_TEST(pci_ids_error)
{
	build_named("esprimo-q957");
	tu_write_file(root, "usr/share/misc/pci.ids", "8086  Intel Corporation\n\t\t\tbad nesting\n");
	ck_assert_int_eq(snapshot_read(ctx, &snap), -EIO);
	ck_assert(tu_log_contains(&logbuf, "libpci: Parse error"));
	ck_assert(tu_log_contains(&logbuf, "pci.ids"));
}
END_TEST

START_TEST(unknown_ids)
{
	build_text("device 0000:00:05.0 1234:5678 class=ff0000\n");
	read_ok();
	ck_assert_str_eq(dev("00:05.0")->vendor_name, "Vendor 1234");
	ck_assert_str_eq(dev("00:05.0")->device_name, "Device 5678");
	ck_assert_uint_eq(dev("00:05.0")->subsys_vendor_id, 0);
	ck_assert_int_eq(dev("00:05.0")->iommu_group, IOMMU_GROUP_NONE);
	ck_assert(!snap.iommu_groups);
}
END_TEST

START_TEST(names_from_root_only)
{
	/* Known to the host's pci.ids and udev hwdb, absent from the fixture's: numeric. */
	build_text("vendor 8086 Intel Corporation\n"
		   "device 0000:00:03.0 1af4:1041 class=020000\n"
		   "device 0000:00:1f.6 8086:15bb class=020000\n");
	read_ok();
	ck_assert_str_eq(dev("00:03.0")->vendor_name, "Vendor 1af4");
	ck_assert_str_eq(dev("00:03.0")->device_name, "Device 1041");
	ck_assert_str_eq(dev("00:1f.6")->vendor_name, "Intel Corporation");
	ck_assert_str_eq(dev("00:1f.6")->device_name, "Device 15bb");
}
END_TEST

START_TEST(unknown_device_known_vendor)
{
	/* 8086:461c is deliberately not in the N100 fixture's pci.ids. */
	build_named("n100");
	read_ok();
	ck_assert_str_eq(dev("00:00.0")->vendor_name, "Intel Corporation");
	ck_assert_str_eq(dev("00:00.0")->device_name, "Device 461c");
}
END_TEST

START_TEST(optional_files)
{
	static const char *const gone[] = { "resource", "irq", "config", "revision" };

	/* What the sysfs backend does not need for the fields read here. */
	build_named("hp-elitedesk-800-g4");
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		_cleanup_(freep) char *rel = NULL;

		ck_assert_int_ge(asprintf(&rel, "sys/bus/pci/devices/0000:00:1f.3/%s", gone[i]), 0);
		unlink_in_root(rel);
	}
	read_ok();
	ck_assert_uint_eq(dev("00:1f.3")->device_id, 0xa348);
	ck_assert_uint_eq(dev("00:1f.3")->class_code, 0x040300);
	ck_assert_uint_eq(dev("00:1f.3")->subsys_vendor_id, 0x103c);
	ck_assert_int_eq(dev("00:1f.3")->iommu_group, 7);
}
END_TEST

START_TEST(subsystem_from_config)
{
	/* Without subsystem_vendor libpci falls back to config space (offset 0x2c). */
	build_named("hp-elitedesk-800-g4");
	unlink_in_root("sys/bus/pci/devices/0000:00:1f.6/subsystem_vendor");
	unlink_in_root("sys/bus/pci/devices/0000:00:1f.6/subsystem_device");
	read_ok();
	ck_assert_uint_eq(dev("00:1f.6")->subsys_vendor_id, 0x103c);
	ck_assert_uint_eq(dev("00:1f.6")->subsys_device_id, 0x83e2);
	ck_assert_uint_eq(log_count_upto(LOG_WARNING), 0);
}
END_TEST

START_TEST(net_optional_files)
{
	build_named("esprimo-q957");
	unlink_in_root("sys/class/net/eno1/operstate");
	unlink_in_root("sys/class/net/eno1/carrier");
	read_ok();
	ck_assert_ptr_null(dev("00:1f.6")->netdevs[0].operstate);
	ck_assert(!dev("00:1f.6")->netdevs[0].carrier);
	ck_assert(dev("00:1f.6")->netdevs[0].admin_up);
	ck_assert(pci_device_has_up_netdev(dev("00:1f.6")));
}
END_TEST

START_TEST(admin_down_with_carrier)
{
	build_text("device 0000:00:1f.6 8086:15bb class=020000 group=7 driver=e1000e\n"
		   "net eno1 dev=0000:00:1f.6 state=down flags=0x1002 carrier=1\n");
	read_ok();
	ck_assert(!dev("00:1f.6")->netdevs[0].admin_up);
	ck_assert(dev("00:1f.6")->netdevs[0].carrier);
	ck_assert(!pci_device_has_up_netdev(dev("00:1f.6")));
}
END_TEST

START_TEST(escaped_mounts)
{
	build_text("device 0000:00:17.0 8086:a282 class=010601 group=4 driver=ahci\n"
		   "device 0000:01:00.0 1e4b:1202 class=010802 group=9 driver=nvme\n"
		   "block sda dev=0000:00:17.0\n"
		   "block sda1 parent=sda\n"
		   "block nvme0n1 dev=0000:01:00.0\n"
		   "block nvme0n1p1 parent=nvme0n1\n"
		   "link \"/dev/disk/by-label/root fs\" ../../nvme0n1p1\n"
		   "link \"/dev/disk/by-label/my disk\" ../../sda1\n"
		   "mount /dev/disk/by-label/root\\040fs / ext4\n"
		   "mount /dev/disk/by-label/my\\040disk /mnt/backup\\040drive ext4\n");
	read_ok();
	ck_assert(dev("01:00.0")->blockdevs[1].root);
	ck_assert(dev("01:00.0")->blockdevs[1].mounted);
	ck_assert(dev("00:17.0")->blockdevs[1].mounted);
	ck_assert(!dev("00:17.0")->blockdevs[1].root);
	ck_assert(pci_device_uses_storage(dev("00:17.0")));
}
END_TEST

START_TEST(swap_file_ignored)
{
	/* A swap file whose name equals an unused disk's: not a block device, so nothing is swap. */
	build_text("device 0000:00:17.0 8086:a282 class=010601 group=4 driver=ahci\n"
		   "block sdb dev=0000:00:17.0\n"
		   "file /srv/sdb\n"
		   "swap /srv/sdb file\n"
		   "swap /swapfile\n"
		   "mount tmpfs /run tmpfs\n"
		   "mount rpool/ROOT/pve-1 / zfs rw,xattr,noacl\n");
	read_ok();
	ck_assert_uint_eq(dev("00:17.0")->n_blockdevs, 1);
	ck_assert(!dev("00:17.0")->blockdevs[0].swap);
	ck_assert(!dev("00:17.0")->blockdevs[0].mounted);
	ck_assert(!pci_device_uses_storage(dev("00:17.0")));
}
END_TEST

START_TEST(stacked_md_over_dm)
{
	/* md0 over two partitions, dm-0 over md0, mounted at "/": both disks are root. */
	build_text("device 0000:00:17.0 8086:a282 class=010601 group=4 driver=ahci\n"
		   "device 0000:01:00.0 1e4b:1202 class=010802 group=9 driver=nvme\n"
		   "block sda dev=0000:00:17.0\n"
		   "block sda1 parent=sda\n"
		   "block nvme0n1 dev=0000:01:00.0\n"
		   "block nvme0n1p1 parent=nvme0n1\n"
		   "block md0 virtual slaves=sda1,nvme0n1p1\n"
		   "block dm-0 virtual slaves=md0\n"
		   "link /dev/mapper/vg-root ../dm-0\n"
		   "mount /dev/mapper/vg-root /\n");
	read_ok();
	ck_assert(dev("00:17.0")->blockdevs[0].root);
	ck_assert(dev("00:17.0")->blockdevs[1].root);
	ck_assert(dev("01:00.0")->blockdevs[0].root);
	ck_assert(dev("01:00.0")->blockdevs[1].root);
}
END_TEST

START_TEST(find_and_done)
{
	struct pci_addr slot;
	struct snapshot zero = {};

	build_named("esprimo-q957");
	read_ok();
	ck_assert_int_eq(pci_addr_parse("00:1f", PCI_ADDR_ALLOW_SLOT, &slot), 0);
	ck_assert_ptr_null(snapshot_find(&snap, &slot));
	ck_assert_ptr_null(find("00:1f.7"));
	ck_assert_ptr_null(find("0001:00:1f.3"));
	ck_assert_ptr_eq(find("0000:00:00.0"), &snap.devices[0]);
	snapshot_done(&zero);
	snapshot_done(&zero);
	snapshot_done(&snap);
	ck_assert_uint_eq(snap.n_devices, 0);
	ck_assert_ptr_null(snapshot_find(&snap, &slot));
	snapshot_done(&snap);
}
END_TEST

/* ---- The fixture builder itself ---- */

static char *read_in_root(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);
	char *s = tu_read_file(p);

	ck_assert_msg(s != NULL, "cannot read %s", p);
	return s;
}

static bool exists_in_root(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	return access(p, F_OK) == 0;
}

static char *link_target(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);
	char buf[4096];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);

	ck_assert_msg(n > 0, "readlink %s: %s", p, strerror(errno));
	buf[n] = '\0';
	return strdup(buf);
}

START_TEST(fixture_layout)
{
	_cleanup_(freep) char *drv = NULL, *grp = NULL, *gdev = NULL, *net = NULL, *master = NULL, *bus = NULL;
	_cleanup_(freep) char *child = NULL, *cls = NULL, *mounts = NULL, *swaps = NULL;
	_cleanup_(freep) char *cfg_path = tu_path(root, "sys/devices/pci0000:00/0000:00:1c.0/config");
	_cleanup_(freep) char *cfg = NULL;
	struct stat st;

	build_named("hp-elitedesk-800-g4");
	build_text("device 0000:00:1c.0 8086:a33c class=060400 group=8 driver=pcieport bridge\n"
		   "device 0000:01:00.0 10ec:8168 class=020000 group=9 driver=r8169 parent=0000:00:1c.0\n");
	drv = link_target("sys/devices/pci0000:00/0000:00:1f.6/driver");
	ck_assert_str_eq(drv, "../../../bus/pci/drivers/e1000e");
	grp = link_target("sys/devices/pci0000:00/0000:00:1f.6/iommu_group");
	ck_assert_str_eq(grp, "../../../kernel/iommu_groups/7");
	gdev = link_target("sys/kernel/iommu_groups/7/devices/0000:00:1f.6");
	ck_assert_str_eq(gdev, "../../../../devices/pci0000:00/0000:00:1f.6");
	net = link_target("sys/class/net/eno1");
	ck_assert_str_eq(net, "../../devices/pci0000:00/0000:00:1f.6/net/eno1");
	master = link_target("sys/class/net/eno1/master");
	ck_assert_str_eq(master, "../../../../virtual/net/vmbr0");
	bus = link_target("sys/bus/pci/devices/0000:00:1f.3");
	ck_assert_str_eq(bus, "../../../devices/pci0000:00/0000:00:1f.3");
	child = link_target("sys/bus/pci/devices/0000:01:00.0");
	ck_assert_str_eq(child, "../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0");

	cls = read_in_root("sys/bus/pci/devices/0000:00:1f.3/class");
	ck_assert_str_eq(cls, "0x040300\n");
	ck_assert_int_eq(stat(cfg_path, &st), 0);
	ck_assert_int_eq(st.st_size, 64);
	cfg = tu_read_file(cfg_path);
	ck_assert_int_eq(cfg[0x00], (char)0x86);
	ck_assert_int_eq(cfg[0x01], (char)0x80);
	ck_assert_int_eq(cfg[0x0e], 0x01); /* bridge header */
	ck_assert_int_eq(cfg[0x19], 0x01); /* its secondary bus, from the child */
	ck_assert(exists_in_root("sys/devices/pci0000:00/0000:00:1c.0/pci_bus/0000:01"));
	ck_assert(!exists_in_root("sys/bus/pci/devices/0000:01:00.0/pci_bus"));
	ck_assert(exists_in_root("sys/bus/pci/drivers/vfio-pci/bind"));
	ck_assert(exists_in_root("sys/bus/pci/drivers/e1000e/0000:00:1f.6/vendor"));
	ck_assert(exists_in_root("sys/module/vfio_pci"));
	ck_assert(exists_in_root("sys/class/block/sda3/partition"));
	ck_assert(exists_in_root("sys/class/block/dm-0/slaves/sda3/partition"));
	ck_assert(exists_in_root("sys/class/block/sda3/holders/dm-1"));
	ck_assert(exists_in_root("dev/mapper/pve-root"));
	ck_assert(exists_in_root("sys/bus/pci/rescan"));
	mounts = read_in_root("proc/mounts");
	ck_assert_ptr_nonnull(strstr(mounts, "/dev/mapper/pve-root / ext4 rw,relatime,errors=remount-ro 0 0\n"));
	swaps = read_in_root("proc/swaps");
	ck_assert_ptr_nonnull(strstr(swaps, "Filename\t"));
	ck_assert_ptr_nonnull(strstr(swaps, "/dev/dm-1 "));
}
END_TEST

START_TEST(fixture_incremental)
{
	/* As the simulator re-adds a function: a second build into the same root. */
	build_named("n100");
	build_text("device 0000:00:1f.6 8086:15bb class=020000 group=11 driver=e1000e\n"
		   "net eno1 dev=0000:00:1f.6 master=vmbr0\n"
		   "mount /dev/nvme0n1p1 /mnt\n");
	read_ok();
	ck_assert_uint_eq(snap.n_devices, 14);
	ck_assert_int_eq(dev("00:1f.6")->iommu_group, 11);
	ck_assert_str_eq(dev("00:1f.6")->netdevs[0].master, "vmbr0");
	ck_assert(dev("02:00.0")->blockdevs[1].mounted); /* nvme0n1p1, appended to proc/mounts */
	ck_assert(dev("02:00.0")->blockdevs[3].root);	 /* the first build's mounts are still there */
	ck_assert_str_eq(dev("00:1f.0")->device_name, "Alder Lake-N PCH eSPI Controller");
}
END_TEST

START_TEST(fixture_incremental_devnums)
{
	/* a second build never gives a new block device a number an earlier one has */
	_cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL;

	build_text("device 0000:00:17.0 8086:a282 class=010601 group=4 driver=ahci\n"
		   "block sda dev=0000:00:17.0\nblock dm-0 virtual slaves=sda\n");
	build_text("block sda dev=0000:00:17.0\nblock dm-1 virtual slaves=sda\n");
	a = read_in_root("sys/class/block/dm-0/dev");
	b = read_in_root("sys/class/block/dm-1/dev");
	c = read_in_root("sys/class/block/sda/dev");
	ck_assert_str_eq(a, "253:0\n");
	ck_assert_str_eq(b, "253:1\n");
	ck_assert_str_eq(c, "8:0\n"); /* built again: the same number */
}
END_TEST

/* ---- The real host, read-only ---- */

START_TEST(real_host)
{
	_cleanup_(igd_ctx_freep) struct igd_ctx *host = tu_ctx_new("/", &logbuf);

	ck_assert_int_eq(snapshot_read(host, &snap), 0);
	ck_assert_uint_gt(snap.n_devices, 0);
	for (size_t i = 0; i < snap.n_devices; i++)
		ck_assert_ptr_nonnull(snap.devices[i].vendor_name);
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");

	add(s, "hp_devices", hp_devices);
	add(s, "hp_names", hp_names);
	add(s, "hp_drivers", hp_drivers);
	add(s, "hp_groups", hp_groups);
	add(s, "hp_netdevs", hp_netdevs);
	add(s, "hp_storage", hp_storage);
	add(s, "hp_split", hp_split);
	add(s, "n100", n100);
	add(s, "esprimo", esprimo);
	add(s, "bridge", bridge);
	add(s, "deepest_owner", deepest_owner);
	add(s, "noiommu", noiommu);
	add(s, "missing_pci_dir", missing_pci_dir);
	add(s, "libpci_error", libpci_error);
	add(s, "libpci_error_class", libpci_error_class);
	add(s, "pci_ids_error", pci_ids_error);
	add(s, "unknown_ids", unknown_ids);
	add(s, "names_from_root_only", names_from_root_only);
	add(s, "unknown_device_known_vendor", unknown_device_known_vendor);
	add(s, "optional_files", optional_files);
	add(s, "subsystem_from_config", subsystem_from_config);
	add(s, "net_optional_files", net_optional_files);
	add(s, "admin_down_with_carrier", admin_down_with_carrier);
	add(s, "escaped_mounts", escaped_mounts);
	add(s, "swap_file_ignored", swap_file_ignored);
	add(s, "stacked_md_over_dm", stacked_md_over_dm);
	add(s, "find_and_done", find_and_done);
	add(s, "fixture_layout", fixture_layout);
	add(s, "fixture_incremental", fixture_incremental);
	add(s, "fixture_incremental_devnums", fixture_incremental_devnums);
	add(s, "real_host", real_host);
	return s;
}

TESTSUITE_MAIN(snapshot_suite)
