/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan, pure: plan_build() on snapshot literals and config values (no
 * tree, no sysfs). Each expectation is taken from the input: the config's
 * order, the snapshot's devices, disks, netdevs and holders. What a dry run
 * prints of a plan is the steps' wording: test/engine/test-engine.c ("steps").
 */
#include <check.h>
#include <stdlib.h>

#include "core/macro.h"
#include "engine/plan.h"
#include "snaplit.h"
#include "testutil.h"

#define A(s) snaplit_addr(s)

static struct plan plan;

static void teardown(void)
{
	plan_done(&plan);
}

static void build(const struct igd_config *cfg, const struct snapshot *snap)
{
	ck_assert_int_eq(plan_build(cfg, snap, &plan), 0);
}

/* The HP EliteDesk's bus 0 before the split: the iGPU alone, the PCH functions sharing group 5. */
static void hp_devices(struct pci_device v[6])
{
	v[0] = snaplit_dev("0000:00:02.0", 1);
	v[1] = snaplit_dev("0000:00:1f.0", 5);
	v[2] = snaplit_dev("0000:00:1f.3", 5);
	v[3] = snaplit_dev("0000:00:1f.4", 5);
	v[4] = snaplit_dev("0000:00:1f.5", 5);
	v[5] = snaplit_dev("0000:00:1f.6", 5);
	v[0].driver = "i915";
	v[2].driver = "snd_hda_intel";
	v[5].driver = "e1000e";
}

START_TEST(removals_follow_the_config_order)
{
	struct pci_device v[6];
	struct snapshot snap;
	/* deliberately not in address order */
	struct pci_addr fns[] = { A("0000:00:1f.6"), A("0000:00:1f.3"), A("0000:00:1f.0") };
	struct igd_config cfg = { .functions = { fns, ELEMENTSOF(fns) }, .regroup_timeout_ms = 1234 };

	hp_devices(v);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	build(&cfg, &snap);
	ck_assert_uint_eq(plan.n_functions, cfg.functions.n);
	ck_assert_uint_eq(plan.n_refused, 0);
	ck_assert_uint_eq(plan.n_missing, 0);
	for (size_t i = 0; i < plan.n_functions; i++) {
		const struct plan_function *f = &plan.functions[i];

		ck_assert(pci_addr_equal(&f->addr, &fns[i]));
		/* the plan points into the snapshot */
		ck_assert_ptr_eq(f->dev, snapshot_find(&snap, &fns[i]));
		ck_assert_uint_eq(f->group_size, snaplit_group_others(&snap, f->dev) + 1);
		ck_assert_int_eq(f->refusal, REFUSE_NONE);
		/* the prediction lists the functions in the same order */
		ck_assert(pci_addr_equal(&plan.prediction.v[i].addr, &fns[i]));
	}
	ck_assert_uint_eq(plan.prediction.n, plan.n_functions);
	ck_assert(!plan_is_empty(&plan));
}
END_TEST

START_TEST(a_function_whose_disk_is_used_is_refused)
{
	struct blockdev_info disks[] = {
		{ .name = "sda" },
		{ .name = "sda3", .used = true, .use = "zfs pool rpool, /" },
	};
	struct pci_device v[] = {
		snaplit_dev("0000:00:17.0", 4),
		snaplit_dev("0000:00:1f.3", 5),
	};
	struct pci_addr fns[] = { A("0000:00:1f.3"), A("0000:00:17.0") };
	struct pci_addr vfio[] = { A("0000:00:1f.3") };
	struct igd_config cfg = { .functions = { fns, ELEMENTSOF(fns) }, .vfio_devices = { vfio, 1 } };
	struct snapshot snap;
	const struct plan_function *f;
	_cleanup_(freep) char *why = NULL, *want = NULL;

	v[0].blockdevs = disks;
	v[0].n_blockdevs = ELEMENTSOF(disks);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	build(&cfg, &snap);
	ck_assert_uint_eq(plan.n_refused, 1);
	ck_assert_int_eq(plan.functions[0].refusal, REFUSE_NONE);
	f = &plan.functions[1];
	ck_assert_int_eq(f->refusal, REFUSE_STORAGE);
	/* the disk that is used, not the first one of the device */
	ck_assert_ptr_eq(f->blockdev, &disks[1]);

	why = plan_refusal_reason(f);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_ge(asprintf(&want, "disk %s is used (%s)", disks[1].name, disks[1].use), 0);
	ck_assert_str_eq(why, want);
}
END_TEST

/* Sets the one flag of a disk that stands for refusal r. */
static void set_reason(struct blockdev_info *b, enum refusal r)
{
	b->root = r == REFUSE_ROOT_FS;
	b->mounted = r == REFUSE_MOUNTED;
	b->swap = r == REFUSE_SWAP;
	b->used = r == REFUSE_STORAGE;
	b->doubt = r == REFUSE_STORAGE_UNKNOWN ? "no permission" : NULL;
}

