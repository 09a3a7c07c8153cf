/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by snapshot.c (PCI devices through libpci), snapshot_net.c (netdevs)
 * and snapshot_block.c (block devices and what uses them). Not installed, not
 * for other objects.
 */
#pragma once

#include "topology/snapshot.h"

/* A snapshot being read, with what only the reading needs. */
struct snap_build {
	const struct igd_ctx *ctx;
	struct snapshot *snap;
	/* realpath of each device's sysfs directory, parallel to snap->devices (sorted);
	 * NULL where it could not be resolved (the device went away). */
	char **dev_dirs;
};

/*
 * The device a sysfs object belongs to: the one whose directory is the deepest
 * ancestor of path, compared by whole components (a NIC behind a root port
 * belongs to the endpoint, not to the bridge above it). NULL for virtual
 * objects and those of other buses.
 */
struct pci_device *snap_owner(const struct snap_build *b, const char *path);

/* The last component of path ("" for a path ending in '/'). */
const char *snap_basename(const char *path);
int snap_log_oom(const struct igd_ctx *ctx);

/* Each fills the devices' netdevs / blockdevs. 0 or -errno, logged. */
int snap_read_netdevs(struct snap_build *b);
int snap_read_blockdevs(struct snap_build *b);

void snap_netdev_done(struct netdev_info *n);
void snap_blockdev_done(struct blockdev_info *bd);
