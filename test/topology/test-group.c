/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapshot_group_others: the one definition of "the other devices of a
 * group" (bridges never count, a device without a group has none) and its
 * filter, on snapshot literals.
 */
#include <check.h>
#include <stdlib.h>

#include "core/macro.h"
#include "testutil.h"
#include "topology/snapshot.h"

static struct pci_device dev(unsigned bus, unsigned slot, unsigned fn, int group, const char *driver)
{
	return (struct pci_device){
		.addr = { .bus = (uint8_t)bus, .dev = (uint8_t)slot, .func = (uint8_t)fn, .has_func = true },
		.iommu_group = group,
		.driver = (char *)driver,
	};
}

#define SNAP(v) ((struct snapshot){ .devices = (v), .n_devices = ELEMENTSOF(v), .iommu_groups = true })

START_TEST(bridge_is_never_another)
{
	/* a root port without ACS in the group of the device behind it */
	struct pci_device v[] = {
		dev(0, 0x1c, 0, 4, "pcieport"),
		dev(1, 0x00, 0, 4, "snd_hda_intel"),
	};
	struct snapshot snap = SNAP(v);

	v[0].is_bridge = true;
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], NULL), 0);
	ck_assert_ptr_null(snapshot_group_next_other(&snap, &v[1], NULL, NULL));
	/* the bridge's own others: the device behind it is one */
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[0], NULL), 1);
	ck_assert_ptr_eq(snapshot_group_next_other(&snap, &v[0], NULL, NULL), &v[1]);
	/* the group's size still counts every member */
	ck_assert_uint_eq(snapshot_group_size(&snap, 4), 2);
}
END_TEST

START_TEST(others_listed_in_address_order)
{
	struct pci_device v[] = {
		dev(0, 0x1c, 0, 5, "pcieport"), dev(0, 0x1f, 0, 5, "lpc_ich"),
		dev(0, 0x1f, 3, 5, NULL),	dev(0, 0x1f, 4, 6, "i801_smbus"),
		dev(0, 0x1f, 6, 5, "e1000e"),
	};
	struct snapshot snap = SNAP(v);
	const struct pci_device *o;

	v[0].is_bridge = true;
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[2], NULL), 2);
	/* pointers into the snapshot, not copies; the bridge and 1f.4 (group 6) skipped */
	o = snapshot_group_next_other(&snap, &v[2], NULL, NULL);
	ck_assert_ptr_eq(o, &v[1]);
	o = snapshot_group_next_other(&snap, &v[2], NULL, o);
	ck_assert_ptr_eq(o, &v[4]);
	ck_assert_ptr_null(snapshot_group_next_other(&snap, &v[2], NULL, o));
}
END_TEST

START_TEST(alone_and_no_group)
{
	struct pci_device v[] = {
		dev(0, 0x02, 0, 1, "i915"),
		dev(0, 0x1f, 3, IOMMU_GROUP_NONE, "snd_hda_intel"),
		dev(0, 0x1f, 6, IOMMU_GROUP_NONE, "e1000e"),
	};
	struct snapshot snap = SNAP(v);

	/* a group of one */
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[0], NULL), 0);
	ck_assert_ptr_null(snapshot_group_next_other(&snap, &v[0], NULL, NULL));
	/* no IOMMU: devices without a group do not share "group -1" */
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], NULL), 0);
	ck_assert_ptr_null(snapshot_group_next_other(&snap, &v[1], NULL, NULL));
}
END_TEST

START_TEST(filter_except_and_host_use)
{
	struct pci_device v[] = {
		dev(0, 0x1f, 0, 5, NULL),	  /* no driver: the host does not use it */
		dev(0, 0x1f, 3, 5, "vfio-pci"),	  /* the device asked about */
		dev(0, 0x1f, 4, 5, "i801_smbus"), /* the host uses it */
		dev(0, 0x1f, 5, 5, "vfio-pci"),	  /* held by VM 101 */
		dev(0, 0x1f, 6, 5, "e1000e"),	  /* the host uses it */
	};
	struct snapshot snap = SNAP(v);
	const struct pci_addr with[] = { v[4].addr };
	struct group_filter all_used = { .host_used = true };
	struct group_filter vm101 = { .host_used = true, .vmid = 101 };
	struct group_filter vm102 = { .host_used = true, .vmid = 102 };
	struct group_filter except = { .except = with, .n_except = 1 };
	struct group_filter except_used = { .except = with, .n_except = 1, .host_used = true, .vmid = 101 };

	v[3].vfio_holder_pid = 4242;
	v[3].vfio_holder_vmid = 101;
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], NULL), 4);
	/* any VM holding a device is a use with vmid 0 */
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], &all_used), 3);
	/* the VM's own device is not the host's */
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], &vm101), 2);
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], &vm102), 3);
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], &except), 3);
	ck_assert_uint_eq(snapshot_group_others(&snap, &v[1], &except_used), 1);
	ck_assert_ptr_eq(snapshot_group_next_other(&snap, &v[1], &except_used, NULL), &v[2]);
	ck_assert_ptr_null(snapshot_group_next_other(&snap, &v[1], &except_used, &v[2]));
}
END_TEST

static Suite *group_suite(void)
{
	Suite *s = suite_create("group");
	TCase *tc = tcase_create("others");

	tcase_add_test(tc, bridge_is_never_another);
	tcase_add_test(tc, others_listed_in_address_order);
	tcase_add_test(tc, alone_and_no_group);
	tcase_add_test(tc, filter_except_and_host_use);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(group_suite)
