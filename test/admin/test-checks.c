/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check, in process: check_run() on snapshot literals and config values,
 * against an empty temp root (no IOMMU on the command line, no vfio-pci
 * driver, no crontab, not this host: nothing asked over D-Bus) that a test
 * adds files to where a check reads one; check_split() and the report's
 * printing, pure. Expected lines are derived from the input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/checks.h"
#include "core/macro.h"
#include "snaplit.h"
#include "testutil.h"
#include "topology/iommu.h"
#include "topology/split_predict.h"

#define A(s) snaplit_addr(s)
#define MF 0x80

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct check_report rep;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
	/* the root is not this host: no bus of a test's own, so check_boot_unit asks nobody */
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

static void teardown(void)
{
	check_report_done(&rep);
	tu_root_teardown(&root, &ctx, &logbuf);
}

static void run(const struct igd_config *cfg, const struct snapshot *snap)
{
	check_report_done(&rep);
	ck_assert_int_eq(check_run(ctx, cfg, snap, &rep), 0);
}

static size_t count(const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < rep.n; i++)
		n += strcmp(rep.items[i].name, name) == 0;
	return n;
}

/* The n-th item called name; fails the test when there is none. */
static const struct check_item *item_n(const char *name, size_t n)
{
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.items[i].name, name) == 0 && n-- == 0)
			return &rep.items[i];
	ck_abort_msg("no item '%s' in the report", name);
	return NULL;
}

static const struct check_item *item(const char *name)
{
	return item_n(name, 0);
}

/* The item called name whose message starts with prefix, or NULL. */
static const struct check_item *item_starting(const char *name, const char *prefix)
{
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.items[i].name, name) == 0 &&
		    strncmp(rep.items[i].message, prefix, strlen(prefix)) == 0)
			return &rep.items[i];
	return NULL;
}

/* The HP EliteDesk's bus 0: the iGPU, and the PCH functions, all in group pch_group or each in its own. */
static void hp_devices(struct pci_device v[6], int pch_group)
{
	static const char *const addrs[] = { "0000:00:1f.0", "0000:00:1f.3", "0000:00:1f.4",
					     "0000:00:1f.5", "0000:00:1f.6" };

	v[0] = snaplit_dev("0000:00:02.0", 1);
	v[0].driver = "i915";
	for (size_t i = 0; i < ELEMENTSOF(addrs); i++)
		v[i + 1] = snaplit_dev(addrs[i], pch_group != IOMMU_GROUP_NONE ? pch_group : 10 + (int)i);
	v[1].header_type = MF;
	v[2].driver = "snd_hda_intel";
	v[4].driver = "i801_smbus";
	v[5].driver = "e1000e";
}

/* The five PCH functions of hp_devices as [regroup] functions. */
static const struct addr_list *hp_functions(void)
{
	static struct pci_addr v[5];
	static struct addr_list l = { v, ELEMENTSOF(v) };
	static const char *const addrs[] = { "0000:00:1f.0", "0000:00:1f.3", "0000:00:1f.4",
					     "0000:00:1f.5", "0000:00:1f.6" };

	for (size_t i = 0; i < ELEMENTSOF(addrs); i++)
		v[i] = A(addrs[i]);
	return &l;
}

START_TEST(the_report_starts_with_the_config_and_runs_each_check)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct igd_config cfg = { .functions = *hp_functions() };

	/* after the split: each PCH function in a group of its own */
	hp_devices(v, IOMMU_GROUP_NONE);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	run(&cfg, &snap);
	ck_assert_str_eq(rep.items[0].name, "config");
	ck_assert_int_eq(rep.items[0].status, CHECK_OK);
	ck_assert_ptr_nonnull(strstr(rep.items[0].message, igd_ctx_config_path(ctx)));
	/* one line each for what needs no [vfio] devices, [hook] vmids or reset functions */
	ck_assert_uint_eq(count("iommu"), 1);
	ck_assert_uint_eq(count("vfio-pci"), 1);
	ck_assert_uint_eq(count("functions"), 1);
	ck_assert_uint_eq(count("vfio"), 1);
	ck_assert_uint_eq(count("split"), 1);
	ck_assert_uint_eq(count("boot-unit"), 1);
	ck_assert_uint_eq(count("leftover"), 1);
	ck_assert_uint_eq(count("reset"), 0);
	ck_assert_uint_eq(count("vfio-boot"), 0);
	ck_assert_uint_eq(count("driver"), 0);
	ck_assert_uint_eq(count("vm"), 0);
	ck_assert_uint_eq(count("group"), 0);
	ck_assert_uint_eq(count("slot"), 0);
	for (size_t i = 0; i < rep.n; i++)
		ck_assert_msg(rep.items[i].status == CHECK_OK, "%s: %s", rep.items[i].name,
			      rep.items[i].message);
	ck_assert(!check_report_failed(&rep));
}
END_TEST