START_TEST(the_strongest_reason_wins_on_any_disk)
{
	/* strongest first, as the enum lists them */
	static const enum refusal order[] = { REFUSE_ROOT_FS, REFUSE_MOUNTED, REFUSE_SWAP,
					      REFUSE_STORAGE, REFUSE_STORAGE_UNKNOWN };
	struct pci_addr fns[] = { A("0000:00:17.0") };
	struct igd_config cfg = { .functions = { fns, 1 } };

	for (size_t strong = 0; strong < ELEMENTSOF(order); strong++)
		for (size_t weak = strong + 1; weak < ELEMENTSOF(order); weak++) {
			/* the weaker reason on the first disk, the stronger on the second */
			struct blockdev_info disks[2] = { { .name = "sda1" }, { .name = "sda2" } };
			struct pci_device v[] = { snaplit_dev("0000:00:17.0", 4) };
			struct snapshot snap;

			set_reason(&disks[0], order[weak]);
			set_reason(&disks[1], order[strong]);
			v[0].blockdevs = disks;
			v[0].n_blockdevs = 2;
			/* a running VM's hold counts less than any disk */
			v[0].vfio_holder_pid = 4242;
			snap = snaplit_snapshot(v, 1);
			build(&cfg, &snap);
			ck_assert_msg(plan.functions[0].refusal == order[strong], "%s over %s: got %s",
				      refusal_to_string(order[strong]), refusal_to_string(order[weak]),
				      refusal_to_string(plan.functions[0].refusal));
			ck_assert_ptr_eq(plan.functions[0].blockdev, &disks[1]);
			plan_done(&plan);
		}
}
END_TEST

START_TEST(an_unreadable_disk_use_is_refused_with_its_doubt)
{
	struct blockdev_info disks[] = { { .name = "nvme0n1", .doubt = "cannot read /proc/1/fd" } };
	struct pci_device v[] = { snaplit_dev("0000:01:00.0", 12) };
	struct pci_addr fns[] = { A("0000:01:00.0") };
	struct igd_config cfg = { .functions = { fns, 1 } };
	struct snapshot snap;
	_cleanup_(freep) char *why = NULL, *want = NULL;

	v[0].blockdevs = disks;
	v[0].n_blockdevs = 1;
	snap = snaplit_snapshot(v, 1);
	build(&cfg, &snap);
	ck_assert_int_eq(plan.functions[0].refusal, REFUSE_STORAGE_UNKNOWN);
	why = plan_refusal_reason(&plan.functions[0]);
	ck_assert_int_ge(asprintf(&want, "the use of disk %s cannot be read (%s)", disks[0].name,
				  disks[0].doubt),
			 0);
	ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(a_function_held_by_a_running_vm_is_refused)
{
	struct pci_device v[] = { snaplit_dev("0000:00:1f.3", 11), snaplit_dev("0000:00:1f.4", 12) };
	struct pci_addr fns[] = { A("0000:00:1f.3"), A("0000:00:1f.4") };
	struct igd_config cfg = { .functions = { fns, 2 } };
	struct snapshot snap;
	_cleanup_(freep) char *with_vm = NULL, *pid_only = NULL, *want_vm = NULL, *want_pid = NULL;

	v[0].driver = v[1].driver = "vfio-pci";
	v[0].vfio_holder_pid = 4242;
	v[0].vfio_holder_vmid = 100;
	v[1].vfio_holder_pid = 777;
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	build(&cfg, &snap);
	ck_assert_uint_eq(plan.n_refused, 2);
	ck_assert_int_eq(plan.functions[0].refusal, REFUSE_VFIO_IN_USE);
	ck_assert_int_eq(plan.functions[1].refusal, REFUSE_VFIO_IN_USE);
	ck_assert_ptr_null(plan.functions[0].blockdev);

	with_vm = plan_refusal_reason(&plan.functions[0]);
	pid_only = plan_refusal_reason(&plan.functions[1]);
	ck_assert_int_ge(asprintf(&want_vm, "%s (VM %u, pid %d)", refusal_to_string(REFUSE_VFIO_IN_USE),
				  v[0].vfio_holder_vmid, v[0].vfio_holder_pid),
			 0);
	ck_assert_int_ge(asprintf(&want_pid, "%s (pid %d)", refusal_to_string(REFUSE_VFIO_IN_USE),
				  v[1].vfio_holder_pid),
			 0);
	ck_assert_str_eq(with_vm, want_vm);
	ck_assert_str_eq(pid_only, want_pid);
}
END_TEST

START_TEST(missing_functions_are_counted_for_the_recovery_rescan)
{
	struct pci_device v[6];
	struct snapshot snap;
	/* 1f.2 is not in the snapshot: an earlier run removed it and died before its rescan */
	struct pci_addr fns[] = { A("0000:00:1f.2"), A("0000:00:1f.3") };
	struct igd_config cfg = { .functions = { fns, ELEMENTSOF(fns) } };

	hp_devices(v);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	build(&cfg, &snap);
	ck_assert_uint_eq(plan.n_functions, 2);
	ck_assert_uint_eq(plan.n_missing, 1);
	ck_assert_ptr_null(plan.functions[0].dev);
	ck_assert_int_eq(plan.functions[0].refusal, REFUSE_NONE);
	ck_assert_uint_eq(plan.n_refused, 0);
	ck_assert_ptr_nonnull(plan.functions[1].dev);
}
END_TEST

START_TEST(binds_list_the_vfio_devices)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct pci_addr fns[] = { A("0000:00:1f.3"), A("0000:00:1f.7") };
	/* bound already; cycled; absent and not cycled; absent but cycled (comes back with the rescan) */
	struct pci_addr vfio[] = { A("0000:00:02.0"), A("0000:00:1f.3"), A("0000:00:1f.2"),
				   A("0000:00:1f.7") };
	struct igd_config cfg = { .functions = { fns, ELEMENTSOF(fns) },
				  .vfio_devices = { vfio, ELEMENTSOF(vfio) } };
	size_t missing = 0;

	hp_devices(v);
	v[0].driver = "vfio-pci";
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	build(&cfg, &snap);
	ck_assert_uint_eq(plan.n_binds, cfg.vfio_devices.n);
	for (size_t i = 0; i < plan.n_binds; i++) {
		const struct plan_bind *b = &plan.binds[i];

		ck_assert(pci_addr_equal(&b->addr, &vfio[i]));
		ck_assert_ptr_eq(b->dev, snapshot_find(&snap, &vfio[i]));
		ck_assert_int_eq(b->cycled, addr_list_contains(&cfg.functions, &vfio[i]));
		missing += !b->dev && !b->cycled;
	}
	ck_assert_uint_eq(plan.n_missing_binds, missing);
	ck_assert_uint_eq(plan.n_missing_binds, 1);
}
END_TEST

