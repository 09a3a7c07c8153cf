/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block devices of the snapshot and whether the host uses them. Every entry
 * of sys/class/block is resolved to its device directory (a partition lives
 * inside its disk's, so both attach to the same PCI device). Use comes from
 * proc/mounts and proc/swaps: a source under /dev/ names a block device (after
 * resolving its links under the root: /dev/mapper/pve-root -> dm-0). Use then
 * flows down the stacking: a device counts as used when it, or anything built
 * on it -- a holder that lists it in slaves/ (dm, md), transitively, or one of
 * its partitions -- is mounted, swap or "/".
 *
 * Sources that are not under /dev/ are not block devices and are ignored:
 * tmpfs, proc, and ZFS datasets ("rpool/ROOT/pve-1"). ZFS pools are therefore
 * NOT visible this way: a disk that only backs a ZFS pool (even the root pool)
 * is not flagged.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "snapshot_internal.h"

/* One entry of sys/class/block, with what the closure needs. */
struct blk {
	char *name;
	char *real;   /* its device directory */
	char *parent; /* the disk, for a partition */
	char **slaves;
	size_t n_slaves;
	unsigned major, minor;
	bool has_devnum;
	bool mounted, swap, root;
};

struct blk_table {
	struct blk *v;
	size_t n;
};

void snap_blockdev_done(struct blockdev_info *bd)
{
	free(bd->name);
	*bd = (struct blockdev_info){};
}

static void blk_done(struct blk *x)
{
	free(x->name);
	free(x->real);
	free(x->parent);
	for (size_t i = 0; i < x->n_slaves; i++)
		free(x->slaves[i]);
	free(x->slaves);
	*x = (struct blk){};
}

static void blk_table_done(struct blk_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		blk_done(&t->v[i]);
	free(t->v);
	*t = (struct blk_table){};
}

static struct blk *blk_find(const struct blk_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

/* The names in dir/slaves. An absent or unreadable slaves/ means none. Only -ENOMEM fails. */
static int read_slaves(const char *dir, struct blk *x)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (asprintf(&path, "%s/slaves", dir) < 0)
		return -ENOMEM;
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char **v;

		if (de->d_name[0] == '.')
			continue;
		v = reallocarray(x->slaves, x->n_slaves + 1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		x->slaves = v;
		x->slaves[x->n_slaves] = strdup(de->d_name);
		if (!x->slaves[x->n_slaves])
			return -ENOMEM;
		x->n_slaves++;
	}
	return 0;
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
	r = snap_read_line(path, &s);
	if (r == -ENOMEM)
		return r;
	x->has_devnum = r >= 0 && sscanf(s, "%u:%u", &x->major, &x->minor) == 2;
	return 0;
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
		r = read_slaves(link, &x);
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

enum {
	USE_MOUNTED = 1 << 0,
	USE_SWAP = 1 << 1,
	USE_ROOT = 1 << 2,
};

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* In place: the kernel writes blanks, tabs, newlines and backslashes in these files as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (r[0] == '\\' && is_octal(r[1]) && is_octal(r[2]) && is_octal(r[3])) {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

static struct blk *blk_find_devnum(const struct blk_table *t, dev_t rdev)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].has_devnum && t->v[i].major == major(rdev) && t->v[i].minor == minor(rdev))
			return &t->v[i];
	return NULL;
}

/*
 * The block device a mount or swap source names, in *ret (NULL if none). The
 * source's links are resolved under the root and the last component is the
 * device's name (/dev/mapper/pve-root -> dm-0); a device node with another
 * name (/dev/root) is matched by its device number. Only -ENOMEM fails.
 */
static int source_blk(const struct snap_build *b, const struct blk_table *t, const char *source,
		      struct blk **ret)
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
		x = blk_find_devnum(t, st.st_rdev);
	*ret = x;
	return 0;
}