START_TEST(a_shared_regroup_function_is_a_group_warning)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct igd_config cfg = { .functions = *hp_functions() };
	size_t shared = 0;

	/* before the split, but 1f.5 alone in a group of its own */
	hp_devices(v, 5);
	v[4].iommu_group = 6;
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	run(&cfg, &snap);
	for (size_t i = 0; i < cfg.functions.n; i++) {
		const struct pci_device *d = snapshot_find(&snap, &cfg.functions.v[i]);
		_cleanup_(freep) char *prefix = NULL;
		const struct check_item *it;

		ck_assert_int_ge(asprintf(&prefix, "%s still shares IOMMU group %d with ",
					  PCI_ADDR_STR(&d->addr), d->iommu_group),
				 0);
		it = item_starting("group", prefix);
		if (snaplit_group_others(&snap, d) == 0) {
			ck_assert_msg(!it, "%s is alone in its group: %s", PCI_ADDR_STR(&d->addr),
				      it->message);
			continue;
		}
		shared++;
		ck_assert_msg(it, "no group line for %s", PCI_ADDR_STR(&d->addr));
		ck_assert_int_eq(it->status, CHECK_WARN);
		/* it names every other member with its driver, and not the function itself */
		for (size_t j = 0; j < snap.n_devices; j++) {
			const struct pci_device *o = &snap.devices[j];
			_cleanup_(freep) char *member = NULL;

			if (o->iommu_group != d->iommu_group)
				continue;
			ck_assert_int_ge(asprintf(&member, "%s (%s)", PCI_ADDR_STR(&o->addr),
						  o->driver ? o->driver : "no driver"),
					 0);
			if (o == d)
				ck_assert_ptr_null(strstr(it->message + strlen(prefix), member));
			else
				ck_assert_msg(strstr(it->message, member), "'%s' not in: %s", member,
					      it->message);
		}
	}
	ck_assert_uint_eq(count("group"), shared);
	ck_assert_uint_eq(shared, 4);
	/* a warning, not a failure */
	ck_assert(!check_report_failed(&rep));
}
END_TEST

START_TEST(an_unlisted_function_of_the_slot_is_a_slot_warning)
{
	struct pci_device v[] = {
		snaplit_dev("0000:00:14.0", 3),	 snaplit_dev("0000:00:1f.0", 10),
		snaplit_dev("0000:00:1f.2", 11), snaplit_dev("0000:00:1f.3", 12),
		snaplit_dev("0000:00:1f.4", 13), snaplit_dev("0000:00:1f.6", 14),
	};
	struct pci_addr fns[] = { A("0000:00:1f.0"), A("0000:00:1f.3"), A("0000:00:1f.4"),
				  A("0000:00:1f.6") };
	struct igd_config cfg = { .functions = { fns, ELEMENTSOF(fns) } };
	struct pci_addr slot = fns[0];
	struct snapshot snap;
	size_t siblings = 0;

	v[2].device_name = "Cannon Lake PCH Power Management Controller";
	slot.has_func = false;
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	run(&cfg, &snap);
	for (size_t i = 0; i < snap.n_devices; i++) {
		const struct pci_device *d = &snap.devices[i];
		_cleanup_(freep) char *prefix = NULL;
		bool sibling = pci_addr_in_slot(&d->addr, &slot) &&
			       !addr_list_contains(&cfg.functions, &d->addr);

		ck_assert_int_ge(asprintf(&prefix,
					  "%s (%s) is in the slot of the [regroup] functions but not listed",
					  PCI_ADDR_STR(&d->addr), d->device_name),
				 0);
		ck_assert_msg(!!item_starting("slot", prefix) == sibling, "%s: slot line %s",
			      PCI_ADDR_STR(&d->addr), sibling ? "missing" : "unexpected");
		siblings += sibling;
	}
	ck_assert_uint_eq(count("slot"), siblings);
	ck_assert_uint_eq(siblings, 1);
	ck_assert_int_eq(item("slot")->status, CHECK_WARN);
}
END_TEST