START_TEST(up_interfaces_of_the_functions_are_listed)
{
	struct netdev_info nic[] = {
		{ .name = "eno1", .operstate = "up", .master = "vmbr0", .admin_up = true, .carrier = true },
		{ .name = "eno2", .operstate = "down" },
	};
	struct netdev_info other[] = { { .name = "enp3s0", .operstate = "up", .admin_up = true } };
	struct pci_device v[] = {
		snaplit_dev("0000:00:1f.3", 5),
		snaplit_dev("0000:00:1f.6", 5),
		snaplit_dev("0000:03:00.0", 9),
	};
	struct pci_addr fns[] = { A("0000:00:1f.3"), A("0000:00:1f.6") };
	char *units[] = { "networking.service", "frr.service" };
	struct igd_config cfg = {
		.functions = { fns, ELEMENTSOF(fns) },
		.units = units,
		.n_units = ELEMENTSOF(units),
		.action = NET_ACTION_RELOAD,
	};
	struct snapshot snap;

	v[1].netdevs = nic;
	v[1].n_netdevs = ELEMENTSOF(nic);
	/* up too, but not on a configured function */
	v[2].netdevs = other;
	v[2].n_netdevs = 1;
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	build(&cfg, &snap);
	ck_assert_uint_eq(plan.n_netdevs, 1);
	ck_assert_ptr_eq(plan.netdevs[0].netdev, &nic[0]);
	ck_assert(pci_addr_equal(&plan.netdevs[0].addr, &v[1].addr));
}
END_TEST

START_TEST(an_empty_config_is_an_empty_plan)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct igd_config cfg = {};

	hp_devices(v);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	build(&cfg, &snap);
	ck_assert(plan_is_empty(&plan));
	ck_assert_uint_eq(plan.n_netdevs, 0);
	ck_assert_uint_eq(plan.prediction.n, 0);
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, removals_follow_the_config_order);
	tcase_add_test(tc, a_function_whose_disk_is_used_is_refused);
	tcase_add_test(tc, the_strongest_reason_wins_on_any_disk);
	tcase_add_test(tc, an_unreadable_disk_use_is_refused_with_its_doubt);
	tcase_add_test(tc, a_function_held_by_a_running_vm_is_refused);
	tcase_add_test(tc, missing_functions_are_counted_for_the_recovery_rescan);
	tcase_add_test(tc, binds_list_the_vfio_devices);
	tcase_add_test(tc, up_interfaces_of_the_functions_are_listed);
	tcase_add_test(tc, an_empty_config_is_an_empty_plan);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(plan_suite)
