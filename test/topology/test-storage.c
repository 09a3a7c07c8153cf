/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Storage safety on every layout: fixture hosts with LVM, ZFS, md, LUKS,
 * bcache, Ceph, swap files and a running VM; each asserts the plan's refusal,
 * its message and what `status` shows, and that a function without disks on
 * the same host is not refused. And the udev database parser.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/status.h"
#include "config/config.h"
#include "engine/plan.h"
#include "fixture.h"
#include "testutil.h"
#include "topology/snapshot.h"
#include "topology/udevdb.h"

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct snapshot snap;
static struct igd_config cfg;
static struct plan plan;

/* Two disk controllers, the PCH audio function (no disks: the control) and a NIC. */
#define HOST                                                                                       \
	"device 0000:00:17.0 8086:a282 class=010601 group=4 driver=ahci\n"                         \
	"device 0000:01:00.0 1e4b:1202 class=010802 group=9 driver=nvme\n"                         \
	"device 0000:00:1f.3 8086:a348 class=040300 group=7 driver=snd_hda_intel\n"                \
	"device 0000:00:1f.6 8086:15bb class=020000 group=7 driver=e1000e\n"                       \
	"mount sysfs /sys sysfs\n"                                                                 \
	"mount tmpfs /run tmpfs\n"

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
}

static void teardown(void)
{
	plan_done(&plan);
	config_done(&cfg);
	snapshot_done(&snap);
	tu_root_teardown(&root, &ctx, &logbuf);
}

/* Builds HOST + text, reads it and plans removing 1f.3, 00:17.0 and 01:00.0. */
static void read_host(const char *text)
{
	_cleanup_(freep) char *all = NULL;

	ck_assert_int_ge(asprintf(&all, HOST "%s", text), 0);
	ck_assert_int_eq(fixture_build(root, all), 0);
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	ck_assert_int_eq(config_parse_string(ctx, "test.conf",
					     "[regroup]\nfunctions = 0000:00:1f.3 0000:00:17.0 0000:01:00.0\n", &cfg),
			 0);
	ck_assert_int_eq(plan_build(&cfg, &snap, &plan), 0);
	ck_assert_uint_eq(plan.n_functions, 3);
	/* the control: a function without disks on the same host is never refused */
	ck_assert_int_eq(plan.functions[0].refusal, REFUSE_NONE);
}

static const struct plan_function *fn(const char *addr)
{
	struct pci_addr a;

	ck_assert_int_eq(pci_addr_parse(addr, 0, &a), 0);
	for (size_t i = 0; i < plan.n_functions; i++)
		if (pci_addr_cmp(&plan.functions[i].addr, &a) == 0)
			return &plan.functions[i];
	ck_abort_msg("%s is not planned", addr);
}

static void assert_refused(const char *addr, enum refusal kind, const char *reason)
{
	const struct plan_function *f = fn(addr);
	_cleanup_(freep) char *why = plan_refusal_reason(f);

	ck_assert_msg(f->refusal == kind, "%s: refusal %d (%s), expected %d", addr, f->refusal, strna(why), kind);
	ck_assert_str_eq(why, reason);
	ck_assert(pci_device_uses_storage(f->dev));
}

static void assert_not_refused(const char *addr)
{
	const struct plan_function *f = fn(addr);

	ck_assert_msg(f->refusal == REFUSE_NONE, "%s refused: %s", addr, refusal_to_string(f->refusal));
	ck_assert(!pci_device_uses_storage(f->dev));
}

static char *status_text(void)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(m);
	status_print(m, &snap, &cfg, false);
	ck_assert_int_eq(fclose(m), 0);
	return s;
}

static void assert_status_has(const char *needle)
{
	_cleanup_(freep) char *s = status_text();

	ck_assert_msg(strstr(s, needle) != NULL, "expected '%s' in:\n%s", needle, s);
}

static void assert_status_lacks(const char *needle)
{
	_cleanup_(freep) char *s = status_text();

	ck_assert_msg(strstr(s, needle) == NULL, "did not expect '%s' in:\n%s", needle, s);
}

START_TEST(ext4_on_lvm)
{
	/* "/" on pve/root: mountinfo names it /dev/root, only its device number (253:0) tells */
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda1 parent=sda\n"
		  "block sda3 parent=sda\n"
		  "block dm-0 virtual slaves=sda3\n"
		  "udev sda3 ID_FS_TYPE=LVM2_member\n"
		  "udev dm-0 DM_NAME=pve-root DM_VG_NAME=pve DM_LV_NAME=root ID_FS_TYPE=ext4\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "mount /dev/root / ext4 rw dev=253:0\n");
	assert_refused("00:17.0", REFUSE_ROOT_FS, "disk sda is used (LVM pve, /)");
	assert_not_refused("01:00.0");
	assert_status_has("  disk sda (LVM pve, /)  disk sda3 (LVM pve, /)\n");
}
END_TEST

