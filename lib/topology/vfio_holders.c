/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which running VM holds a device bound to vfio-pci: a process with
 * /dev/vfio/<group> open (found in <root>/proc/PID/fd), and the Proxmox VMID
 * whose <root>/run/qemu-server/VMID.pid names that process.
 */
#include <string.h>

#include "core/parse.h"
#include "topology/proc_fds.h"
#include "topology/snapshot.h"
#include "topology/vfio_holders.h"

/* The group number if the link target is /dev/vfio/N, else -1. */
static int vfio_group_of_target(const char *target)
{
	const char *p = "/dev/vfio/";
	int group;

	if (strncmp(target, p, strlen(p)) != 0 || safe_atoi(target + strlen(p), &group) < 0)
		return -1;
	return group;
}

struct scan {
	const struct igd_ctx *ctx;
	struct snapshot *snap;
	int pid;
};

static int mark_target(const char *target, void *userdata)
{
	struct scan *s = userdata;
	int group = vfio_group_of_target(target);

	if (group < 0)
		return 0;
	for (size_t i = 0; i < s->snap->n_devices; i++) {
		struct pci_device *d = &s->snap->devices[i];

		if (d->iommu_group == group && d->driver && strcmp(d->driver, "vfio-pci") == 0 &&
		    !d->vfio_holder_pid)
			d->vfio_holder_pid = s->pid;
	}
	return 0;
}

static int scan_process(const char *pid, void *userdata)
{
	const struct scan *all = userdata;
	struct scan s = { .ctx = all->ctx, .snap = all->snap };
	int r;

	if (safe_atoi(pid, &s.pid) < 0)
		return 0; /* not a process: no pid that fits */
	r = proc_fds_foreach(s.ctx, pid, mark_target, &s);
	return r == -ENOMEM ? r : 0; /* gone, or not ours to read */
}

int vfio_holders_fill(const struct igd_ctx *ctx, struct snapshot *snap)
{
	struct scan all = { .ctx = ctx, .snap = snap };
	bool any = false;
	int r;

	for (size_t i = 0; i < snap->n_devices; i++)
		any |= snap->devices[i].driver && strcmp(snap->devices[i].driver, "vfio-pci") == 0 &&
		       snap->devices[i].iommu_group != IOMMU_GROUP_NONE;
	if (!any)
		return 0;
	r = proc_pids_foreach(ctx, scan_process, &all);
	if (r < 0)
		return r;
	for (size_t i = 0; i < snap->n_devices; i++)
		if (snap->devices[i].vfio_holder_pid)
			snap->devices[i].vfio_holder_vmid = qemu_vmid_of_pid(ctx, snap->devices[i].vfio_holder_pid);
	return 0;
}

bool pci_device_used_by_host(const struct pci_device *d, uint32_t vmid)
{
	if (!d->driver)
		return false;
	if (strcmp(d->driver, "vfio-pci") != 0 && strcmp(d->driver, "pci-stub") != 0)
		return true;
	return d->vfio_holder_pid != 0 && (vmid == 0 || d->vfio_holder_vmid != vmid);
}
