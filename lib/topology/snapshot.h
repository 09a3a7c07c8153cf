/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A read-only snapshot of the PCI topology under the context's root: every
 * device with its ids, names (pci.ids via libpci), driver, IOMMU group,
 * netdevs and block devices. A plain struct: planning and reporting work on
 * it without touching sysfs again.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/pci_addr.h"

struct netdev_info {
	char *name;
	char *operstate; /* "up", "down", "unknown", ...; NULL when unreadable */
	char *master;    /* the bridge it is a port of, or NULL */
	bool admin_up;   /* IFF_UP in flags: the host configured it */
	bool carrier;
};

struct blockdev_info {
	char *name;   /* "sda", "sda1", "nvme0n1p2" */
	bool mounted; /* it or something stacked on it (dm, md, a partition of a disk) is mounted */
	bool swap;    /* ... is active swap (an area or a file) */
	bool root;    /* ... holds "/" */
	bool used;    /* ... is used in any way: the above, a holder stack, a pool, a running VM */
	char *use;    /* those uses as words ("zfs pool rpool, /"), NULL when unused */
	char *doubt;  /* why its use cannot be read (then it counts as used), or NULL */
};

#define IOMMU_GROUP_NONE (-1)

struct pci_device {
	struct pci_addr addr;
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_device_id;
	uint32_t class_code; /* 24 bits: base class, subclass, prog-if */
	char *vendor_name;   /* from pci.ids; never NULL (numeric when unknown) */
	char *device_name;   /* idem */
	char *class_name;    /* "Audio device" (pci.ids' class section); never NULL */
	char *driver;        /* bound driver, or NULL */
	int iommu_group;     /* IOMMU_GROUP_NONE without an IOMMU */
	bool is_bridge;      /* has a secondary bus (sys/.../pci_bus): what Proxmox skips when it binds a group */
	int header_type;     /* config space byte 0x0e (bit 7: multi-function), -1 when unreadable */
	struct netdev_info *netdevs;
	size_t n_netdevs;
	struct blockdev_info *blockdevs;
	size_t n_blockdevs;
	/* Bound to vfio-pci and its /dev/vfio/<group> held open by this process (a running VM), or 0. */
	int vfio_holder_pid;
	unsigned vfio_holder_vmid; /* the Proxmox VMID of that process ("-id N"), 0 if unknown */
};

struct snapshot {
	struct pci_device *devices; /* sorted by address */
	size_t n_devices;
	bool iommu_groups; /* sys/kernel/iommu_groups has at least one group */
};

/* Reads the topology. Returns 0 or -errno (logged with what failed). */
int snapshot_read(const struct igd_ctx *ctx, struct snapshot *ret);
void snapshot_done(struct snapshot *snap);

const struct pci_device *snapshot_find(const struct snapshot *snap, const struct pci_addr *a);
/* Number of devices in the group, bridges included (0 for IOMMU_GROUP_NONE). group.c. */
size_t snapshot_group_size(const struct snapshot *snap, int group);

/*
 * The other devices of dev's IOMMU group: one definition for the boot
 * program's verification, the hook's isolation check and `check` (group.c).
 *
 * Never counted: dev itself, and a PCI bridge (a device with a secondary
 * bus, is_bridge). A bridge is not passed through: vfio-pci does not take
 * one and Proxmox skips bridges when it binds a group to vfio-pci; and it
 * does no DMA of its own: what reaches memory through it comes from the
 * devices behind it, which are in the snapshot and counted in their own
 * right. So a device alone with a bridge in its group is alone. A device
 * without a group (no IOMMU) has no others.
 *
 * filter (NULL: every other device) narrows them down:
 * - except: devices that go with dev (passed to the same VM, or [vfio]
 *   devices bound together with it) are not counted;
 * - host_used: only devices pci_device_used_by_host(o, vmid) counts.
 * "Isolated" is: no others under a filter with host_used.
 */
struct group_filter {
	const struct pci_addr *except;
	size_t n_except;
	bool host_used;
	uint32_t vmid; /* for host_used: this VM holding a device is not the host using it; 0: any VM is */
};

/* The number of others. */
size_t snapshot_group_others(const struct snapshot *snap, const struct pci_device *dev,
			     const struct group_filter *filter);
/*
 * The others one by one, in address order: the first after prev (NULL: the
 * first of all), NULL after the last. Pointers into snap; nothing allocated.
 */
const struct pci_device *snapshot_group_next_other(const struct snapshot *snap, const struct pci_device *dev,
						   const struct group_filter *filter,
						   const struct pci_device *prev);

/* A block device of d is used (mounted, swap, root, a stack, a pool, a VM) or its use cannot be read. */
bool pci_device_uses_storage(const struct pci_device *d);
/*
 * The host uses d: it has a driver other than vfio-pci or pci-stub, or one of
 * those and a running VM other than vmid (0: any VM) holds its group.
 */
bool pci_device_used_by_host(const struct pci_device *d, uint32_t vmid);
/* A netdev with IFF_UP: the host configured it up, with or without a link. */
bool pci_device_has_up_netdev(const struct pci_device *d);
