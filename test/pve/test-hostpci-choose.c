/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostpci_choose on the seeds' machines, with VM configs and mappings
 * written in Proxmox's own syntax: each test asserts the exact host
 * functions every hostpci entry takes, as qemu-server would choose them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "pve/hostpci_choose.h"
#include "testutil.h"

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;

#define PCI_CFG "etc/pve/mapping/pci.cfg"

/* two map lines for this node (alternatives) and one for another node */
#define PAIR_CFG                                                                                   \
	"pair\n"                                                                                   \
	"\tmap id=8086:a348,iommugroup=7,node=pve,path=0000:00:1f.3,subsystem-id=103c:83e2\n"      \
	"\tmap id=8086:a323,iommugroup=7,node=pve2,path=0000:00:1f.5\n"                            \
	"\tmap id=8086:a323,iommugroup=7,node=pve,path=0000:00:1f.4,subsystem-id=103c:83e2\n"

static void setup_on(const char *topology)
{
	tu_root_setup(&root, &ctx, &logbuf, topology);
	tu_write_file(root, "etc/hostname", "pve\n");
}

static void setup(void)
{
	setup_on("hp-elitedesk-800-g4");
}

static void teardown(void)
{
	tu_root_teardown(&root, &ctx, &logbuf);
}

static void use_split(void)
{
	teardown();
	setup_on("hp-elitedesk-800-g4-split");
}

/*
 * Chooses for VM 100 with config text; checks the return value and gives the
 * choice as "hostpciN: ADDR ADDR[ mdev][ keep]" lines ("" when it failed).
 */
static char *choose(const char *text, unsigned flags, int expect)
{
	_cleanup_(vm_config_done) struct vm_config vm = {};
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(hostpci_choices_done) struct hostpci_choices c = {};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	tu_write_file(root, "etc/pve/qemu-server/100.conf", text);
	ck_assert_int_eq(vm_config_read(ctx, 100, &vm), 0);
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	ck_assert_int_eq(hostpci_choose(ctx, &vm, &snap, flags, &c), expect);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < c.n; i++) {
		fprintf(f, "hostpci%u:", c.v[i].h->index);
		for (size_t j = 0; j < c.v[i].n_funcs; j++)
			fprintf(f, " %s", PCI_ADDR_STR(&c.v[i].funcs[j]));
		fprintf(f, "%s%s\n", c.v[i].h->mdev ? " mdev" : "", c.v[i].h->driver_keep ? " keep" : "");
	}
	fclose(f);
	return buf;
}

#define assert_chosen(text, flags, want)                                                           \
	do {                                                                                       \
		_cleanup_(freep) char *_got = choose(text, flags, 0);                              \
		ck_assert_str_eq(_got, want);                                                      \
	} while (0)

#define assert_refused(text, expect, message)                                                      \
	do {                                                                                       \
		_cleanup_(freep) char *_got = choose(text, 0, expect);                             \
		ck_assert_msg(tu_log_contains(&logbuf, message), "expected '%s' in:\n%s", message, \
			      logbuf.buf ? logbuf.buf : "");                                       \
	} while (0)

