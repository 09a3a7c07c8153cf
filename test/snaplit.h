/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots built in C for the pure suites (plan, check, status): the
 * devices are struct literals, nothing is read from a tree. Strings in them
 * point to literals; nothing is freed (never call snapshot_done on one).
 */
#pragma once

#include <stddef.h>

#include "topology/snapshot.h"

/* A parsed address ("0000:00:1f.3"). Aborts the test on a malformed one. */
struct pci_addr snaplit_addr(const char *addr);

/*
 * A function at addr in IOMMU group group (or IOMMU_GROUP_NONE): header
 * type 0x00, no driver, names "Vendor", "Device", "Class"; the rest zero.
 */
struct pci_device snaplit_dev(const char *addr, int group);

/*
 * The snapshot of v[0..n), with IOMMU groups when one device has a group.
 * Aborts the test unless v is sorted by address, as snapshot_find() needs.
 */
struct snapshot snaplit_snapshot(struct pci_device *v, size_t n);

/* The members of group in snap other than d, counted from the devices themselves. */
size_t snaplit_group_others(const struct snapshot *snap, const struct pci_device *d);
