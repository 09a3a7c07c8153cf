/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block devices of the snapshot and whether the host uses them. Every entry
 * of sys/class/block is resolved to its device directory (a partition lives
 * inside its disk's, so both attach to the same PCI device), with its
 * stacking (slaves/, holders/), device number and udev properties. A device
 * is used when it
 *   - is mounted (proc/self/mountinfo, by device number or source), holds
 *     "/", a swap area or a swap file (blk_mounts.c);
 *   - has holders: an active dm, LVM, LUKS, md or bcache stack, mounted or
 *     not; is a ZFS pool member while the zfs module is loaded, or a Ceph
 *     OSD (udev's ID_FS_TYPE); is held open by a running VM (blk_stack.c).
 * Use then flows down the stacking: a device counts as used when anything
 * built on it -- a holder that lists it in slaves/ (dm, md), transitively, or
 * one of its partitions -- is used, and it carries their uses' words. A
 * device whose use cannot be read (holders/ unreadable, its udev record
 * unreadable) is in doubt, and so is what it sits on.
 *
 * Not seen: network storage (NFS, iSCSI, Ceph RBD: not a local PCI disk),
 * ZFS pools while the zfs module is not loaded, a disk opened by a process
 * that is not a Proxmox VM's QEMU (a dd, a backup tool).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "core/parse.h"
#include "core/sysfs.h"
#include "topology/blk_internal.h"

void snap_blockdev_done(struct blockdev_info *bd)
{
	free(bd->name);
	free(bd->use);
	free(bd->doubt);
	*bd = (struct blockdev_info){};
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void blk_done(struct blk *x)
{
	free(x->name);
	free(x->real);
	free(x->parent);
	strv_free(x->slaves, x->n_slaves);
	strv_free(x->holders, x->n_holders);
	udev_props_done(&x->props);
	for (size_t i = 0; i < x->n_uses; i++)
		free(x->uses[i].text);
	free(x->uses);
	free(x->doubt);
	*x = (struct blk){};
}

static void blk_table_done(struct blk_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		blk_done(&t->v[i]);
	free(t->v);
	blk_mounts_done(t);
	*t = (struct blk_table){};
}

struct blk *blk_find(const struct blk_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

struct blk *blk_find_devnum(const struct blk_table *t, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].has_devnum && t->v[i].major == major && t->v[i].minor == minor)
			return &t->v[i];
	return NULL;
}

/* The names in dir/<sub> (slaves, holders). Absent: none (0); unreadable: -errno; -ENOMEM. */
static int read_names(const char *dir, const char *sub, char ***v, size_t *n)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (asprintf(&path, "%s/%s", dir, sub) < 0)
		return -ENOMEM;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((errno = 0, de = readdir(d))) {
		char **w;

		if (de->d_name[0] == '.')
			continue;
		w = reallocarray(*v, *n + 1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		*v = w;
		w[*n] = strdup(de->d_name);
		if (!w[*n])
			return -ENOMEM;
		(*n)++;
	}
	return errno != 0 ? -errno : 0;
}

/* A partition has the attribute `partition`; its disk is the directory above it. */
static int read_parent(const char *dir, struct blk *x)
{
	_cleanup_(freep) char *path = NULL, *up = NULL;
	char *slash;

	if (asprintf(&path, "%s/partition", dir) < 0)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return 0;
	up = strdup(x->real);
	if (!up)
		return -ENOMEM;
	slash = strrchr(up, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	x->parent = strdup(snap_basename(up));
	return x->parent ? 0 : -ENOMEM;
}

static int read_devnum(const char *dir, struct blk *x)
{
	_cleanup_(freep) char *path = NULL, *s = NULL;
	int r;

	if (asprintf(&path, "%s/dev", dir) < 0)
		return -ENOMEM;
	r = sysfs_read_line(path, &s);
	if (r == -ENOMEM)
		return r;
	x->has_devnum = r >= 0 && parse_devnum(s, &x->major, &x->minor) == 0;
	return 0;
}

/* slaves/ and holders/: an unreadable holders/ puts the device in doubt. Only -ENOMEM fails. */
static int read_stacking(const char *dir, struct blk *x)
{
	_cleanup_(freep) char *why = NULL;
	int r = read_names(dir, "slaves", &x->slaves, &x->n_slaves);

	if (r == -ENOMEM)
		return r;
	r = read_names(dir, "holders", &x->holders, &x->n_holders);
	if (r == -ENOMEM || r >= 0)
		return r;
	if (asprintf(&why, "the holders of %s cannot be read: %s", x->name, strerror(-r)) < 0)
		return -ENOMEM;
	return blk_set_doubt(x, why);
}

/* Adds sys/class/block/<name>; a link that no longer resolves is skipped. Only -ENOMEM fails. */
static int blk_add(const struct snap_build *b, struct blk_table *t, const char *class_dir, const char *name)
{
	_cleanup_(freep) char *link = NULL;
	struct blk x = {}, *v;
	int r;

	if (asprintf(&link, "%s/%s", class_dir, name) < 0)
		return -ENOMEM;
	x.real = realpath(link, NULL);
	if (!x.real) {
		log_debug(b->ctx, "cannot resolve %s: %m; skipped", link);
		return 0;
	}
	x.name = strdup(name);
	r = x.name ? 0 : -ENOMEM;
	if (r >= 0)
		r = read_stacking(link, &x);
	if (r >= 0)
		r = read_parent(link, &x);
	if (r >= 0)
		r = read_devnum(link, &x);
	if (r >= 0) {
		v = reallocarray(t->v, t->n + 1, sizeof(*v));
		if (v) {
			t->v = v;
			t->v[t->n++] = x;
			return 0;
		}
		r = -ENOMEM;
	}
	blk_done(&x);
	return r;
}

static int blk_table_read(const struct snap_build *b, struct blk_table *t)
{
	_cleanup_(freep) char *dir = igd_path(b->ctx, "/sys/class/block");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!dir)
		return snap_log_oom(b->ctx);
	d = opendir(dir);
	if (!d)
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the block devices under %s: %m", dir);
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (blk_add(b, t, dir, de->d_name) < 0)
			return snap_log_oom(b->ctx);
	}
	if (errno != 0)
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the block devices under %s: %m", dir);
	return 0;
}

int blk_of_dev_path(const struct snap_build *b, const struct blk_table *t, const char *source, struct blk **ret)
{
	_cleanup_(freep) char *path = NULL, *real = NULL;
	struct blk *x;
	struct stat st;

	*ret = NULL;
	if (strncmp(source, "/dev/", 5) != 0)
		return 0;
	path = igd_path(b->ctx, "%s", source);
	if (!path)
		return -ENOMEM;
	real = realpath(path, NULL);
	x = blk_find(t, snap_basename(real ? real : source));
	if (!x && real && stat(real, &st) == 0 && S_ISBLK(st.st_mode))
		x = blk_find_devnum(t, major(st.st_rdev), minor(st.st_rdev));
	if (!x)
		log_debug(b->ctx, "%s is not a block device of this host", source);
	*ret = x;
	return 0;
}

/* Adds what from says to to; sets *changed when to learnt something. Only -ENOMEM fails. */
static int merge(struct blk *to, const struct blk *from, bool *changed)
{
	size_t n = to->n_uses;

	*changed |= (from->mounted && !to->mounted) || (from->swap && !to->swap) || (from->root && !to->root) ||
		    (from->used && !to->used) || (from->doubt && !to->doubt);
	to->mounted |= from->mounted;
	to->swap |= from->swap;
	to->root |= from->root;
	to->used |= from->used;
	if (from->doubt && blk_set_doubt(to, from->doubt) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < from->n_uses; i++)
		if (blk_add_use(to, from->uses[i].rank, from->uses[i].text) < 0)
			return -ENOMEM;
	*changed |= to->n_uses != n;
	return 0;
}

/* Use flows from each device to its slaves and from a partition to its disk, until nothing changes. */
static int propagate(struct blk_table *t)
{
	bool changed;

	do {
		changed = false;
		for (size_t i = 0; i < t->n; i++) {
			const struct blk *x = &t->v[i];
			struct blk *y;

			if (!x->used && !x->doubt)
				continue;
			for (size_t j = 0; j < x->n_slaves; j++)
				if ((y = blk_find(t, x->slaves[j])) && y != x && merge(y, x, &changed) < 0)
					return -ENOMEM;
			if (x->parent && (y = blk_find(t, x->parent)) && y != x && merge(y, x, &changed) < 0)
				return -ENOMEM;
		}
	} while (changed);
	return 0;
}

static int cmp_blockdev(const void *x, const void *y)
{
	const struct blockdev_info *a = x, *b = y;

	return strcmp(a->name, b->name);
}

static int attach(const struct snap_build *b, const struct blk_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct blk *x = &t->v[i];
		struct pci_device *dev = snap_owner(b, x->real);
		struct blockdev_info *v, *bd;

		if (!dev)
			continue;
		v = reallocarray(dev->blockdevs, dev->n_blockdevs + 1, sizeof(*v));
		if (!v)
			return snap_log_oom(b->ctx);
		dev->blockdevs = v;
		bd = &v[dev->n_blockdevs];
		*bd = (struct blockdev_info){
			.name = strdup(x->name), .mounted = x->mounted, .swap = x->swap, .root = x->root,
			.used = x->used, .use = blk_describe(x), .doubt = x->doubt ? strdup(x->doubt) : NULL,
		};
		dev->n_blockdevs++;
		if (!bd->name || (x->n_uses && !bd->use) || (x->doubt && !bd->doubt))
			return snap_log_oom(b->ctx);
	}
	for (size_t i = 0; i < b->snap->n_devices; i++) {
		struct pci_device *dev = &b->snap->devices[i];

		if (dev->n_blockdevs > 1)
			qsort(dev->blockdevs, dev->n_blockdevs, sizeof(*dev->blockdevs), cmp_blockdev);
	}
	return 0;
}

int snap_read_blockdevs(struct snap_build *b)
{
	_cleanup_(blk_table_done) struct blk_table t = {};
	int r;

	r = blk_table_read(b, &t);
	if (r >= 0)
		r = blk_read_udev(b, &t);
	if (r >= 0)
		r = blk_read_mounts(b, &t);
	if (r >= 0)
		r = blk_read_swaps(b, &t);
	if (r >= 0)
		r = blk_read_stacks(b, &t);
	if (r >= 0)
		r = blk_read_vms(b, &t);
	if (r < 0)
		return r;
	if (propagate(&t) < 0)
		return snap_log_oom(b->ctx);
	return attach(b, &t);
}
