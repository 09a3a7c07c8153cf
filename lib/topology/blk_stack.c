/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Uses of the block device table that are not mounts: what udev says a
 * device holds (ID_FS_TYPE), the stacks built on it (sysfs holders/: dm, LVM,
 * LUKS, md, bcache) and the running VMs that hold it open.
 *
 * The rules, "refuse when in doubt" where a stack cannot be seen:
 *   - a device with any holder is used: an active stack counts even when
 *     nothing on it is mounted;
 *   - zfs_member is used while the zfs module is loaded (ZFS registers no
 *     holders); without the module no pool can be imported;
 *   - ceph_bluestore is always used: a running OSD opens its disk directly,
 *     with no holder;
 *   - LVM2_member, linux_raid_member, crypto_LUKS and bcache without a holder
 *     are an inactive volume group, an unassembled array, a closed LUKS
 *     device, an unregistered cache: not used;
 *   - a file a Proxmox VM's QEMU process holds open that is a block device
 *     (a disk passed through, a volume stacked on it) is used by that VM.
 */
#include <string.h>

#include "topology/blk_internal.h"
#include "topology/proc_fds.h"

static bool type_is(const struct blk *x, const char *type)
{
	return x->props.fs_type && strcmp(x->props.fs_type, type) == 0;
}

int blk_read_udev(const struct snap_build *b, struct blk_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct blk *x = &t->v[i];
		_cleanup_(freep) char *why = NULL;
		int r;

		if (!x->has_devnum)
			continue;
		r = udevdb_read(b->ctx, x->major, x->minor, &x->props);
		if (r == -ENOMEM)
			return snap_log_oom(b->ctx);
		if (r >= 0)
			continue;
		log_debug(b->ctx, "cannot read the udev data of %s: %s", x->name, strerror(-r));
		if (asprintf(&why, "the udev data of %s cannot be read: %s", x->name, strerror(-r)) < 0 || blk_set_doubt(x, why) < 0)
			return snap_log_oom(b->ctx);
	}
	return 0;
}

/* Something stacked on x, at any depth, is a thin pool (LVM names its layers "-tpool", "_tdata", "_tmeta"). */
static bool has_thin_pool(const struct blk_table *t, const struct blk *x, size_t depth)
{
	if (depth > t->n)
		return false;
	for (size_t i = 0; i < x->n_holders; i++) {
		const struct blk *h = blk_find(t, x->holders[i]);
		const char *lv;
		size_t n;

		if (!h)
			continue;
		lv = h->props.dm_lv;
		n = lv ? strlen(lv) : 0;
		if ((h->props.dm_layer && strcmp(h->props.dm_layer, "tpool") == 0) ||
		    (n > 6 && (strcmp(lv + n - 6, "_tdata") == 0 || strcmp(lv + n - 6, "_tmeta") == 0)) ||
		    has_thin_pool(t, h, depth + 1))
			return true;
	}
	return false;
}

/* The first holder's name, as udev knows it where it can ("luks-..." for dm-3). */
static const char *first_holder_name(const struct blk_table *t, const struct blk *x)
{
	const struct blk *h = blk_find(t, x->holders[0]);

	return h && h->props.dm_name ? h->props.dm_name : x->holders[0];
}

static const char *holder_vg(const struct blk_table *t, const struct blk *x)
{
	for (size_t i = 0; i < x->n_holders; i++) {
		const struct blk *h = blk_find(t, x->holders[i]);

		if (h && h->props.dm_vg)
			return h->props.dm_vg;
	}
	return NULL;
}

