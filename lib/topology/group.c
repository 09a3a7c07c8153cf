/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IOMMU groups in a snapshot: their size and, one rule for everyone, a device's others. */
#include "topology/snapshot.h"

size_t snapshot_group_size(const struct snapshot *snap, int group)
{
	size_t n = 0;

	if (group == IOMMU_GROUP_NONE)
		return 0;
	for (size_t i = 0; i < snap->n_devices; i++)
		n += snap->devices[i].iommu_group == group;
	return n;
}

static bool is_other(const struct pci_device *dev, const struct pci_device *o, const struct group_filter *f)
{
	if (o == dev || o->iommu_group != dev->iommu_group || o->is_bridge)
		return false;
	if (!f)
		return true;
	return !pci_addr_in(&o->addr, f->except, f->n_except) &&
	       (!f->host_used || pci_device_used_by_host(o, f->vmid));
}

size_t snapshot_group_others(const struct snapshot *snap, const struct pci_device *dev,
			     const struct group_filter *filter)
{
	size_t n = 0;

	for (const struct pci_device *o = NULL; (o = snapshot_group_next_other(snap, dev, filter, o));)
		n++;
	return n;
}

const struct pci_device *snapshot_group_next_other(const struct snapshot *snap, const struct pci_device *dev,
						   const struct group_filter *filter,
						   const struct pci_device *prev)
{
	size_t i = prev ? (size_t)(prev - snap->devices) + 1 : 0;

	/* no group: the devices without one are not a group together */
	if (dev->iommu_group == IOMMU_GROUP_NONE)
		return NULL;
	for (; i < snap->n_devices; i++)
		if (is_other(dev, &snap->devices[i], filter))
			return &snap->devices[i];
	return NULL;
}