/* Each address of l absent from snap has a FAIL line "ADDR is not present"; returns how many. */
static size_t assert_absent_fail(const char *name, const struct addr_list *l, const struct snapshot *snap)
{
	size_t absent = 0;

	for (size_t i = 0; i < l->n; i++) {
		_cleanup_(freep) char *want = NULL;
		const struct check_item *it;

		if (snapshot_find(snap, &l->v[i]))
			continue;
		ck_assert_int_ge(asprintf(&want, "%s is not present", PCI_ADDR_STR(&l->v[i])), 0);
		it = item_n(name, absent++);
		ck_assert_int_eq(it->status, CHECK_FAIL);
		ck_assert_str_eq(it->message, want);
	}
	ck_assert_uint_eq(count(name), absent);
	return absent;
}

START_TEST(configured_devices_must_be_present)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct pci_addr fns[] = { A("0000:00:1f.3"), A("0000:00:1f.7") };
	struct pci_addr vfio[] = { A("0000:00:02.0"), A("0000:01:00.0"), A("0000:00:1f.7") };
	struct pci_addr reset[] = { A("0000:00:1f.3") };
	struct igd_config cfg = {
		.functions = { fns, ELEMENTSOF(fns) },
		.vfio_devices = { vfio, ELEMENTSOF(vfio) },
		.reset_functions = { reset, ELEMENTSOF(reset) },
	};
	_cleanup_(freep) char *all = NULL;

	hp_devices(v, IOMMU_GROUP_NONE);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	run(&cfg, &snap);
	ck_assert_uint_eq(assert_absent_fail("functions", &cfg.functions, &snap), 1);
	ck_assert_uint_eq(assert_absent_fail("vfio", &cfg.vfio_devices, &snap), 2);
	ck_assert(check_report_failed(&rep));
	/* the reset functions are all there: one ok line with their number */
	ck_assert_uint_eq(count("reset"), 1);
	ck_assert_int_eq(item("reset")->status, CHECK_OK);
	ck_assert_int_ge(asprintf(&all, "all %zu present", cfg.reset_functions.n), 0);
	ck_assert_str_eq(item("reset")->message, all);

	/* nothing absent: one ok line per list; an empty list says so */
	cfg.functions.n = 1;
	cfg.vfio_devices.n = 0;
	run(&cfg, &snap);
	ck_assert_int_eq(item("functions")->status, CHECK_OK);
	ck_assert_str_eq(item("functions")->message, "all 1 present");
	ck_assert_int_eq(item("vfio")->status, CHECK_OK);
	ck_assert_str_eq(item("vfio")->message, "none configured");
	ck_assert(!check_report_failed(&rep));
}
END_TEST

START_TEST(without_iommu_groups_check_fails)
{
	struct pci_device v[] = { snaplit_dev("0000:00:02.0", IOMMU_GROUP_NONE),
				  snaplit_dev("0000:00:1f.3", IOMMU_GROUP_NONE) };
	struct snapshot snap = snaplit_snapshot(v, ELEMENTSOF(v));
	struct pci_device w[6];
	struct igd_config cfg = {};
	const char *cmdline = "BOOT_IMAGE=/boot/vmlinuz root=/dev/mapper/pve-root ro quiet intel_iommu=on";
	_cleanup_(freep) char *line = NULL;
	const char *word = iommu_cmdline_word(cmdline);

	ck_assert(!snap.iommu_groups);
	run(&cfg, &snap);
	ck_assert_int_eq(item("iommu")->status, CHECK_FAIL);
	ck_assert(check_report_failed(&rep));

	/* with groups: ok, naming the word of the command line that turned the IOMMU on */
	ck_assert_ptr_nonnull(word);
	ck_assert_int_ge(asprintf(&line, "%s\n", cmdline), 0);
	tu_write_file(root, "proc/cmdline", line);
	hp_devices(w, 5);
	snap = snaplit_snapshot(w, ELEMENTSOF(w));
	run(&cfg, &snap);
	ck_assert_int_eq(item("iommu")->status, CHECK_OK);
	ck_assert_msg(strstr(item("iommu")->message, word), "'%s' not in: %s", word, item("iommu")->message);
	ck_assert(!check_report_failed(&rep));
}
END_TEST

static void rmdir_in_root(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	ck_assert_int_eq(rmdir(p), 0);
}

