/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The split prediction: pure cases on snapshot literals (the layouts the lab
 * boots: the HP-like PCH, the audio function with its multi-function bit set,
 * a PMC left out of the list), and the seed machines' fixture trees read from
 * disk.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "fixture.h"
#include "testutil.h"
#include "topology/snapshot.h"
#include "topology/split_predict.h"

#define MF 0x80
#define FN(f) { .domain = 0, .bus = 0, .dev = 0x1f, .func = (f), .has_func = true }

static struct pci_device dev(unsigned slot, unsigned fn, int group, int header)
{
	return (struct pci_device){
		.addr = { .dev = (uint8_t)slot, .func = (uint8_t)fn, .has_func = true },
		.iommu_group = group,
		.header_type = header,
	};
}

/* The HP EliteDesk 800 G4's bus 0 before the split: iGPU alone, the PCH functions in group 5. */
static void hp_devices(struct pci_device v[6], int audio_header)
{
	v[0] = dev(0x02, 0, 1, 0x00);
	v[1] = dev(0x1f, 0, 5, MF);
	v[2] = dev(0x1f, 3, 5, audio_header);
	v[3] = dev(0x1f, 4, 5, 0x00);
	v[4] = dev(0x1f, 5, 5, 0x00);
	v[5] = dev(0x1f, 6, 5, 0x00);
}

static void predict(const struct pci_device *v, size_t n_dev, const struct pci_addr *fns, size_t n,
		    struct split_prediction *p)
{
	struct snapshot snap = { .devices = (struct pci_device *)v, .n_devices = n_dev, .iommu_groups = true };

	ck_assert_int_eq(split_predict(&snap, fns, n, p), 0);
	ck_assert_uint_eq(p->n, n);
}

/* "0000:00:1f.0 0000:00:1f.2": the outcome's with-list as text. */
static char *with_list(const struct split_outcome *o)
{
	return tu_addrs_join(o->with, o->n_with, " ");
}

static void assert_own(const struct split_outcome *o)
{
	ck_assert_msg(o->fate == SPLIT_OWN_GROUP, "%s: fate %d, want its own group", PCI_ADDR_STR(&o->addr),
		      o->fate);
	ck_assert_uint_eq(o->n_with, 0);
}

static void assert_shared(const struct split_outcome *o, const char *with, const char *joins)
{
	_cleanup_(freep) char *got = NULL;

	ck_assert_msg(o->fate == SPLIT_SHARED, "%s: fate %d, want shared", PCI_ADDR_STR(&o->addr), o->fate);
	got = with_list(o);
	ck_assert_str_eq(got, with);
	if (joins)
		ck_assert_str_eq(PCI_ADDR_STR(&o->joins), joins);
	else
		ck_assert_msg(!o->joins.has_func, "%s joined %s, want none", PCI_ADDR_STR(&o->addr),
			      PCI_ADDR_STR(&o->joins));
}

START_TEST(hp_layout_splits_completely)
{
	struct pci_device v[6];
	const struct pci_addr fns[] = { FN(0), FN(3), FN(4), FN(5), FN(6) };
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	hp_devices(v, 0x00);
	predict(v, ELEMENTSOF(v), fns, ELEMENTSOF(fns), &p);
	/* 1f.0 is multi-function, but it comes back first: no sibling is present yet */
	for (size_t i = 0; i < p.n; i++)
		assert_own(&p.v[i]);
}
END_TEST

START_TEST(audio_with_multifunction_bit_stays_with_the_lpc_bridge)
{
	struct pci_device v[6];
	const struct pci_addr fns[] = { FN(0), FN(3), FN(4), FN(5), FN(6) };
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	hp_devices(v, MF);
	predict(v, ELEMENTSOF(v), fns, ELEMENTSOF(fns), &p);
	/* 1f.0 comes back alone; 1f.3, found next, joins it: both stay grouped */
	assert_shared(&p.v[0], "0000:00:1f.3", NULL);
	assert_shared(&p.v[1], "0000:00:1f.0", "0000:00:1f.0");
	assert_own(&p.v[2]);
	assert_own(&p.v[3]);
	assert_own(&p.v[4]);
}
END_TEST

START_TEST(lpc_bridge_joins_a_sibling_left_out_of_the_list)
{
	/* the Esprimo's PMC at 1f.2, present but not listed: 1f.0 finds it when it comes back */
	struct pci_device v[] = {
		dev(0x02, 0, 1, 0x00), dev(0x1f, 0, 7, MF),   dev(0x1f, 2, 7, 0x00),
		dev(0x1f, 3, 7, 0x00), dev(0x1f, 4, 7, 0x00), dev(0x1f, 6, 7, 0x00),
	};
	const struct pci_addr fns[] = { FN(0), FN(3), FN(4), FN(6) };
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	predict(v, ELEMENTSOF(v), fns, ELEMENTSOF(fns), &p);
	assert_shared(&p.v[0], "0000:00:1f.2", "0000:00:1f.2");
	assert_own(&p.v[1]);
	assert_own(&p.v[2]);
	assert_own(&p.v[3]);
}
END_TEST

