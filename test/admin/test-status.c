/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status, pure: status_print() on snapshot literals and config values. The
 * devices are listed by IOMMU group like `lspci -nnk`; each expectation is
 * built from the device it describes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "admin/status.h"
#include "core/macro.h"
#include "snaplit.h"
#include "testutil.h"

#define A(s) snaplit_addr(s)

static char *print_status(const struct snapshot *snap, const struct igd_config *cfg, bool color)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	ck_assert_ptr_nonnull(f);
	status_print(f, snap, cfg, color);
	ck_assert_int_eq(fclose(f), 0);
	return s;
}

/* The line of text that names d's address (malloc'd); fails the test when there is none. */
static char *line_of(const char *text, const struct pci_device *d)
{
	_cleanup_(freep) char *needle = NULL;
	const char *p, *start;

	ck_assert_int_ge(asprintf(&needle, " %s ", PCI_ADDR_STR(&d->addr)), 0);
	p = strstr(text, needle);
	ck_assert_msg(p, "no line for %s in:\n%s", PCI_ADDR_STR(&d->addr), text);
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	return strndup(start, strcspn(start, "\n"));
}

/* A small host: the iGPU alone, three PCH functions sharing a group, a NIC without a group. */
static void host_devices(struct pci_device v[5])
{
	v[0] = snaplit_dev("0000:00:02.0", 2);
	v[1] = snaplit_dev("0000:00:1f.0", 7);
	v[2] = snaplit_dev("0000:00:1f.3", 7);
	v[3] = snaplit_dev("0000:00:1f.6", 7);
	v[4] = snaplit_dev("0000:03:00.0", IOMMU_GROUP_NONE);
	v[0].driver = "i915";
	v[2].driver = "snd_hda_intel";
	v[3].driver = "e1000e";
}

START_TEST(the_header_counts_devices_and_groups)
{
	struct pci_device v[5];
	struct snapshot snap;
	_cleanup_(freep) char *text = NULL, *want = NULL;
	size_t groups = 0;

	host_devices(v);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	/* the distinct groups, counted from the devices */
	for (size_t i = 0; i < snap.n_devices; i++) {
		bool seen = v[i].iommu_group == IOMMU_GROUP_NONE;

		for (size_t j = 0; j < i && !seen; j++)
			seen = v[j].iommu_group == v[i].iommu_group;
		groups += !seen;
	}
	text = print_status(&snap, NULL, false);
	ck_assert_int_ge(asprintf(&want, "%zu PCI devices in %zu IOMMU groups.\n", snap.n_devices, groups),
			 0);
	ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
}
END_TEST

START_TEST(devices_are_listed_by_group_and_those_without_one_last)
{
	/* groups not in address order: the listing follows the group numbers */
	struct pci_device v[] = {
		snaplit_dev("0000:00:02.0", 9), snaplit_dev("0000:00:14.0", IOMMU_GROUP_NONE),
		snaplit_dev("0000:00:1f.0", 3), snaplit_dev("0000:00:1f.3", 9),
		snaplit_dev("0000:01:00.0", 0),
	};
	struct snapshot snap = snaplit_snapshot(v, ELEMENTSOF(v));
	_cleanup_(freep) char *text = print_status(&snap, NULL, false);
	const char *pos[ELEMENTSOF(v)];

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(freep) char *line = line_of(text, &v[i]);
		_cleanup_(freep) char *header = NULL;
		const char *h;

		pos[i] = strstr(text, line);
		/* the nearest header above the device's line is its group's */
		if (v[i].iommu_group == IOMMU_GROUP_NONE)
			header = strdup("\nNo IOMMU group\n");
		else
			ck_assert_int_ge(asprintf(&header, "\nGroup %d", v[i].iommu_group), 0);
		h = strstr(text, header);
		ck_assert_msg(h && h < pos[i], "%s: no '%s' above it", PCI_ADDR_STR(&v[i].addr), header + 1);
		for (const char *g = strstr(h + 1, "\nGroup "); g; g = strstr(g + 1, "\nGroup "))
			ck_assert_msg(g > pos[i] || g == h, "%s: another group's header in between",
				      PCI_ADDR_STR(&v[i].addr));
	}
	/* ascending groups; within a group by address; no group last */
	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		for (size_t j = 0; j < ELEMENTSOF(v); j++) {
			int gi = v[i].iommu_group, gj = v[j].iommu_group;
			bool before = gi == gj
					  ? i < j
					  : gj == IOMMU_GROUP_NONE || (gi != IOMMU_GROUP_NONE && gi < gj);

			if (i != j)
				ck_assert_msg((pos[i] < pos[j]) == before, "%s and %s in the wrong order",
					      PCI_ADDR_STR(&v[i].addr), PCI_ADDR_STR(&v[j].addr));
		}
}
END_TEST