START_TEST(vfio_pci_must_be_loaded_for_vfio_devices)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct pci_addr vfio[] = { A("0000:00:02.0") };
	struct igd_config cfg = { .vfio_devices = { vfio, 1 } };

	hp_devices(v, IOMMU_GROUP_NONE);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	run(&cfg, &snap);
	ck_assert_int_eq(item("vfio-pci")->status, CHECK_FAIL);
	ck_assert(check_report_failed(&rep));

	tu_mkdir_p(root, "sys/bus/pci/drivers/vfio-pci");
	run(&cfg, &snap);
	ck_assert_int_eq(item("vfio-pci")->status, CHECK_OK);
	ck_assert(!check_report_failed(&rep));

	/* no [vfio] devices: not needed */
	rmdir_in_root("sys/bus/pci/drivers/vfio-pci");
	cfg.vfio_devices.n = 0;
	run(&cfg, &snap);
	ck_assert_int_eq(item("vfio-pci")->status, CHECK_OK);
	ck_assert_ptr_nonnull(strstr(item("vfio-pci")->message, "not needed"));
}
END_TEST

START_TEST(split_warns_for_each_function_that_stays_grouped)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct pci_addr vfio[] = { A("0000:00:1f.3") };
	struct igd_config cfg = { .functions = *hp_functions(), .vfio_devices = { vfio, 1 } };
	_cleanup_(split_prediction_done) struct split_prediction p = {};
	size_t shared = 0;

	/* the audio function with the multi-function bit set, like the LPC bridge */
	hp_devices(v, 5);
	v[2].header_type = MF;
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	ck_assert_int_eq(check_split(&cfg, &snap, &rep), 0);
	/* what the prediction says, check says: a WARN per function that stays grouped */
	ck_assert_int_eq(split_predict(&snap, cfg.functions.v, cfg.functions.n, &p), 0);
	for (size_t i = 0; i < p.n; i++) {
		_cleanup_(freep) char *with = NULL, *prefix = NULL;
		const char *tail;
		const struct check_item *it;

		if (p.v[i].fate != SPLIT_SHARED)
			continue;
		with = tu_addrs_join(p.v[i].with, p.v[i].n_with, ", ");
		ck_assert_int_ge(asprintf(&prefix, "%s will stay grouped with %s after the split",
					  PCI_ADDR_STR(&p.v[i].addr), with),
				 0);
		it = item_starting("split", prefix);
		ck_assert_msg(it, "no split line starting '%s'", prefix);
		ck_assert_int_eq(it->status, CHECK_WARN);
		tail = addr_list_contains(&cfg.vfio_devices, &p.v[i].addr)
			   ? "as a [vfio] device it cannot be passed through without them"
			   : "the split cannot give it a group of its own";
		ck_assert_msg(strstr(it->message, tail), "'%s' not in: %s", tail, it->message);
		shared++;
	}
	ck_assert_uint_eq(shared, 2);
	ck_assert_uint_eq(rep.n, shared);
}
END_TEST

START_TEST(split_ok_counts_the_functions_that_get_their_own_group)
{
	struct pci_device v[6];
	struct snapshot snap;
	struct igd_config cfg = { .functions = *hp_functions() };
	_cleanup_(freep) char *all = NULL, *some = NULL;

	hp_devices(v, 5);
	snap = snaplit_snapshot(v, ELEMENTSOF(v));
	ck_assert_int_eq(check_split(&cfg, &snap, &rep), 0);
	ck_assert_uint_eq(rep.n, 1);
	ck_assert_int_eq(rep.items[0].status, CHECK_OK);
	ck_assert_int_ge(asprintf(&all, "%zu of the %zu [regroup] functions will get an IOMMU group of their own",
				  cfg.functions.n, cfg.functions.n),
			 0);
	ck_assert_msg(strncmp(rep.items[0].message, all, strlen(all)) == 0, "%s", rep.items[0].message);
	ck_assert_ptr_null(strstr(rep.items[0].message, "cannot be predicted"));
	check_report_done(&rep);

	/* one header type unreadable: that one is not counted, and the line says so */
	v[3].header_type = -1;
	ck_assert_int_eq(check_split(&cfg, &snap, &rep), 0);
	ck_assert_uint_eq(rep.n, 1);
	ck_assert_int_ge(asprintf(&some, "%zu of the %zu [regroup] functions", cfg.functions.n - 1,
				  cfg.functions.n),
			 0);
	ck_assert_msg(strncmp(rep.items[0].message, some, strlen(some)) == 0, "%s", rep.items[0].message);
	ck_assert_ptr_nonnull(strstr(rep.items[0].message, "; the others cannot be predicted"));
	check_report_done(&rep);

	/* nothing to predict: no IOMMU groups, or no [regroup] functions */
	snap.iommu_groups = false;
	ck_assert_int_eq(check_split(&cfg, &snap, &rep), 0);
	ck_assert_uint_eq(rep.n, 0);
	snap.iommu_groups = true;
	cfg.functions.n = 0;
	ck_assert_int_eq(check_split(&cfg, &snap, &rep), 0);
	ck_assert_uint_eq(rep.n, 0);
}
END_TEST

