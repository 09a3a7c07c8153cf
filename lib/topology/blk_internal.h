/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block device table of a snapshot being read, shared by the files that
 * fill it: snapshot_block.c (sysfs: names, stacking, devnums; the flow of use
 * down the stacks; attaching to PCI devices), blk_mounts.c (mountinfo, swap
 * areas and files), blk_stack.c (udev types, holder stacks, running VMs).
 * Not installed, not for other objects.
 */
#pragma once

#include "topology/snapshot_internal.h"
#include "topology/udevdb.h"

/* How a use is ranked in the description: members first, "/" before other mounts, VMs last. */
enum blk_use_rank {
	USE_RANK_MEMBER,
	USE_RANK_ROOT,
	USE_RANK_MOUNT,
	USE_RANK_SWAP,
	USE_RANK_VM,
};

struct blk_use {
	enum blk_use_rank rank;
	char *text; /* "zfs pool rpool", "/", "/mnt/data", "swap", "swap file /swapfile", "VM 100" */
};

/* One entry of sys/class/block, with what the checks need. */
struct blk {
	char *name;
	char *real;   /* its device directory */
	char *parent; /* the disk, for a partition */
	char **slaves;
	size_t n_slaves;
	char **holders;
	size_t n_holders;
	unsigned major, minor;
	bool has_devnum;
	struct udev_props props;
	bool mounted, swap, root;
	bool used; /* any use, those above included */
	struct blk_use *uses;
	size_t n_uses;
	char *doubt; /* why its use cannot be read: refuse */
};

/* One line of proc/self/mountinfo. */
struct blk_mount {
	unsigned major, minor;
	char *mountpoint, *fstype, *source;
};

/*
 * One line of proc/self/mountinfo ("36 35 98:0 /root /mnt rw - ext4 /dev/sda1
 * rw"), modified in place: 1 and *ret, 0 for a line that does not parse, or
 * -ENOMEM. Exposed for the fuzzer.
 */
int blk_parse_mountinfo_line(char *line, struct blk_mount *ret);
void blk_mount_done(struct blk_mount *m);

struct blk_table {
	struct blk *v;
	size_t n;
	struct blk_mount *mounts;
	size_t n_mounts;
};

struct blk *blk_find(const struct blk_table *t, const char *name);
struct blk *blk_find_devnum(const struct blk_table *t, unsigned major, unsigned minor);
/*
 * The block device a path under /dev names (a mount source, a swap area, a
 * file a VM holds open), in *ret (NULL if none): its links are resolved under
 * the root and the last component is the device's name (/dev/mapper/pve-root
 * -> dm-0); a device node with another name is matched by its device number.
 * Only -ENOMEM fails.
 */
int blk_of_dev_path(const struct snap_build *b, const struct blk_table *t, const char *path, struct blk **ret);

/* Marks x used, with the use text (added once). 0 or -ENOMEM. */
int blk_add_use(struct blk *x, enum blk_use_rank rank, const char *text);
/* Records why x's use cannot be read (the first reason stays). 0 or -ENOMEM. */
int blk_set_doubt(struct blk *x, const char *why);

void blk_mounts_done(struct blk_table *t);
/* sys/module/zfs exists: pools can be imported. */
bool blk_zfs_loaded(const struct snap_build *b);

/* Each 0 or -errno, logged. */
int blk_read_mounts(const struct snap_build *b, struct blk_table *t);
int blk_read_swaps(const struct snap_build *b, struct blk_table *t);
int blk_read_udev(const struct snap_build *b, struct blk_table *t);
int blk_read_stacks(const struct snap_build *b, struct blk_table *t);
int blk_read_vms(const struct snap_build *b, struct blk_table *t);

/* "zfs pool rpool, /" from x's uses (ranked, at most a few, then "and N more"); malloc'd or NULL. */
char *blk_describe(const struct blk *x);
