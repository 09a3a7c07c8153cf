/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mounts and swap of the block device table. proc/self/mountinfo gives each
 * mount's device number (field 3) and source: a mount is matched to a block
 * device by that number (ext4 on dm-0 shows 253:0, whatever the source says),
 * else by a source under /dev (btrfs shows an anonymous 0:N). A ZFS dataset
 * ("rpool/ROOT/pve-1") is neither: it is matched to the members of its pool
 * (udev's ID_FS_LABEL) while the zfs module is loaded. proc/swaps lists swap
 * areas (a /dev path) and swap files: a file lives on the mount whose mount
 * point is the longest prefix of its path, so its device is that mount's --
 * on the host and in a test tree alike.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/parse.h"
#include "topology/blk_internal.h"

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

void blk_mount_done(struct blk_mount *m)
{
	free(m->mountpoint);
	free(m->fstype);
	free(m->source);
}

/*
 * "36 35 98:0 /root /mnt rw,noatime master:1 - ext4 /dev/sda1 rw": the optional
 * fields end at " - ". A line that does not parse is skipped (0); -ENOMEM.
 */
int blk_parse_mountinfo_line(char *line, struct blk_mount *ret)
{
	char *save = NULL, *f[5], *fstype, *source, *w;
	unsigned major, minor;

	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		if (!(f[i] = strtok_r(i ? NULL : line, " \n", &save)))
			return 0;
	while ((w = strtok_r(NULL, " \n", &save)) && strcmp(w, "-") != 0)
		;
	fstype = strtok_r(NULL, " \n", &save);
	source = strtok_r(NULL, " \n", &save);
	if (!w || !fstype || !source || parse_devnum(f[2], &major, &minor) < 0)
		return 0;
	unescape_octal(f[4]);
	unescape_octal(source);
	*ret = (struct blk_mount){ .major = major, .minor = minor };
	ret->mountpoint = strdup(f[4]);
	ret->fstype = strdup(fstype);
	ret->source = strdup(source);
	if (!ret->mountpoint || !ret->fstype || !ret->source) {
		blk_mount_done(ret);
		return -ENOMEM;
	}
	return 1;
}

/* The block device of mount m: by device number, else by a /dev source. */
static int mount_blk(const struct snap_build *b, const struct blk_table *t, const struct blk_mount *m,
		     struct blk **ret)
{
	*ret = blk_find_devnum(t, m->major, m->minor);
	if (*ret)
		return 0;
	return blk_of_dev_path(b, t, m->source, ret);
}

bool blk_zfs_loaded(const struct snap_build *b)
{
	_cleanup_(freep) char *path = igd_path(b->ctx, "/sys/module/zfs");

	return path && access(path, F_OK) == 0;
}

static int mark_mount(struct blk *x, const char *mountpoint)
{
	bool root = strcmp(mountpoint, "/") == 0;

	x->mounted = true;
	x->root |= root;
	return blk_add_use(x, root ? USE_RANK_ROOT : USE_RANK_MOUNT, mountpoint);
}

/* A ZFS dataset "POOL/..." (or the pool itself) counts for every member of POOL. */
static int mark_zfs(struct blk_table *t, const struct blk_mount *m)
{
	size_t len = strcspn(m->source, "/");

	for (size_t i = 0; i < t->n; i++) {
		struct blk *x = &t->v[i];
		const char *label = x->props.fs_label;
		int r;

		if (!x->props.fs_type || strcmp(x->props.fs_type, "zfs_member") != 0 || !label ||
		    strlen(label) != len || strncmp(label, m->source, len) != 0)
			continue;
		r = mark_mount(x, m->mountpoint);
		if (r < 0)
			return r;
	}
	return 0;
}

int blk_read_mounts(const struct snap_build *b, struct blk_table *t)
{
	_cleanup_(freep) char *path = igd_path(b->ctx, "/proc/self/mountinfo");
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	bool zfs = blk_zfs_loaded(b);
	size_t size = 0;

	if (!path)
		return snap_log_oom(b->ctx);
	f = fopen(path, "re");
	if (!f)
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the mounts in %s: %m", path);
	while (getline(&line, &size, f) >= 0) {
		struct blk_mount m, *v;
		struct blk *x;
		int r = blk_parse_mountinfo_line(line, &m);

		if (r == 0)
			continue;
		if (r > 0) {
			v = reallocarray(t->mounts, t->n_mounts + 1, sizeof(*v));
			if (!v) {
				blk_mount_done(&m);
				return snap_log_oom(b->ctx);
			}
			t->mounts = v;
			t->mounts[t->n_mounts++] = m;
			r = mount_blk(b, t, &m, &x);
			if (r >= 0 && x)
				r = mark_mount(x, m.mountpoint);
			else if (r >= 0 && zfs && strcmp(m.fstype, "zfs") == 0)
				r = mark_zfs(t, &m);
		}
		if (r < 0)
			return snap_log_oom(b->ctx);
	}
	if (ferror(f))
		return igd_log_errno(b->ctx, LOG_ERR, EIO, "cannot read the mounts in %s: %m", path);
	return 0;
}

void blk_mounts_done(struct blk_table *t)
{
	for (size_t i = 0; i < t->n_mounts; i++)
		blk_mount_done(&t->mounts[i]);
	free(t->mounts);
	t->mounts = NULL;
	t->n_mounts = 0;
}

/* mountpoint is path or a whole-component prefix of it. */
static size_t prefix_len(const char *mountpoint, const char *path)
{
	size_t n = strlen(mountpoint);

	if (strcmp(mountpoint, "/") == 0)
		return 1;
	if (strncmp(mountpoint, path, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return 0;
	return n;
}

/* The mount a file lives on: the one with the longest mount point that prefixes its path (the last wins a tie: it is on top). */
static const struct blk_mount *mount_of_file(const struct blk_table *t, const char *path)
{
	const struct blk_mount *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < t->n_mounts; i++) {
		size_t n = prefix_len(t->mounts[i].mountpoint, path);

		if (n > 0 && n >= best_len) {
			best = &t->mounts[i];
			best_len = n;
		}
	}
	return best;
}

static int mark_swap(const struct snap_build *b, struct blk_table *t, char *source, const char *type)
{
	_cleanup_(freep) char *text = NULL;
	const char *deleted = " (deleted)";
	size_t len = strlen(source);
	struct blk *x = NULL;
	int r;

	if (strcmp(type, "file") == 0) {
		const struct blk_mount *m;

		if (len > strlen(deleted) && strcmp(source + len - strlen(deleted), deleted) == 0)
			source[len - strlen(deleted)] = '\0';
		m = mount_of_file(t, source);
		r = m ? mount_blk(b, t, m, &x) : 0;
		if (r < 0)
			return r;
		if (!x) {
			log_debug(b->ctx, "swap file %s is not on a block device of this host", source);
			return 0;
		}
		if (asprintf(&text, "swap file %s", source) < 0)
			return -ENOMEM;
	} else {
		r = blk_of_dev_path(b, t, source, &x);
		if (r < 0)
			return r;
		if (!x) {
			log_debug(b->ctx, "swap %s is not a block device of this host", source);
			return 0;
		}
	}
	x->swap = true;
	return blk_add_use(x, USE_RANK_SWAP, text ? text : "swap");
}

/* proc/swaps: a header line, then "FILENAME TYPE SIZE USED PRIORITY". Absent without swap support. */
int blk_read_swaps(const struct snap_build *b, struct blk_table *t)
{
	_cleanup_(freep) char *path = igd_path(b->ctx, "/proc/swaps");
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t size = 0;
	bool header = true;

	if (!path)
		return snap_log_oom(b->ctx);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the swap areas in %s: %m", path);
	}
	while (getline(&line, &size, f) >= 0) {
		char *save = NULL, *source, *type;

		if (header) {
			header = false;
			continue;
		}
		source = strtok_r(line, " \t\n", &save);
		type = strtok_r(NULL, " \t\n", &save);
		if (!source)
			continue;
		unescape_octal(source);
		if (mark_swap(b, t, source, type ? type : "partition") < 0)
			return snap_log_oom(b->ctx);
	}
	if (ferror(f))
		return igd_log_errno(b->ctx, LOG_ERR, EIO, "cannot read the swap areas in %s: %m", path);
	return 0;
}