START_TEST(zfs_root)
{
	/* the Proxmox installer's ZFS layout: no holders, no /dev source, only udev knows */
	read_host("block nvme0n1 dev=0000:01:00.0\n"
		  "block nvme0n1p2 parent=nvme0n1\n"
		  "block nvme0n1p3 parent=nvme0n1\n"
		  "udev nvme0n1p2 ID_FS_TYPE=vfat\n"
		  "udev nvme0n1p3 ID_FS_TYPE=zfs_member ID_FS_LABEL=rpool\n"
		  "module zfs\n"
		  "mount rpool/ROOT/pve-1 / zfs rw,xattr,noacl\n"
		  "mount rpool /rpool zfs\n"
		  "mount rpool/data /rpool/data zfs\n"
		  "mount otherpool/x /x zfs\n"
		  "block sda dev=0000:00:17.0\n");
	assert_refused("01:00.0", REFUSE_ROOT_FS, "disk nvme0n1 is used (zfs pool rpool, /, /rpool, /rpool/data)");
	assert_not_refused("00:17.0");
	assert_status_has("  disk nvme0n1p3 (zfs pool rpool, /, /rpool, /rpool/data)\n");
	assert_status_lacks("nvme0n1p2");
}
END_TEST

START_TEST(zfs_without_module)
{
	/* without the zfs module no pool is imported: a member is just a disk */
	read_host("block nvme0n1 dev=0000:01:00.0\n"
		  "udev nvme0n1 ID_FS_TYPE=zfs_member ID_FS_LABEL=tank\n");
	assert_not_refused("01:00.0");
}
END_TEST

START_TEST(zfs_mirror_two_controllers)
{
	/* a mirror across both controllers, imported, nothing mounted from it: both refused */
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda1 parent=sda\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "block nvme0n1p1 parent=nvme0n1\n"
		  "udev sda1 ID_FS_TYPE=zfs_member ID_FS_LABEL=tank\n"
		  "udev nvme0n1p1 ID_FS_TYPE=zfs_member ID_FS_LABEL=tank\n"
		  "module zfs\n");
	assert_refused("00:17.0", REFUSE_STORAGE, "disk sda is used (zfs pool tank)");
	assert_refused("01:00.0", REFUSE_STORAGE, "disk nvme0n1 is used (zfs pool tank)");
	ck_assert_uint_eq(plan.n_refused, 2);
}
END_TEST

/* local-lvm on a second disk: VG data2 with a thin pool; VM 100's QEMU has a thin volume open */
#define LVM_THIN                                                                                   \
	"block sda dev=0000:00:17.0\n"                                                             \
	"block nvme0n1 dev=0000:01:00.0\n"                                                         \
	"block nvme0n1p1 parent=nvme0n1\n"                                                         \
	"block dm-0 virtual slaves=nvme0n1p1\n"                                                    \
	"block dm-1 virtual slaves=nvme0n1p1\n"                                                    \
	"block dm-2 virtual slaves=dm-0,dm-1\n"                                                    \
	"block dm-3 virtual slaves=dm-2\n"                                                         \
	"block dm-4 virtual slaves=dm-2\n"                                                         \
	"udev nvme0n1p1 ID_FS_TYPE=LVM2_member\n"                                                  \
	"udev dm-0 DM_NAME=data2-data_tmeta DM_VG_NAME=data2 DM_LV_NAME=data_tmeta\n"              \
	"udev dm-1 DM_NAME=data2-data_tdata DM_VG_NAME=data2 DM_LV_NAME=data_tdata\n"              \
	"udev dm-2 DM_NAME=data2-data-tpool DM_VG_NAME=data2 DM_LV_NAME=data DM_LV_LAYER=tpool\n"  \
	"udev dm-3 DM_NAME=data2-data DM_VG_NAME=data2 DM_LV_NAME=data\n"                          \
	"udev dm-4 DM_NAME=data2-vm--100--disk--0 DM_VG_NAME=data2 DM_LV_NAME=vm-100-disk-0\n"

