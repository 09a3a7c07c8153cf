/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which running VM holds a device bound to vfio-pci: a process with
 * /dev/vfio/<group> open (found in <root>/proc/PID/fd), and the Proxmox VMID
 * whose <root>/run/qemu-server/VMID.pid names that process.
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <string.h>

#include "fileio.h"
#include "snapshot.h"
#include "sysfs.h"
#include "vfio_holders.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* The group number if the link target is /dev/vfio/N, else -1. */
static int vfio_group_of_target(const char *target)
{
	const char *p = "/dev/vfio/";

	if (strncmp(target, p, strlen(p)) != 0 || !all_digits(target + strlen(p)))
		return -1;
	return atoi(target + strlen(p));
}

static void mark(struct snapshot *snap, int group, int pid)
{
	for (size_t i = 0; i < snap->n_devices; i++) {
		struct pci_device *d = &snap->devices[i];

		if (d->iommu_group == group && d->driver && strcmp(d->driver, "vfio-pci") == 0 &&
		    !d->vfio_holder_pid)
			d->vfio_holder_pid = pid;
	}
}

static int scan_process(const struct igd_ctx *ctx, struct snapshot *snap, const char *pid)
{
	_cleanup_(freep) char *fddir = igd_path(ctx, "/proc/%s/fd", pid);
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!fddir)
		return -ENOMEM;
	d = opendir(fddir);
	if (!d)
		return 0; /* gone, or not ours to read */
	while ((de = readdir(d))) {
		_cleanup_(freep) char *link = NULL;
		char target[64];
		ssize_t n;
		int g;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&link, "%s/%s", fddir, de->d_name) < 0)
			return -ENOMEM;
		/* a longer target is not /dev/vfio/N: truncation cannot produce a false match */
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		g = vfio_group_of_target(target);
		if (g >= 0)
			mark(snap, g, atoi(pid));
	}
	return 0;
}

/* Proxmox writes the QEMU pid of VM N to /run/qemu-server/N.pid. */
static unsigned vmid_of_pid(const struct igd_ctx *ctx, int pid)
{
	_cleanup_(freep) char *dir = igd_path(ctx, "/run/qemu-server");
	_cleanup_(closedirp) DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		_cleanup_(freep) char *path = NULL, *content = NULL;
		size_t len = strlen(de->d_name);
		_cleanup_(freep) char *stem = NULL;

		if (len < 5 || strcmp(de->d_name + len - 4, ".pid") != 0)
			continue;
		stem = strndup(de->d_name, len - 4);
		if (!stem || !all_digits(stem))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			return 0;
		/* a FIFO there must not block: skipped like an unreadable file */
		if (file_read_line(path, FILE_NOFOLLOW, &content) < 0)
			continue;
		if (atoi(content) == pid)
			return (unsigned)strtoul(stem, NULL, 10);
	}
	return 0;
}

int vfio_holders_fill(const struct igd_ctx *ctx, struct snapshot *snap)
{
	_cleanup_(freep) char *procdir = igd_path(ctx, "/proc");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	bool any = false;
	int r;

	for (size_t i = 0; i < snap->n_devices; i++)
		any |= snap->devices[i].driver && strcmp(snap->devices[i].driver, "vfio-pci") == 0 &&
		       snap->devices[i].iommu_group != IOMMU_GROUP_NONE;
	if (!any)
		return 0;
	if (!procdir)
		return -ENOMEM;
	d = opendir(procdir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!all_digits(de->d_name))
			continue;
		r = scan_process(ctx, snap, de->d_name);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < snap->n_devices; i++)
		if (snap->devices[i].vfio_holder_pid)
			snap->devices[i].vfio_holder_vmid = vmid_of_pid(ctx, snap->devices[i].vfio_holder_pid);
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