START_TEST(a_shared_group_says_by_how_many)
{
	/* groups of one, two and three devices */
	struct pci_device v[] = {
		snaplit_dev("0000:00:02.0", 2), snaplit_dev("0000:00:14.0", 3),
		snaplit_dev("0000:00:14.2", 3), snaplit_dev("0000:00:1f.0", 7),
		snaplit_dev("0000:00:1f.3", 7), snaplit_dev("0000:00:1f.6", 7),
	};
	struct snapshot snap = snaplit_snapshot(v, ELEMENTSOF(v));
	_cleanup_(freep) char *text = print_status(&snap, NULL, false);

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		size_t members = snaplit_group_others(&snap, &v[i]) + 1;
		_cleanup_(freep) char *header = NULL;

		if (members > 1)
			ck_assert_int_ge(asprintf(&header, "\nGroup %d  shared by %zu devices\n",
						  v[i].iommu_group, members),
					 0);
		else
			ck_assert_int_ge(asprintf(&header, "\nGroup %d\n", v[i].iommu_group), 0);
		ck_assert_msg(strstr(text, header), "'%s' not in:\n%s", header + 1, text);
	}
}
END_TEST

START_TEST(regroup_and_vfio_devices_are_marked)
{
	struct pci_device v[5];
	struct snapshot snap;
	struct pci_addr fns[] = { A("0000:00:1f.0"), A("0000:00:1f.3") };
	struct pci_addr vfio[] = { A("0000:00:02.0"), A("0000:00:1f.3") };
	struct igd_config cfg = { .functions = { fns, ELEMENTSOF(fns) },
				  .vfio_devices = { vfio, ELEMENTSOF(vfio) } };
	_cleanup_(freep) char *text = NULL, *unmarked = NULL;

	host_devices(v);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	text = print_status(&snap, &cfg, false);
	ck_assert_ptr_nonnull(strstr(text, "\nMarks: R = [regroup] function, V = [vfio] device."));
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(freep) char *line = line_of(text, &v[i]), *want = NULL;
		bool r = addr_list_contains(&cfg.functions, &v[i].addr);
		bool vf = addr_list_contains(&cfg.vfio_devices, &v[i].addr);

		/* the two mark columns come first */
		ck_assert_int_ge(asprintf(&want, "  %c%c %s ", r ? 'R' : ' ', vf ? 'V' : ' ',
					  PCI_ADDR_STR(&v[i].addr)),
				 0);
		ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "'%s', want it to start with '%s'",
			      line, want);
	}

	/* without a config: blank mark columns and no legend */
	unmarked = print_status(&snap, NULL, false);
	ck_assert_ptr_null(strstr(unmarked, "Marks:"));
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(freep) char *line = line_of(unmarked, &v[i]), *want = NULL;

		ck_assert_int_ge(asprintf(&want, "     %s ", PCI_ADDR_STR(&v[i].addr)), 0);
		ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "'%s'", line);
	}
}
END_TEST

START_TEST(a_device_line_shows_the_class_ids_names_and_driver)
{
	struct pci_device v[] = { snaplit_dev("0000:00:1f.3", 7), snaplit_dev("0000:00:1f.5", 7) };
	struct snapshot snap;
	_cleanup_(freep) char *text = NULL;

	v[0] = (struct pci_device){
		.addr = v[0].addr,
		.vendor_id = 0x8086,
		.device_id = 0xa348,
		.vendor_name = "Intel Corporation",
		.device_name = "Cannon Lake PCH cAVS",
		.class_name = "Audio device",
		.driver = "snd_hda_intel",
		.iommu_group = 7,
	};
	v[1].class_name = "Serial bus controller";
	v[1].vendor_id = 0x8086;
	v[1].device_id = 0xa324;
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	text = print_status(&snap, NULL, false);
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(freep) char *line = line_of(text, &v[i]), *want = NULL;

		/* the class first, as lspci puts it; "none" without a driver */
		ck_assert_int_ge(asprintf(&want, "%s %s: [%04x:%04x] %s %s  driver %s",
					  PCI_ADDR_STR(&v[i].addr), v[i].class_name, v[i].vendor_id,
					  v[i].device_id, v[i].vendor_name, v[i].device_name,
					  v[i].driver ? v[i].driver : "none"),
				 0);
		ck_assert_msg(strstr(line, want), "'%s' not in '%s'", want, line);
	}
}
END_TEST

START_TEST(multi_function_and_bridge_are_marked)
{
	struct pci_device v[] = {
		snaplit_dev("0000:00:1c.0", 4),
		snaplit_dev("0000:00:1f.0", 7),
		snaplit_dev("0000:00:1f.3", 7),
		snaplit_dev("0000:00:1f.4", 7),
	};
	struct snapshot snap;
	_cleanup_(freep) char *text = NULL;

	v[0].is_bridge = true;
	v[1].header_type = 0x80;
	v[2].header_type = -1; /* unreadable: not claimed either way */
	v[3].header_type = 0x00;
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	text = print_status(&snap, NULL, false);
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(freep) char *line = line_of(text, &v[i]);
		bool mf = v[i].header_type >= 0 && (v[i].header_type & 0x80);

		ck_assert_msg(!!strstr(line, "  multi-function") == mf, "'%s'", line);
		ck_assert_msg(!!strstr(line, "  bridge") == v[i].is_bridge, "'%s'", line);
	}
}
END_TEST