START_TEST(lvm_thin_with_vm)
{
	read_host(LVM_THIN "link /proc/4242/fd/17 /dev/dm-4\n"
			   "link /proc/4242/fd/3 /dev/null\n"
			   "file /run/qemu-server/100.pid 4242\n"
			   /* a stale pid file: no such process */
			   "file /run/qemu-server/101.pid 999\n"
			   "link /proc/5555/fd/4 /dev/sda\n"
			   "file /run/qemu-server/abc.pid 5555\n");
	assert_refused("01:00.0", REFUSE_STORAGE, "disk nvme0n1 is used (LVM data2: thin pool, VM 100)");
	/* a process that is not a Proxmox VM (no VMID.pid names it) does not count */
	assert_not_refused("00:17.0");
	assert_status_has("  disk nvme0n1 (LVM data2: thin pool, VM 100)  disk nvme0n1p1 (LVM data2: thin pool, VM 100)\n");
}
END_TEST

START_TEST(lvm_thin_without_vm)
{
	/* an active volume group counts with nothing mounted and no VM running */
	read_host(LVM_THIN);
	assert_refused("01:00.0", REFUSE_STORAGE, "disk nvme0n1 is used (LVM data2: thin pool)");
}
END_TEST

START_TEST(lvm_inactive)
{
	/* a physical volume whose volume group is not active has no holders: not used */
	read_host("block nvme0n1 dev=0000:01:00.0\n"
		  "udev nvme0n1 ID_FS_TYPE=LVM2_member\n");
	assert_not_refused("01:00.0");
	assert_status_lacks("disk nvme0n1");
}
END_TEST

START_TEST(vm_whole_disk)
{
	/* a disk passed to VM 105 as /dev/disk/by-id/...: QEMU's fd points at the node */
	read_host("block sda dev=0000:00:17.0\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "link /proc/777/fd/20 /dev/nvme0n1\n"
		  "file /run/qemu-server/105.pid 777\n");
	assert_refused("01:00.0", REFUSE_STORAGE, "disk nvme0n1 is used (VM 105)");
	assert_not_refused("00:17.0");
}
END_TEST

START_TEST(mdraid)
{
	/* an assembled array over both controllers, nothing mounted */
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda1 parent=sda\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "block nvme0n1p1 parent=nvme0n1\n"
		  "block md0 virtual slaves=sda1,nvme0n1p1\n"
		  "udev sda1 ID_FS_TYPE=linux_raid_member\n"
		  "udev nvme0n1p1 ID_FS_TYPE=linux_raid_member\n");
	assert_refused("00:17.0", REFUSE_STORAGE, "disk sda is used (md array md0)");
	assert_refused("01:00.0", REFUSE_STORAGE, "disk nvme0n1 is used (md array md0)");
}
END_TEST

START_TEST(md_not_assembled)
{
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda1 parent=sda\n"
		  "udev sda1 ID_FS_TYPE=linux_raid_member\n");
	assert_not_refused("00:17.0");
}
END_TEST

START_TEST(luks)
{
	/* an open LUKS device, LVM inside it, a volume mounted */
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda2 parent=sda\n"
		  "block dm-0 virtual slaves=sda2\n"
		  "block dm-1 virtual slaves=dm-0\n"
		  "udev sda2 ID_FS_TYPE=crypto_LUKS\n"
		  "udev dm-0 DM_NAME=luks-6d1c ID_FS_TYPE=LVM2_member\n"
		  "udev dm-1 DM_NAME=vault-files DM_VG_NAME=vault DM_LV_NAME=files\n"
		  "link /dev/mapper/vault-files ../dm-1\n"
		  "mount /dev/mapper/vault-files /srv/vault\n"
		  "block nvme0n1 dev=0000:01:00.0\n");
	assert_refused("00:17.0", REFUSE_MOUNTED, "disk sda is used (LUKS luks-6d1c, LVM vault, /srv/vault)");
	assert_not_refused("01:00.0");
	assert_status_has("  disk sda2 (LUKS luks-6d1c, LVM vault, /srv/vault)\n");
}
END_TEST

START_TEST(bcache_and_ceph)
{
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda1 parent=sda\n"
		  "block bcache0 virtual slaves=sda1\n"
		  "udev sda1 ID_FS_TYPE=bcache\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  /* a running OSD opens its disk without a holder: always used */
		  "udev nvme0n1 ID_FS_TYPE=ceph_bluestore\n");
	assert_refused("00:17.0", REFUSE_STORAGE, "disk sda is used (bcache bcache0)");
	assert_refused("01:00.0", REFUSE_STORAGE, "disk nvme0n1 is used (Ceph OSD)");
}
END_TEST