START_TEST(a_function_that_stayed_is_found_before_one_found_again)
{
	/*
	 * After the boot split every function has its own group. Reset 1f.0 and a
	 * 1f.3 with the bit set while 1f.4 stays: the alias search walks the devices
	 * in the order they were added, so 1f.3 finds 1f.4 (added at boot) before
	 * 1f.0 (added again a moment ago), and 1f.0 finds 1f.4 too.
	 */
	struct pci_device v[] = {
		dev(0x1f, 0, 10, MF), dev(0x1f, 3, 11, MF), dev(0x1f, 4, 12, 0x00),
	};
	const struct pci_addr fns[] = { FN(0), FN(3) };
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	predict(v, ELEMENTSOF(v), fns, ELEMENTSOF(fns), &p);
	assert_shared(&p.v[0], "0000:00:1f.3 0000:00:1f.4", "0000:00:1f.4");
	assert_shared(&p.v[1], "0000:00:1f.0 0000:00:1f.4", "0000:00:1f.4");
}
END_TEST

START_TEST(the_bit_of_the_function_itself_decides)
{
	/* 1f.0 without the bit and 1f.3 with it, 1f.4 stays in its own group: 1f.3 goes to 1f.4's */
	struct pci_device v[] = {
		dev(0x1f, 0, 10, 0x00), dev(0x1f, 3, 11, MF), dev(0x1f, 4, 12, 0x00),
	};
	const struct pci_addr fns[] = { FN(0), FN(3) };
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	predict(v, ELEMENTSOF(v), fns, ELEMENTSOF(fns), &p);
	assert_own(&p.v[0]);
	assert_shared(&p.v[1], "0000:00:1f.4", "0000:00:1f.4");
}
END_TEST

START_TEST(the_default_reset_after_the_split)
{
	/* post-stop of a VM passing 1f.0 and 1f.3 after the boot split; 1f.4..1f.6 stay */
	struct pci_device v[] = {
		dev(0x02, 0, 1, 0x00),  dev(0x1f, 0, 10, MF),   dev(0x1f, 3, 11, 0x00),
		dev(0x1f, 4, 12, 0x00), dev(0x1f, 5, 13, 0x00), dev(0x1f, 6, 14, 0x00),
	};
	const struct pci_addr both[] = { FN(0), FN(3) }, audio[] = { FN(3) };
	_cleanup_(split_prediction_done) struct split_prediction p = {}, q = {};

	predict(v, ELEMENTSOF(v), both, ELEMENTSOF(both), &p);
	assert_shared(&p.v[0], "0000:00:1f.4", "0000:00:1f.4");
	assert_own(&p.v[1]);
	/* what the hook resets by default: 1f.3 only */
	predict(v, ELEMENTSOF(v), audio, ELEMENTSOF(audio), &q);
	assert_own(&q.v[0]);
}
END_TEST

START_TEST(devices_that_stay_keep_their_groups)
{
	/* 1f.0 comes back into the group 1f.4 and 1f.5 still share; 1f.6 in another group is not in it */
	struct pci_device v[] = {
		dev(0x1f, 0, 5, MF), dev(0x1f, 4, 5, 0x00), dev(0x1f, 5, 5, 0x00), dev(0x1f, 6, 9, 0x00),
	};
	const struct pci_addr fns[] = { FN(0) };
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	predict(v, ELEMENTSOF(v), fns, ELEMENTSOF(fns), &p);
	assert_shared(&p.v[0], "0000:00:1f.4 0000:00:1f.5", "0000:00:1f.4");
}
END_TEST

START_TEST(what_cannot_be_predicted_says_why)
{
	struct pci_device v[] = {
		dev(0x1f, 0, 5, -1),
		dev(0x1f, 3, 5, 0x00),
		{ .addr = { .bus = 1, .dev = 0, .func = 0, .has_func = true }, .iommu_group = 6 },
		dev(0x1f, 4, IOMMU_GROUP_NONE, 0x00),
	};
	const struct pci_addr fns[] = {
		FN(0), FN(6), { .bus = 1, .dev = 0, .func = 0, .has_func = true }, FN(4), FN(3),
	};
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	predict(v, ELEMENTSOF(v), fns, ELEMENTSOF(fns), &p);
	ck_assert_int_eq(p.v[0].fate, SPLIT_UNKNOWN);
	ck_assert_str_eq(p.v[0].why_unknown, "header type unreadable");
	ck_assert_int_eq(p.v[1].fate, SPLIT_UNKNOWN);
	ck_assert_str_eq(p.v[1].why_unknown, "not present");
	ck_assert_int_eq(p.v[2].fate, SPLIT_UNKNOWN);
	ck_assert_str_eq(p.v[2].why_unknown, "behind a bridge");
	ck_assert_int_eq(p.v[3].fate, SPLIT_UNKNOWN);
	ck_assert_str_eq(p.v[3].why_unknown, "no IOMMU group");
	/* a function whose header cannot be read is still listed, so 1f.3 is predicted alone */
	assert_own(&p.v[4]);
}
END_TEST