/* What x's holders make of it: "LVM pve: thin pool", "md array md0", "LUKS luks-1", "held by dm-0". */
static int stack_use(const struct blk_table *t, struct blk *x)
{
	_cleanup_(freep) char *text = NULL;
	bool member = type_is(x, "LVM2_member") || type_is(x, "linux_raid_member") ||
		      type_is(x, "crypto_LUKS") || type_is(x, "bcache");
	const char *vg;
	int r;

	/* a dm or md device in the middle of a stack (an LVM layer): what sits on top says it all */
	if (x->n_slaves > 0 && !member)
		return 0;
	vg = holder_vg(t, x);
	if (type_is(x, "LVM2_member") || (vg && !member))
		r = asprintf(&text, "LVM%s%s%s", vg ? " " : "", vg ? vg : "",
			     has_thin_pool(t, x, 0) ? ": thin pool" : "");
	else if (type_is(x, "linux_raid_member"))
		r = asprintf(&text, "md array %s", x->holders[0]);
	else if (type_is(x, "crypto_LUKS"))
		r = asprintf(&text, "LUKS %s", first_holder_name(t, x));
	else if (type_is(x, "bcache"))
		r = asprintf(&text, "bcache %s", x->holders[0]);
	else
		r = asprintf(&text, "held by %s", first_holder_name(t, x));
	if (r < 0)
		return -ENOMEM;
	return blk_add_use(x, USE_RANK_MEMBER, text);
}

int blk_read_stacks(const struct snap_build *b, struct blk_table *t)
{
	bool zfs = blk_zfs_loaded(b);

	for (size_t i = 0; i < t->n; i++) {
		struct blk *x = &t->v[i];
		_cleanup_(freep) char *text = NULL;
		int r = 0;

		if (type_is(x, "zfs_member") && zfs) {
			if (asprintf(&text, "zfs pool%s%s", x->props.fs_label ? " " : "",
				     x->props.fs_label ? x->props.fs_label : "") < 0)
				return snap_log_oom(b->ctx);
			r = blk_add_use(x, USE_RANK_MEMBER, text);
		} else if (type_is(x, "zfs_member"))
			log_debug(b->ctx, "%s is a ZFS pool member, but the zfs module is not loaded", x->name);
		else if (type_is(x, "ceph_bluestore"))
			r = blk_add_use(x, USE_RANK_MEMBER, "Ceph OSD");
		else if (x->n_holders > 0)
			r = stack_use(t, x);
		if (r < 0)
			return snap_log_oom(b->ctx);
	}
	return 0;
}

struct vm_scan {
	const struct snap_build *b;
	struct blk_table *t;
	unsigned vmid;
};

static int vm_fd(const char *target, void *userdata)
{
	struct vm_scan *s = userdata;
	_cleanup_(freep) char *text = NULL;
	struct blk *x;
	int r;

	if (strncmp(target, "/dev/", 5) != 0)
		return 0;
	r = blk_of_dev_path(s->b, s->t, target, &x);
	if (r < 0 || !x)
		return r;
	if (asprintf(&text, "VM %u", s->vmid) < 0)
		return -ENOMEM;
	return blk_add_use(x, USE_RANK_VM, text);
}

static int scan_vm(unsigned vmid, int pid, void *userdata)
{
	struct vm_scan *s = userdata;
	_cleanup_(freep) char *p = NULL, *why = NULL;
	int r;

	if (asprintf(&p, "%d", pid) < 0)
		return -ENOMEM;
	s->vmid = vmid;
	r = proc_fds_foreach(s->b->ctx, p, vm_fd, s);
	if (r == -ENOMEM || r >= 0 || r == -ENOENT)
		return r == -ENOENT ? 0 : r;
	/* Not knowing what a running VM holds puts every disk in doubt. */
	if (asprintf(&why, "the files VM %u (pid %d) has open cannot be read: %s", vmid, pid, strerror(-r)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < s->t->n; i++)
		if (blk_set_doubt(&s->t->v[i], why) < 0)
			return -ENOMEM;
	return 0;
}

int blk_read_vms(const struct snap_build *b, struct blk_table *t)
{
	struct vm_scan s = { .b = b, .t = t };

	if (qemu_vms_foreach(b->ctx, scan_vm, &s) < 0)
		return snap_log_oom(b->ctx);
	return 0;
}