START_TEST(unknown_holder)
{
	/* a holder of no known kind (a dm device without udev data) still counts */
	read_host("block sda dev=0000:00:17.0\n"
		  "block dm-0 virtual slaves=sda\n"
		  "block nvme0n1 dev=0000:01:00.0\n");
	assert_refused("00:17.0", REFUSE_STORAGE, "disk sda is used (held by dm-0)");
	assert_not_refused("01:00.0");
}
END_TEST

START_TEST(swap_files)
{
	/* a swap file lives on the mount with the longest mount point that prefixes its path */
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda1 parent=sda\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "block nvme0n1p1 parent=nvme0n1\n"
		  "mount /dev/sda1 / ext4\n"
		  "mount /dev/nvme0n1p1 /srv/big btrfs\n"
		  "swap /srv/big/swapfile\n"
		  "swap /srv/bigger\\040swap\\040(deleted) file\n");
	assert_refused("01:00.0", REFUSE_MOUNTED, "disk nvme0n1 is used (/srv/big, swap file /srv/big/swapfile)");
	assert_refused("00:17.0", REFUSE_ROOT_FS, "disk sda is used (/, swap file /srv/bigger swap)");
	ck_assert(fn("01:00.0")->blockdev->swap);
	ck_assert(fn("00:17.0")->blockdev->swap);
}
END_TEST

START_TEST(swap_file_only_use)
{
	/* swap by device number alone: the mount's source says nothing */
	read_host("block sda dev=0000:00:17.0\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "mount overlay /var/swap overlay rw dev=8:0\n"
		  "swap /var/swap/file\n");
	ck_assert_int_eq(fn("00:17.0")->refusal, REFUSE_MOUNTED);
	assert_refused("00:17.0", REFUSE_MOUNTED, "disk sda is used (/var/swap, swap file /var/swap/file)");
	assert_not_refused("01:00.0");
}
END_TEST

START_TEST(unreadable_holders)
{
	read_host("block sda dev=0000:00:17.0\n"
		  "block sda1 parent=sda\n"
		  "block nvme0n1 dev=0000:01:00.0\n");
	/* holders/ that cannot be listed: the use of sda1, and so of sda, is unknown */
	plan_done(&plan);
	snapshot_done(&snap);
	{
		_cleanup_(freep) char *h = tu_path(root, "sys/class/block/sda1/holders");

		tu_rm_rf(h);
		tu_write_file(root, "sys/class/block/sda1/holders", "");
	}
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	ck_assert_int_eq(plan_build(&cfg, &snap, &plan), 0);
	assert_refused("00:17.0", REFUSE_STORAGE_UNKNOWN,
		       "the use of disk sda cannot be read (the holders of sda1 cannot be read: Not a directory)");
	assert_not_refused("01:00.0");
	assert_status_has("  disk sda (use unknown: the holders of sda1 cannot be read: Not a directory)");
}
END_TEST