START_TEST(no_iommu_predicts_nothing)
{
	struct pci_device v[] = { dev(0x1f, 3, IOMMU_GROUP_NONE, 0x00) };
	struct snapshot snap = { .devices = v, .n_devices = 1, .iommu_groups = false };
	const struct pci_addr fns[] = { FN(3) };
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	ck_assert_int_eq(split_predict(&snap, fns, 1, &p), 0);
	ck_assert_int_eq(p.v[0].fate, SPLIT_UNKNOWN);
	ck_assert_str_eq(p.v[0].why_unknown, "no IOMMU group");
}
END_TEST

START_TEST(empty_list)
{
	struct pci_device v[6];
	_cleanup_(split_prediction_done) struct split_prediction p = {};

	hp_devices(v, 0x00);
	predict(v, ELEMENTSOF(v), NULL, 0, &p);
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

/* The seed machines' trees, read through libpci: each seed's [regroup] list splits completely. */
static void assert_fixture_splits(const char *name, const struct pci_addr *fns, size_t n)
{
	char *root;
	struct tu_log logbuf;
	struct igd_ctx *ctx;
	struct snapshot snap = {};
	struct split_prediction p = {};

	tu_root_setup(&root, &ctx, &logbuf, name);
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	/* libpci read the header types: 0x80 for the LPC bridge, 0x00 for the rest of the slot */
	ck_assert_int_eq(snapshot_find(&snap, &fns[0])->header_type, MF);
	for (size_t i = 1; i < n; i++)
		ck_assert_int_eq(snapshot_find(&snap, &fns[i])->header_type, 0x00);
	ck_assert_int_eq(split_predict(&snap, fns, n, &p), 0);
	for (size_t i = 0; i < p.n; i++)
		assert_own(&p.v[i]);
	split_prediction_done(&p);
	snapshot_done(&snap);
	tu_root_teardown(&root, &ctx, &logbuf);
}

/* The rule the hook's reset shares: which staying function of the slot a re-added one joins. */
START_TEST(staying_sibling)
{
	struct pci_device v[6];
	struct snapshot snap = { .devices = v, .n_devices = 6, .iommu_groups = true };
	const struct pci_addr lpc_only[] = { FN(0) }, all[] = { FN(0), FN(3), FN(4), FN(5), FN(6) };
	const struct pci_addr audio_lpc[] = { FN(3), FN(0) };

	hp_devices(v, MF);
	/* 1f.0 (bit set) reset alone: 1f.3 stays, first in address order */
	ck_assert_ptr_eq(split_staying_sibling(&snap, &v[1], lpc_only, 1), &v[2]);
	/* the whole slot reset: nothing stays */
	ck_assert_ptr_null(split_staying_sibling(&snap, &v[1], all, 5));
	/* both listed, list order does not matter: 1f.4 is the first that stays */
	ck_assert_ptr_eq(split_staying_sibling(&snap, &v[1], audio_lpc, 2), &v[3]);
	/* bit clear: a group of its own whatever stays */
	ck_assert_ptr_null(split_staying_sibling(&snap, &v[3], lpc_only, 1));
	/* unknown header type: no prediction, so no sibling */
	v[1].header_type = -1;
	ck_assert_ptr_null(split_staying_sibling(&snap, &v[1], lpc_only, 1));
	/* the iGPU's slot has nobody else */
	v[0].header_type = MF;
	ck_assert_ptr_null(split_staying_sibling(&snap, &v[0], lpc_only, 1));
}
END_TEST

START_TEST(seed_machines_split_completely)
{
	const struct pci_addr hp[] = { FN(0), FN(3), FN(4), FN(5), FN(6) };
	const struct pci_addr n100[] = { FN(0), FN(3), FN(4), FN(5) };
	const struct pci_addr esprimo[] = { FN(0), FN(2), FN(3), FN(4), FN(5), FN(6) };

	assert_fixture_splits("hp-elitedesk-800-g4", hp, ELEMENTSOF(hp));
	assert_fixture_splits("n100", n100, ELEMENTSOF(n100));
	assert_fixture_splits("esprimo-q957", esprimo, ELEMENTSOF(esprimo));
}
END_TEST

static Suite *split_predict_suite(void)
{
	Suite *s = suite_create("split-predict");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hp_layout_splits_completely);
	tcase_add_test(tc, audio_with_multifunction_bit_stays_with_the_lpc_bridge);
	tcase_add_test(tc, lpc_bridge_joins_a_sibling_left_out_of_the_list);
	tcase_add_test(tc, a_function_that_stayed_is_found_before_one_found_again);
	tcase_add_test(tc, the_bit_of_the_function_itself_decides);
	tcase_add_test(tc, the_default_reset_after_the_split);
	tcase_add_test(tc, devices_that_stay_keep_their_groups);
	tcase_add_test(tc, what_cannot_be_predicted_says_why);
	tcase_add_test(tc, no_iommu_predicts_nothing);
	tcase_add_test(tc, empty_list);
	tcase_add_test(tc, staying_sibling);
	tcase_add_test(tc, seed_machines_split_completely);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(split_predict_suite)
