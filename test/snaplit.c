/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "snaplit.h"

struct pci_addr snaplit_addr(const char *addr)
{
	struct pci_addr a;

	ck_assert_msg(pci_addr_parse(addr, 0, &a) == 0, "bad address in a test: %s", addr);
	return a;
}

struct pci_device snaplit_dev(const char *addr, int group)
{
	return (struct pci_device){
		.addr = snaplit_addr(addr),
		.vendor_name = "Vendor",
		.device_name = "Device",
		.class_name = "Class",
		.iommu_group = group,
		.header_type = 0x00,
	};
}

struct snapshot snaplit_snapshot(struct pci_device *v, size_t n)
{
	struct snapshot snap = { .devices = v, .n_devices = n };

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			ck_assert_msg(pci_addr_cmp(&v[i - 1].addr, &v[i].addr) < 0,
				      "test snapshot not sorted at %s", PCI_ADDR_STR(&v[i].addr));
		snap.iommu_groups |= v[i].iommu_group != IOMMU_GROUP_NONE;
	}
	return snap;
}

size_t snaplit_group_others(const struct snapshot *snap, const struct pci_device *d)
{
	size_t n = 0;

	if (d->iommu_group == IOMMU_GROUP_NONE)
		return 0;
	for (size_t i = 0; i < snap->n_devices; i++)
		n += &snap->devices[i] != d && snap->devices[i].iommu_group == d->iommu_group;
	return n;
}