/* Writes rel with exactly n bytes (NULs included: /proc/PID/cmdline). */
static void write_bytes(const char *rel, const char *bytes, size_t n)
{
	_cleanup_(freep) char *p = NULL;
	FILE *f;

	tu_write_file(root, rel, "");
	p = tu_path(root, rel);
	f = fopen(p, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* VM vmid runs as pid, the way qemu-server starts it (kvm ... -pidfile /var/run/qemu-server/N.pid). */
static void running_vm(unsigned vmid, unsigned pid)
{
	_cleanup_(freep) char *rel = NULL, *pidline = NULL, *cmd = NULL;
	int n;

	ck_assert_int_ge(asprintf(&rel, "run/qemu-server/%u.pid", vmid), 0);
	ck_assert_int_ge(asprintf(&pidline, "%u\n", pid), 0);
	tu_write_file(root, rel, pidline);
	free(rel);
	n = asprintf(&cmd, "/usr/bin/kvm%c-id%c%u%c-name%cvm%u%c-pidfile%c/var/run/qemu-server/%u.pid%c-daemonize%c",
		     0, 0, vmid, 0, 0, vmid, 0, 0, vmid, 0, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_ge(asprintf(&rel, "proc/%u/cmdline", pid), 0);
	write_bytes(rel, cmd, (size_t)n);
}

/* ---- host= ---- */

START_TEST(seed_vm_100)
{
	/* seeds/000's final config */
	assert_chosen("agent: 1\nbios: ovmf\nhostpci0: 0000:00:02,legacy-igd=1,romfile=igpu-uhd630.rom\n"
		      "hostpci1: 0000:00:1f.0\nhostpci2: 0000:00:1f.3\nmachine: pc-i440fx-9.2\nvga: none\n",
		      0, "hostpci0: 0000:00:02.0\nhostpci1: 0000:00:1f.0\nhostpci2: 0000:00:1f.3\n");
}
END_TEST

START_TEST(slot_takes_every_function)
{
	/* the N100 guide's "hostpci1: 0000:00:1f": on the HP that includes the NIC at 1f.6 */
	assert_chosen("hostpci0: 0000:00:02,pcie=1,x-vga=1\nhostpci1: 0000:00:1f,pcie=1\nmachine: q35\n", 0,
		      "hostpci0: 0000:00:02.0\n"
		      "hostpci1: 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n");
}
END_TEST

START_TEST(address_forms)
{
	/* short forms, a list passed together, the order of hostpciN and not of the lines */
	assert_chosen("hostpci2: 00:1f.0;00:1f.4\nhostpci0: 00:02\nhostpci1: 0000:00:1f.3,rombar=0\n", 0,
		      "hostpci0: 0000:00:02.0\nhostpci1: 0000:00:1f.3\nhostpci2: 0000:00:1f.0 0000:00:1f.4\n");
}
END_TEST

START_TEST(missing_devices)
{
	tu_write_file(root, PCI_CFG, "pair\n\tmap node=pve,path=0000:00:1f.3\n\tmap node=pve,path=0000:00:1f.7\n");
	/* every address of every alternative must be present, as qemu-server's lspci lookup demands */
	assert_refused("hostpci0: 0000:00:1f.2\nhostpci1: mapping=pair\n", -ENODEV,
		       "3|hostpci0: 0000:00:1f.2 is not present on this host.\n");
	ck_assert(tu_log_contains(&logbuf, "3|hostpci1: 0000:00:1f.7 (mapping 'pair') is not present on this host.\n"));
	/* a VMD domain is an address Proxmox accepts; this host has none */
	assert_refused("hostpci0: 10000:e1:00.0\n", -ENODEV, "hostpci0: 10000:e1:00.0 is not present");
}
END_TEST

START_TEST(device_assigned_twice)
{
	assert_refused("hostpci0: 0000:00:1f.3\nhostpci1: 0000:00:1f\n", -EBUSY,
		       "3|hostpci1: 0000:00:1f.3 is also taken by hostpci0: Proxmox refuses to assign a "
		       "device more than once.\n");
}
END_TEST

/* ---- mappings ---- */

START_TEST(mapping_alternatives_in_hostpci_order)
{
	tu_write_file(root, PCI_CFG, PAIR_CFG);
	/* one entry: the first map line for this node */
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.3\n");
	/* two entries: each takes its own alternative */
	assert_chosen("hostpci0: mapping=pair\nhostpci1: mapping=pair,pcie=0\n", 0,
		      "hostpci0: 0000:00:1f.3\nhostpci1: 0000:00:1f.4\n");
	/* a lower entry that took 1f.3 by address */
	assert_chosen("hostpci0: 0000:00:1f.3\nhostpci3: mapping=pair\n", 0,
		      "hostpci0: 0000:00:1f.3\nhostpci3: 0000:00:1f.4\n");
	/* a third entry finds none */
	assert_refused("hostpci0: mapping=pair\nhostpci1: mapping=pair\nhostpci2: mapping=pair\n", -EBUSY,
		       "3|hostpci2: no device of mapping 'pair' is free (0000:00:1f.3 taken by hostpci0, "
		       "0000:00:1f.4 taken by hostpci1): Proxmox will find no free device for it.\n");
}
END_TEST

START_TEST(mapping_path_list_is_passed_together)
{
	tu_write_file(root, PCI_CFG,
		      "pch\n"
		      "\tmap id=8086:a306,node=pve,path=0000:00:1f.0;0000:00:1f.3,subsystem-id=103c:83e2\n"
		      "\tmap id=8086:a323,node=pve,path=0000:00:1f.4;0000:00:1f.5\n"
		      "\n"
		      "igpu\n"
		      "\tmap id=8086:3e92,node=pve,path=0000:00:02\n");
	assert_chosen("hostpci0: mapping=igpu,legacy-igd=1\nhostpci1: mapping=pch\nhostpci2: mapping=pch\n", 0,
		      "hostpci0: 0000:00:02.0\nhostpci1: 0000:00:1f.0 0000:00:1f.3\n"
		      "hostpci2: 0000:00:1f.4 0000:00:1f.5\n");
	/* one map line used by two entries: Proxmox refuses the second */
	assert_refused("hostpci0: mapping=igpu\nhostpci1: mapping=igpu\n", -EBUSY,
		       "3|hostpci1: 0000:00:02.0 is also taken by hostpci0");
}
END_TEST

/* ---- other VMs: reservations and holders ---- */

START_TEST(reserved_alternative_is_skipped)
{
	tu_write_file(root, PCI_CFG, PAIR_CFG);
	/* a time reservation in the future by VM 101: the window between its choice and its QEMU */
	tu_write_file(root, "run/qemu-server/pci-id-reservations", "0000:00:1f.3 101 time:99999999999\n");
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.4\n");
	/* expired: taken */
	tu_write_file(root, "run/qemu-server/pci-id-reservations", "0000:00:1f.3 101 time:1\n");
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.3\n");
	/* this VM's own reservation does not block it */
	tu_write_file(root, "run/qemu-server/pci-id-reservations", "0000:00:1f.3 100 time:99999999999\n");
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.3\n");
	/* a pid reservation while VM 101 runs with that pid */
	running_vm(101, 4242);
	tu_write_file(root, "run/qemu-server/pci-id-reservations",
		      "junk line\n0000:00:1f.3  101 pid:4242\n0000:00:1f.3 101 pid:4242\n");
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.4\n");
	/* a leftover: VM 101 runs with another pid now */
	running_vm(101, 4343);
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.3\n");
	/* the pid is not a QEMU of VM 101's pidfile */
	write_bytes("proc/4242/cmdline", "/bin/sleep\0-pidfile\0/var/run/qemu-server/101.pid\0", 48);
	tu_write_file(root, "run/qemu-server/101.pid", "4242\n");
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.3\n");
}
END_TEST

START_TEST(reserved_single_device_is_refused)
{
	tu_write_file(root, "run/qemu-server/pci-id-reservations", "0000:00:1f.3 101 time:99999999999\n");
	assert_refused("hostpci0: 0000:00:1f.3\n", -EBUSY,
		       "3|hostpci0: 0000:00:1f.3 is reserved by VM 101: Proxmox will not give it to a second VM.\n");
}
END_TEST

START_TEST(held_alternative_is_skipped)
{
	/* VM 101 runs with 1f.3 (group 8, vfio-pci) open */
	use_split();
	tu_write_file(root, PCI_CFG, PAIR_CFG);
	tu_write_file(root, "dev/vfio/8", "");
	tu_symlink(root, "proc/5151/fd/40", "/dev/vfio/8");
	tu_write_file(root, "run/qemu-server/101.pid", "5151\n");
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.4\n");
	tu_write_file(root, "run/qemu-server/pci-id-reservations", "0000:00:1f.4 102 time:99999999999\n");
	assert_refused("hostpci0: mapping=pair\n", -EBUSY,
		       "3|hostpci0: no device of mapping 'pair' is free (0000:00:1f.3 held by VM 101, "
		       "0000:00:1f.4 reserved by VM 102)");
}
END_TEST

START_TEST(own_reservation_first_after_a_run)
{
	/* at pre-stop the VM's reservations say which alternative it took */
	tu_write_file(root, PCI_CFG, PAIR_CFG);
	tu_write_file(root, "run/qemu-server/pci-id-reservations", "0000:00:1f.4 100 time:1\n");
	assert_chosen("hostpci0: mapping=pair\n", HOSTPCI_CHOOSE_OWN_FIRST, "hostpci0: 0000:00:1f.4\n");
	assert_chosen("hostpci0: mapping=pair\n", 0, "hostpci0: 0000:00:1f.3\n");
}
END_TEST

START_TEST(nic_alternatives_and_a_gpu_mdev)
{
	/*
	 * The scenario qemu-server's own reservation test checks: a NIC mapping with three
	 * virtual functions, the second reserved by another VM; a GPU mapping with mdev.
	 * hostpci0 and hostpci2 take the first and third NIC; the mdev entry takes none.
	 */
	teardown();
	tu_root_setup(&root, &ctx, &logbuf, NULL);
	ck_assert_int_eq(fixture_build(root, "device 0000:01:00.4 10de:2231 class=030000 group=1\n"
					     "device 0000:01:00.5 10de:2231 class=030000 group=1\n"
					     "device 0000:01:00.6 10de:2231 class=030000 group=1\n"
					     "device 0000:07:10.0 8086:1520 class=020000 group=2\n"
					     "device 0000:07:10.1 8086:1520 class=020000 group=2\n"
					     "device 0000:07:10.4 8086:1520 class=020000 group=2\n"),
			 0);
	tu_write_file(root, "etc/hostname", "localhost\n");
	tu_write_file(root, PCI_CFG,
		      "someGpu\n"
		      "\tmdev 1\n"
		      "\tmap node=localhost,path=0000:01:00.4,id=10de:2231,iommugroup=1\n"
		      "\tmap node=localhost,path=0000:01:00.5,id=10de:2231,iommugroup=1\n"
		      "\tmap node=localhost,path=0000:01:00.6,id=10de:2231,iommugroup=1\n"
		      "\n"
		      "someNic\n"
		      "\tmap node=localhost,path=0000:07:10.0,id=8086:1520,iommugroup=2\n"
		      "\tmap node=localhost,path=0000:07:10.1,id=8086:1520,iommugroup=2\n"
		      "\tmap node=localhost,path=0000:07:10.4,id=8086:1520,iommugroup=2\n");
	tu_write_file(root, "run/qemu-server/pci-id-reservations", "0000:07:10.1 8007 time:99999999999\n");
	assert_chosen("hostpci0: mapping=someNic\nhostpci1: mapping=someGpu,mdev=some-model\n"
		      "hostpci2: mapping=someNic\n",
		      0,
		      "hostpci0: 0000:07:10.0\n"
		      "hostpci1: 0000:01:00.4 0000:01:00.5 0000:01:00.6 mdev\n"
		      "hostpci2: 0000:07:10.4\n");
}
END_TEST

/* ---- mdev, driver=keep ---- */

START_TEST(mdev_takes_no_function)
{
	_cleanup_(vm_config_done) struct vm_config vm = {};
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(hostpci_choices_done) struct hostpci_choices c = {};
	_cleanup_(freep) struct pci_addr *taken = NULL;
	size_t n = 42;

	/* GVT-g: the parent is listed, but nothing is taken */
	assert_chosen("hostpci0: 0000:00:02.0,mdev=i915-GVTg_V5_4\nhostpci1: 0000:00:1f.3\n", 0,
		      "hostpci0: 0000:00:02.0 mdev\nhostpci1: 0000:00:1f.3\n");
	ck_assert_int_eq(vm_config_read(ctx, 100, &vm), 0);
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	ck_assert_int_eq(hostpci_choose(ctx, &vm, &snap, 0, &c), 0);
	ck_assert_int_eq(hostpci_choices_taken(&c, &taken, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(PCI_ADDR_STR(&taken[0]), "0000:00:1f.3");
	ck_assert_ptr_null(hostpci_choices_taker(&c, &(struct pci_addr){ .dev = 2, .has_func = true }));
	/* with a mapping: the first function of each alternative may be the parent; none is used up */
	tu_write_file(root, PCI_CFG, "gvt\n\tmap node=pve,path=0000:00:02.0\n\tmap node=pve,path=0000:00:1f\n");
	assert_chosen("hostpci0: mapping=gvt,mdev=i915-GVTg_V5_8\nhostpci1: mapping=gvt,mdev=i915-GVTg_V5_8\n", 0,
		      "hostpci0: 0000:00:02.0 0000:00:1f.0 mdev\nhostpci1: 0000:00:02.0 0000:00:1f.0 mdev\n");
}
END_TEST

START_TEST(driver_keep_is_taken)
{
	assert_chosen("hostpci0: 0000:00:02.0,driver=keep\nhostpci1: 0000:00:1f.3,driver=vfio\n", 0,
		      "hostpci0: 0000:00:02.0 keep\nhostpci1: 0000:00:1f.3\n");
}
END_TEST

static Suite *choose_suite(void)
{
	Suite *s = suite_create("hostpci_choose");
	TCase *tc = tcase_create("choose");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, seed_vm_100);
	tcase_add_test(tc, slot_takes_every_function);
	tcase_add_test(tc, address_forms);
	tcase_add_test(tc, missing_devices);
	tcase_add_test(tc, device_assigned_twice);
	tcase_add_test(tc, mapping_alternatives_in_hostpci_order);
	tcase_add_test(tc, mapping_path_list_is_passed_together);
	tcase_add_test(tc, reserved_alternative_is_skipped);
	tcase_add_test(tc, reserved_single_device_is_refused);
	tcase_add_test(tc, held_alternative_is_skipped);
	tcase_add_test(tc, own_reservation_first_after_a_run);
	tcase_add_test(tc, nic_alternatives_and_a_gpu_mdev);
	tcase_add_test(tc, mdev_takes_no_function);
	tcase_add_test(tc, driver_keep_is_taken);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(choose_suite)