START_TEST(interfaces_and_used_disks_are_shown)
{
	struct netdev_info nets[] = {
		{ .name = "eno1", .operstate = "up", .master = "vmbr0", .admin_up = true },
		{ .name = "eno2" },
	};
	struct blockdev_info disks[] = {
		{ .name = "sda" },
		{ .name = "sda3", .used = true, .use = "zfs pool rpool, /" },
		{ .name = "sdb", .doubt = "no permission" },
	};
	struct pci_device v[] = { snaplit_dev("0000:00:17.0", 4), snaplit_dev("0000:00:1f.6", 7) };
	struct snapshot snap;
	_cleanup_(freep) char *text = NULL, *disk_line = NULL, *nic_line = NULL;
	_cleanup_(freep) char *up = NULL, *unknown = NULL, *used = NULL, *doubt = NULL, *unused = NULL;

	v[0].blockdevs = disks;
	v[0].n_blockdevs = ELEMENTSOF(disks);
	v[1].netdevs = nets;
	v[1].n_netdevs = ELEMENTSOF(nets);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	text = print_status(&snap, NULL, false);
	disk_line = line_of(text, &v[0]);
	nic_line = line_of(text, &v[1]);

	ck_assert_int_ge(asprintf(&up, "  net %s (%s, in %s)", nets[0].name, nets[0].operstate,
				  nets[0].master),
			 0);
	/* an unreadable operstate reads "unknown" */
	ck_assert_int_ge(asprintf(&unknown, "  net %s (unknown)", nets[1].name), 0);
	ck_assert_int_ge(asprintf(&used, "  disk %s (%s)", disks[1].name, disks[1].use), 0);
	ck_assert_int_ge(asprintf(&doubt, "  disk %s (use unknown: %s)", disks[2].name, disks[2].doubt), 0);
	ck_assert_int_ge(asprintf(&unused, "  disk %s ", disks[0].name), 0);
	ck_assert_msg(strstr(nic_line, up), "'%s' not in '%s'", up, nic_line);
	ck_assert_msg(strstr(nic_line, unknown), "'%s' not in '%s'", unknown, nic_line);
	ck_assert_msg(strstr(disk_line, used), "'%s' not in '%s'", used, disk_line);
	ck_assert_msg(strstr(disk_line, doubt), "'%s' not in '%s'", doubt, disk_line);
	/* a disk nobody uses is not worth a word */
	ck_assert_msg(!strstr(disk_line, unused), "'%s' in '%s'", unused, disk_line);
}
END_TEST

START_TEST(without_an_iommu_status_says_so)
{
	struct pci_device v[] = { snaplit_dev("0000:00:02.0", IOMMU_GROUP_NONE),
				  snaplit_dev("0000:00:1f.3", IOMMU_GROUP_NONE) };
	struct snapshot snap = snaplit_snapshot(v, ELEMENTSOF(v));
	_cleanup_(freep) char *text = print_status(&snap, NULL, false), *count = NULL;
	const char *off = "No IOMMU groups: the IOMMU is off or absent";

	ck_assert(!snap.iommu_groups);
	ck_assert_msg(strncmp(text, off, strlen(off)) == 0, "%s", text);
	ck_assert_int_ge(asprintf(&count, " %zu PCI devices:\n", snap.n_devices), 0);
	ck_assert_ptr_nonnull(strstr(text, count));
	ck_assert_ptr_null(strstr(text, "IOMMU groups.\n"));
	ck_assert_ptr_null(strstr(text, "\nGroup "));
	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		free(line_of(text, &v[i]));
}
END_TEST

START_TEST(colour_only_when_asked)
{
	struct pci_device v[5];
	struct snapshot snap;
	struct pci_addr fns[] = { A("0000:00:1f.3") };
	struct igd_config cfg = { .functions = { fns, 1 } };
	_cleanup_(freep) char *plain = NULL, *color = NULL, *stripped = NULL;

	host_devices(v);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	plain = print_status(&snap, &cfg, false);
	color = print_status(&snap, &cfg, true);
	ck_assert_ptr_null(strchr(plain, '\033'));
	ck_assert_ptr_nonnull(strchr(color, '\033'));
	/* the same words: colour adds escape sequences, nothing else */
	stripped = tu_strip_ansi(color);
	ck_assert_str_eq(stripped, plain);
}
END_TEST

static Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, the_header_counts_devices_and_groups);
	tcase_add_test(tc, devices_are_listed_by_group_and_those_without_one_last);
	tcase_add_test(tc, a_shared_group_says_by_how_many);
	tcase_add_test(tc, regroup_and_vfio_devices_are_marked);
	tcase_add_test(tc, a_device_line_shows_the_class_ids_names_and_driver);
	tcase_add_test(tc, multi_function_and_bridge_are_marked);
	tcase_add_test(tc, interfaces_and_used_disks_are_shown);
	tcase_add_test(tc, without_an_iommu_status_says_so);
	tcase_add_test(tc, colour_only_when_asked);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(status_suite)