static int mark(const struct snap_build *b, struct blk_table *t, const char *source, unsigned use)
{
	struct blk *x;

	if (source_blk(b, t, source, &x) < 0)
		return snap_log_oom(b->ctx);
	if (!x && strncmp(source, "/dev/", 5) == 0) {
		log_debug(b->ctx, "%s is not a block device of this host; its use is ignored", source);
		return 0;
	}
	if (!x)
		return 0;
	x->mounted |= !!(use & USE_MOUNTED);
	x->swap |= !!(use & USE_SWAP);
	x->root |= !!(use & USE_ROOT);
	return 0;
}

/* proc/mounts: "SOURCE MOUNTPOINT FSTYPE OPTIONS 0 0", fields separated by single blanks. */
static int read_mounts(const struct snap_build *b, struct blk_table *t)
{
	_cleanup_(freep) char *path = igd_path(b->ctx, "/proc/mounts");
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t size = 0;
	int r;

	if (!path)
		return snap_log_oom(b->ctx);
	f = fopen(path, "re");
	if (!f)
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the mounts in %s: %m", path);
	while (getline(&line, &size, f) >= 0) {
		char *save = NULL, *source = strtok_r(line, " \t\n", &save);
		char *mountpoint = strtok_r(NULL, " \t\n", &save);

		if (!source || !mountpoint)
			continue;
		unescape_octal(source);
		unescape_octal(mountpoint);
		r = mark(b, t, source, USE_MOUNTED | (strcmp(mountpoint, "/") == 0 ? USE_ROOT : 0));
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return igd_log_errno(b->ctx, LOG_ERR, EIO, "cannot read the mounts in %s: %m", path);
	return 0;
}

/* proc/swaps: a header line, then "FILENAME TYPE SIZE USED PRIORITY". Absent without swap support. */
static int read_swaps(const struct snap_build *b, struct blk_table *t)
{
	_cleanup_(freep) char *path = igd_path(b->ctx, "/proc/swaps");
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t size = 0;
	bool header = true;
	int r;

	if (!path)
		return snap_log_oom(b->ctx);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the swap areas in %s: %m", path);
	}
	while (getline(&line, &size, f) >= 0) {
		char *save = NULL, *source;

		if (header) {
			header = false;
			continue;
		}
		source = strtok_r(line, " \t\n", &save);
		if (!source)
			continue;
		unescape_octal(source);
		r = mark(b, t, source, USE_SWAP);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return igd_log_errno(b->ctx, LOG_ERR, EIO, "cannot read the swap areas in %s: %m", path);
	return 0;
}

static bool merge(struct blk *to, const struct blk *from)
{
	bool changed = (from->mounted && !to->mounted) || (from->swap && !to->swap) || (from->root && !to->root);

	to->mounted |= from->mounted;
	to->swap |= from->swap;
	to->root |= from->root;
	return changed;
}

/* Use flows from each device to its slaves and from a partition to its disk, until nothing changes. */
static void propagate(struct blk_table *t)
{
	bool changed;

	do {
		changed = false;
		for (size_t i = 0; i < t->n; i++) {
			const struct blk *x = &t->v[i];
			struct blk *y;

			if (!x->mounted && !x->swap && !x->root)
				continue;
			for (size_t j = 0; j < x->n_slaves; j++)
				if ((y = blk_find(t, x->slaves[j])))
					changed |= merge(y, x);
			if (x->parent && (y = blk_find(t, x->parent)))
				changed |= merge(y, x);
		}
	} while (changed);
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
		struct blockdev_info *v;

		if (!dev)
			continue;
		v = reallocarray(dev->blockdevs, dev->n_blockdevs + 1, sizeof(*v));
		if (!v)
			return snap_log_oom(b->ctx);
		dev->blockdevs = v;
		v[dev->n_blockdevs] = (struct blockdev_info){
			.name = strdup(x->name), .mounted = x->mounted, .swap = x->swap, .root = x->root,
		};
		if (!v[dev->n_blockdevs].name)
			return snap_log_oom(b->ctx);
		dev->n_blockdevs++;
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
		r = read_mounts(b, &t);
	if (r >= 0)
		r = read_swaps(b, &t);
	if (r < 0)
		return r;
	propagate(&t);
	return attach(b, &t);
}