static char *print_report(bool color, bool quiet)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	ck_assert_ptr_nonnull(f);
	check_report_print(f, &rep, color, quiet);
	ck_assert_int_eq(fclose(f), 0);
	return s;
}

START_TEST(the_report_prints_one_aligned_line_per_item)
{
	static const struct {
		enum check_status st;
		const char *name, *message;
	} items[] = {
		{ CHECK_OK, "config", "fine" },
		{ CHECK_WARN, "group", "shared with someone" },
		{ CHECK_OK, "vfio-boot", "listed" },
		{ CHECK_FAIL, "iommu", "off" },
	};
	_cleanup_(freep) char *plain = NULL, *quiet = NULL, *color = NULL, *stripped = NULL;
	const char *line;
	long column = -1;

	for (size_t i = 0; i < ELEMENTSOF(items); i++) {
		ck_assert_int_eq(check_report_add(&rep, items[i].st, items[i].name, "%s", items[i].message),
				 0);
		/* only a FAIL line fails the report */
		ck_assert(check_report_failed(&rep) == (items[i].st == CHECK_FAIL));
	}
	ck_assert_uint_eq(rep.n, ELEMENTSOF(items));

	/* one line per item, in order: its status word, its name, its message in one column */
	plain = print_report(false, false);
	line = plain;
	for (size_t i = 0; i < ELEMENTSOF(items); i++) {
		const char *word = items[i].st == CHECK_OK     ? "ok"
				   : items[i].st == CHECK_WARN ? "WARN"
							       : "FAIL";
		size_t len = strcspn(line, "\n");
		const char *msg = strstr(line, items[i].message);

		ck_assert_msg(strncmp(line, word, strlen(word)) == 0, "line %zu: %.*s", i, (int)len, line);
		ck_assert_ptr_nonnull(strstr(line, items[i].name));
		ck_assert_msg(msg && msg + strlen(items[i].message) == line + len, "line %zu: %.*s", i,
			      (int)len, line);
		if (column < 0)
			column = msg - line;
		ck_assert_int_eq(msg - line, column);
		line += len + 1;
	}
	ck_assert_str_eq(line, "");

	/* quiet: the WARN and FAIL lines, as they are */
	quiet = print_report(false, true);
	ck_assert_ptr_null(strstr(quiet, "ok  "));
	for (size_t i = 0; i < ELEMENTSOF(items); i++)
		ck_assert(!!strstr(quiet, items[i].message) == (items[i].st != CHECK_OK));

	/* colour: the same text with escape sequences around the status words */
	color = print_report(true, false);
	ck_assert_ptr_nonnull(strchr(color, '\033'));
	ck_assert_ptr_null(strchr(plain, '\033'));
	stripped = tu_strip_ansi(color);
	ck_assert_str_eq(stripped, plain);
}
END_TEST

static Suite *checks_suite(void)
{
	Suite *s = suite_create("checks");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_report_starts_with_the_config_and_runs_each_check);
	tcase_add_test(tc, a_shared_regroup_function_is_a_group_warning);
	tcase_add_test(tc, an_unlisted_function_of_the_slot_is_a_slot_warning);
	tcase_add_test(tc, configured_devices_must_be_present);
	tcase_add_test(tc, without_iommu_groups_check_fails);
	tcase_add_test(tc, vfio_pci_must_be_loaded_for_vfio_devices);
	tcase_add_test(tc, split_warns_for_each_function_that_stays_grouped);
	tcase_add_test(tc, split_ok_counts_the_functions_that_get_their_own_group);
	tcase_add_test(tc, the_report_prints_one_aligned_line_per_item);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(checks_suite)