START_TEST(unreadable_udev_record)
{
	read_host("block sda dev=0000:00:17.0\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "udev nvme0n1 ID_FS_TYPE=ext4\n");
	plan_done(&plan);
	snapshot_done(&snap);
	tu_mkdir_p(root, "run/udev/data/b8:0");
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	ck_assert_int_eq(plan_build(&cfg, &snap, &plan), 0);
	assert_refused("00:17.0", REFUSE_STORAGE_UNKNOWN,
		       "the use of disk sda cannot be read (the udev data of sda cannot be read: Is a directory)");
	/* a readable record, and no record at all, are no doubt */
	assert_not_refused("01:00.0");
}
END_TEST

START_TEST(unreadable_vm_fds)
{
	/* what a running VM holds cannot be read: every disk is in doubt */
	read_host("block sda dev=0000:00:17.0\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "file /proc/4242/fd\n"
		  "file /run/qemu-server/100.pid 4242\n");
	assert_refused("00:17.0", REFUSE_STORAGE_UNKNOWN,
		       "the use of disk sda cannot be read (the files VM 100 (pid 4242) has open cannot be read: Not a directory)");
	ck_assert_int_eq(fn("01:00.0")->refusal, REFUSE_STORAGE_UNKNOWN);
}
END_TEST

START_TEST(many_uses_counted)
{
	read_host("block sda dev=0000:00:17.0\n"
		  "block nvme0n1 dev=0000:01:00.0\n"
		  "mount /dev/sda /a\nmount /dev/sda /b\nmount /dev/sda /c\nmount /dev/sda /d\n"
		  "mount /dev/sda /e\nmount /dev/sda /f\nmount /dev/sda /g\nmount /dev/sda /h\n");
	assert_refused("00:17.0", REFUSE_MOUNTED, "disk sda is used (/a, /b, /c, /d, /e, /f and 2 more)");
}
END_TEST

/* ---- the udev database parser ---- */

static void parse(const char *text, size_t len, struct udev_props *p)
{
	ck_assert_int_eq(udevdb_parse(text, len, p), 0);
}

START_TEST(udevdb_fields)
{
	static const char rec[] = "S:disk/by-id/nvme-x\nW:1\nI:123\nE:ID_FS_TYPE=zfs_member\n"
				  "E:ID_FS_LABEL=rpool\nE:ID_FS_UUID=1234\nG:systemd\nQ:systemd\nV:1\n"
				  "E:DM_VG_NAME=pve\nE:DM_LV_NAME=data\nE:DM_LV_LAYER=tpool\nE:DM_NAME=pve-data-tpool";
	_cleanup_(udev_props_done) struct udev_props p = {};

	parse(rec, strlen(rec), &p);
	ck_assert_str_eq(p.fs_type, "zfs_member");
	ck_assert_str_eq(p.fs_label, "rpool");
	ck_assert_str_eq(p.dm_vg, "pve");
	ck_assert_str_eq(p.dm_lv, "data");
	ck_assert_str_eq(p.dm_layer, "tpool");
	ck_assert_str_eq(p.dm_name, "pve-data-tpool"); /* the last line, without a newline */
}
END_TEST

START_TEST(udevdb_odd_input)
{
	_cleanup_(udev_props_done) struct udev_props a = {}, b = {}, c = {}, d = {};
	static const char nul[] = "E:ID_FS_TYPE=ex\0t4\nE:ID_FS_LABEL=x\n";
	/* the last of a key given twice wins; other records and keys are ignored */
	static const char twice[] = "E:ID_FS_TYPE=ext4\nE:ID_FS_TYPE=swap\nE:ID_FS_TYPEX=1\nX:ID_FS_LABEL=no\nE:ID_FS_LABEL\n";
	static const char empty[] = "E:\nE:=\nE:ID_FS_LABEL=\n";

	parse(twice, strlen(twice), &a);
	ck_assert_str_eq(a.fs_type, "swap");
	ck_assert_ptr_null(a.fs_label);
	/* empty input, a lone "E:", an empty value */
	parse("", 0, &b);
	ck_assert_ptr_null(b.fs_type);
	parse(empty, strlen(empty), &c);
	ck_assert_str_eq(c.fs_label, "");
	/* len bounds the text: nothing past it is read; a NUL ends its line's value */
	parse("E:ID_FS_TYPE=ext4", 14, &d);
	ck_assert_str_eq(d.fs_type, "e");
	udev_props_done(&d);
	parse(nul, sizeof(nul) - 1, &d);
	ck_assert_str_eq(d.fs_type, "ex");
	ck_assert_str_eq(d.fs_label, "x");
	udev_props_done(&d);
	udev_props_done(&d);
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

static Suite *storage_suite(void)
{
	Suite *s = suite_create("storage");

	add(s, "ext4_on_lvm", ext4_on_lvm);
	add(s, "zfs_root", zfs_root);
	add(s, "zfs_without_module", zfs_without_module);
	add(s, "zfs_mirror_two_controllers", zfs_mirror_two_controllers);
	add(s, "lvm_thin_with_vm", lvm_thin_with_vm);
	add(s, "lvm_thin_without_vm", lvm_thin_without_vm);
	add(s, "lvm_inactive", lvm_inactive);
	add(s, "vm_whole_disk", vm_whole_disk);
	add(s, "mdraid", mdraid);
	add(s, "md_not_assembled", md_not_assembled);
	add(s, "luks", luks);
	add(s, "bcache_and_ceph", bcache_and_ceph);
	add(s, "unknown_holder", unknown_holder);
	add(s, "swap_files", swap_files);
	add(s, "swap_file_only_use", swap_file_only_use);
	add(s, "unreadable_holders", unreadable_holders);
	add(s, "unreadable_udev_record", unreadable_udev_record);
	add(s, "unreadable_vm_fds", unreadable_vm_fds);
	add(s, "many_uses_counted", many_uses_counted);
	add(s, "udevdb_fields", udevdb_fields);
	add(s, "udevdb_odd_input", udevdb_odd_input);
	return s;
}

TESTSUITE_MAIN(storage_suite)
