/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `igd-regroup detect`: the proposal on the seed machines' trees (the
 * [regroup] lists of their own write-ups), what it leaves out and why, that
 * its text is a valid config whose plan refuses nothing, and --write, which
 * never loses a file the admin wrote. Also the unified diff it shows.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/detect.h"
#include "admin/udiff.h"
#include "config/config.h"
#include "core/macro.h"
#include "engine/plan.h"
#include "fixture.h"
#include "testutil.h"

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct snapshot snap;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
}

static void teardown(void)
{
	snapshot_done(&snap);
	tu_root_teardown(&root, &ctx, &logbuf);
}

static void build(const char *name)
{
	ck_assert_int_eq(fixture_build_named(root, name), 0);
}

static void add_vm(const char *fixture, const char *vmid)
{
	_cleanup_(freep) char *src = NULL, *text = NULL, *rel = NULL;
	const char *dir = getenv("IGD_TEST_SRCDIR");

	ck_assert_int_ge(asprintf(&src, "%s/fixtures/pve/%s", dir && *dir ? dir : "test", fixture), 0);
	text = tu_read_file(src);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_ge(asprintf(&rel, "etc/pve/qemu-server/%s.conf", vmid), 0);
	tu_write_file(root, rel, text);
	tu_write_file(root, "etc/hostname", "pve\n");
}

/* The proposal's text (detect_run without --write), malloc'd. */
static char *detect_text(void)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(detect_run(ctx, false, f), 0);
	fclose(f);
	return text;
}

/*
 * The text parses as a config; its [regroup] and [vfio] lists are the ones
 * given; on this tree the plan of it refuses nothing.
 */
static void assert_valid_proposal(const char *text, const char *functions, const char *devices)
{
	_cleanup_(freep) char *got_f = NULL, *got_d = NULL;
	struct igd_config cfg;
	struct plan plan = {};

	ck_assert_msg(config_parse_string(ctx, "detect", text, &cfg) == 0, "not a valid config:\n%s", text);
	got_f = tu_addrs_join(cfg.functions.v, cfg.functions.n, " ");
	got_d = tu_addrs_join(cfg.vfio_devices.v, cfg.vfio_devices.n, " ");
	ck_assert_str_eq(got_f, functions);
	ck_assert_str_eq(got_d, devices);
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	ck_assert_int_eq(plan_build(&cfg, &snap, &plan), 0);
	ck_assert_uint_eq(plan.n_refused, 0);
	ck_assert_uint_eq(plan.n_missing_binds, 0);
	plan_done(&plan);
	config_done(&cfg);
}

START_TEST(hp_elitedesk_as_in_its_write_up)
{
	_cleanup_(freep) char *text = NULL;

	build("hp-elitedesk-800-g4");
	add_vm("hp-elitedesk-100.conf", "100");
	text = detect_text();
	/* the write-up's list; VM 100 passes the iGPU with legacy-igd=1, so 1f.0 goes to vfio-pci too */
	assert_valid_proposal(text, "0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6",
			      "0000:00:02.0 0000:00:1f.0 0000:00:1f.3");
	ck_assert_ptr_nonnull(strstr(text, "\nvmids = 100\n"));
	ck_assert_ptr_nonnull(strstr(text, "#   VM 100: the iGPU and the audio function (legacy-igd=1)\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nunits = networking.service\naction = reload\nwait_interface = vmbr0\n"));
	ck_assert_ptr_nonnull(strstr(text, "# eno1, the interface of a listed function, is a port of vmbr0:\n"));
	ck_assert_ptr_nonnull(strstr(text, "#   0000:00:1f.6  a group of its own\n"));
	/* not this host's systemd: the agents were not asked, and the text says so */
	ck_assert_ptr_nonnull(strstr(text, "# Running VPN agents were not looked up"));
}
END_TEST

START_TEST(cross_check_with_the_guides_boot_job)
{
	_cleanup_(freep) char *same = NULL, *other = NULL;

	build("hp-elitedesk-800-g4");
	tu_write_file(root, "var/spool/cron/crontabs/root", "@reboot /root/passthrough-tweak.sh\n");
	tu_write_file(root, "root/passthrough-tweak.sh",
		      "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.0/remove\n"
		      "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.3/remove\n"
		      "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.4/remove\n"
		      "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.5/remove\n"
		      "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.6/remove\n"
		      "echo 1 > /sys/bus/pci/rescan\nsystemctl restart networking\n");
	same = detect_text();
	ck_assert_ptr_nonnull(strstr(same, "# Cross-check: the @reboot job at /var/spool/cron/crontabs/root:1 "
					   "(/root/passthrough-tweak.sh)\n#   removes 0000:00:1f.0 0000:00:1f.3 "
					   "0000:00:1f.4 0000:00:1f.5 0000:00:1f.6: the same list.\n"));
	/* the seed's first job, 1f.3 alone: not the list this host shows */
	tu_write_file(root, "var/spool/cron/crontabs/root",
		      "@reboot echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.3/remove && echo 1 > /sys/bus/pci/rescan\n");
	other = detect_text();
	ck_assert_ptr_nonnull(strstr(other, "#   removes 0000:00:1f.3: not this list; the one below is what "
					    "this host shows.\n"));
}
END_TEST

START_TEST(n100_has_no_nic_to_bring_back)
{
	_cleanup_(freep) char *text = NULL;

	build("n100");
	text = detect_text();
	assert_valid_proposal(text, "0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5",
			      "0000:00:02.0 0000:00:1f.3");
	ck_assert_ptr_nonnull(strstr(text, "\nunits =\naction = none\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nvmids =\n"));
}
END_TEST

START_TEST(esprimo_lists_its_pmc)
{
	_cleanup_(freep) char *text = NULL;

	build("esprimo-q957");
	text = detect_text();
	assert_valid_proposal(text, "0000:00:1f.0 0000:00:1f.2 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6",
			      "0000:00:02.0 0000:00:1f.3");
}
END_TEST

START_TEST(storage_function_left_out_with_its_reason)
{
	struct detect_input in = {};
	struct detect_proposal p = {};
	_cleanup_(freep) char *got = NULL;

	/* an AHCI controller in the PCH slot, its disk holding "/" */
	ck_assert_int_eq(fixture_build(root, "device 0000:00:02.0 8086:3e92 class=030000 group=0\n"
					     "device 0000:00:1f.0 8086:a306 class=060100 group=7\n"
					     "device 0000:00:1f.2 8086:a352 class=010601 group=7 driver=ahci\n"
					     "device 0000:00:1f.3 8086:a348 class=040300 group=7\n"
					     "block sda dev=0000:00:1f.2\n"
					     "block sda1 parent=sda\n"
					     "mount /dev/sda1 /\n"),
			 0);
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	in.snap = &snap;
	ck_assert_int_eq(detect_propose(&in, &p), 0);
	got = tu_addrs_join(p.functions, p.n_functions, " ");
	ck_assert_str_eq(got, "0000:00:1f.0 0000:00:1f.3");
	ck_assert_uint_eq(p.n_left_out, 1);
	ck_assert_str_eq(PCI_ADDR_STR(&p.left_out[0].addr), "0000:00:1f.2");
	ck_assert_str_eq(p.left_out[0].why, "disk sda is used (/)");
	detect_proposal_done(&p);
}
END_TEST

START_TEST(audio_alone_or_absent_proposes_nothing)
{
	_cleanup_(freep) char *alone = NULL, *absent = NULL;

	ck_assert_int_eq(fixture_build(root, "device 0000:00:1f.0 8086:a306 class=060100 group=7\n"
					     "device 0000:00:1f.3 8086:a348 class=040300 group=8\n"),
			 0);
	alone = detect_text();
	ck_assert_ptr_nonnull(strstr(alone, "# 0000:00:1f.3 already has IOMMU group 8 to itself"));
	ck_assert_ptr_nonnull(strstr(alone, "\nfunctions =\n"));
	teardown();
	setup();
	ck_assert_int_eq(fixture_build(root, "device 0000:00:1f.0 8086:a306 class=060100 group=7\n"), 0);
	absent = detect_text();
	ck_assert_ptr_nonnull(strstr(absent, "# No PCH audio function (class 0403 on bus 0)"));
	ck_assert_ptr_nonnull(strstr(absent, "\nfunctions =\n"));
}
END_TEST

/* detect --write against the config at path; returns detect_run's result, the output in *out. */
static int detect_write(const char *path, char **out)
{
	struct igd_ctx *c = NULL;
	size_t size = 0;
	FILE *f = open_memstream(out, &size);
	int r;

	ck_assert_int_eq(igd_ctx_new(root, path, &c), 0);
	igd_ctx_set_log_fn(c, tu_log_fn, &logbuf);
	r = detect_run(c, true, f);
	fclose(f);
	igd_ctx_free(c);
	return r;
}

START_TEST(write_creates_an_absent_config)
{
	_cleanup_(freep) char *path = tu_path(root, "etc/igd-regroup.conf"), *text = NULL, *written = NULL,
			     *out = NULL;
	struct stat st;

	build("n100");
	tu_mkdir_p(root, "etc");
	text = detect_text();
	ck_assert_int_eq(detect_write(path, &out), 0);
	written = tu_read_file(path);
	ck_assert_str_eq(written, text);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert(tu_log_contains(&logbuf, "Wrote "));
	/* the written file loads as the config, ownership and mode included */
	{
		struct igd_config cfg;

		ck_assert_int_eq(config_load(ctx, path, &cfg), 0);
		config_done(&cfg);
	}
}
END_TEST

START_TEST(write_replaces_the_shipped_default_only)
{
	_cleanup_(freep) char *path = tu_path(root, "etc/igd-regroup.conf"), *text = NULL, *written = NULL,
			     *out = NULL, *out2 = NULL, *edited = NULL, *after = NULL;

	build("hp-elitedesk-800-g4");
	text = detect_text();
	tu_write_file(root, "etc/igd-regroup.conf", detect_shipped_config);
	ck_assert_int_eq(detect_write(path, &out), 0);
	written = tu_read_file(path);
	ck_assert_str_eq(written, text);
	ck_assert(tu_log_contains(&logbuf, "(it was the shipped default)"));

	/* once the admin edited it, --write shows the diff, exits 1 and leaves the file alone */
	ck_assert_int_ge(asprintf(&edited, "%s# my note\n", text), 0);
	tu_write_file(root, "etc/igd-regroup.conf", edited);
	ck_assert_int_eq(detect_write(path, &out2), 1);
	after = tu_read_file(path);
	ck_assert_str_eq(after, edited);
	ck_assert_ptr_nonnull(strstr(out2, "+++ proposed by igd-regroup detect\n"));
	ck_assert_ptr_nonnull(strstr(out2, "\n-# my note\n"));
	ck_assert(tu_log_contains(&logbuf, "is not the shipped default: not overwritten"));
}
END_TEST

START_TEST(write_leaves_an_equal_config_and_refuses_a_link)
{
	_cleanup_(freep) char *path = tu_path(root, "etc/igd-regroup.conf"), *text = NULL, *out = NULL,
			     *out2 = NULL, *target = NULL;

	build("n100");
	text = detect_text();
	tu_write_file(root, "etc/igd-regroup.conf", text);
	ck_assert_int_eq(detect_write(path, &out), 0);
	ck_assert(tu_log_contains(&logbuf, "already holds this config; nothing written"));
	ck_assert_str_eq(out, "");

	ck_assert_int_eq(unlink(path), 0);
	tu_write_file(root, "elsewhere.conf", detect_shipped_config);
	tu_symlink(root, "etc/igd-regroup.conf", "../elsewhere.conf");
	ck_assert_int_lt(detect_write(path, &out2), 0);
	target = tu_read_file(path);
	ck_assert_str_eq(target, detect_shipped_config);
}
END_TEST

START_TEST(the_program)
{
	_cleanup_(freep) char *prog = tu_build_path("igd-regroup"), *text = NULL, *out = NULL, *err = NULL,
			     *out2 = NULL, *err2 = NULL;

	build("hp-elitedesk-800-g4");
	text = detect_text();
	ck_assert_int_eq(tu_run((char *[]){ prog, "--root", root, "detect", NULL }, NULL, &out, &err), 0);
	ck_assert_str_eq(out, text);
	/* --write belongs to detect */
	ck_assert_int_eq(tu_run((char *[]){ prog, "--root", root, "--write", "status", NULL }, NULL, &out2, &err2), 2);
	ck_assert_ptr_nonnull(strstr(err2, "--write only goes with detect"));
}
END_TEST

static char *diff(const char *a, const char *b, int want)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	ck_assert_int_eq(udiff_print(f, "a", a, "b", b), want);
	fclose(f);
	return s;
}

START_TEST(unified_diff)
{
	_cleanup_(freep) char *same = NULL, *one = NULL, *empty = NULL, *two = NULL, *nonl = NULL;
	_cleanup_(freep) char *a = NULL, *b = NULL;
	size_t size_a = 0, size_b = 0;
	FILE *fa = open_memstream(&a, &size_a), *fb = open_memstream(&b, &size_b);

	same = diff("x\ny\n", "x\ny\n", 0);
	ck_assert_str_eq(same, "");
	one = diff("a\nb\nc\n", "a\nB\nc\n", 1);
	ck_assert_str_eq(one, "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
	empty = diff("", "x\n", 1);
	ck_assert_str_eq(empty, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
	nonl = diff("a\n", "a", 1);
	ck_assert_str_eq(nonl, "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n");
	/* 20 lines, lines 2 and 18 changed: two hunks with three lines of context */
	for (int i = 1; i <= 20; i++) {
		fprintf(fa, "%d\n", i);
		fprintf(fb, "%d%s\n", i, i == 2 || i == 18 ? "x" : "");
	}
	fclose(fa);
	fclose(fb);
	two = diff(a, b, 1);
	ck_assert_str_eq(two, "--- a\n+++ b\n"
			      "@@ -1,5 +1,5 @@\n 1\n-2\n+2x\n 3\n 4\n 5\n"
			      "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+18x\n 19\n 20\n");
}
END_TEST

static Suite *detect_suite(void)
{
	Suite *s = suite_create("detect");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hp_elitedesk_as_in_its_write_up);
	tcase_add_test(tc, cross_check_with_the_guides_boot_job);
	tcase_add_test(tc, n100_has_no_nic_to_bring_back);
	tcase_add_test(tc, esprimo_lists_its_pmc);
	tcase_add_test(tc, storage_function_left_out_with_its_reason);
	tcase_add_test(tc, audio_alone_or_absent_proposes_nothing);
	tcase_add_test(tc, write_creates_an_absent_config);
	tcase_add_test(tc, write_replaces_the_shipped_default_only);
	tcase_add_test(tc, write_leaves_an_equal_config_and_refuses_a_link);
	tcase_add_test(tc, the_program);
	tcase_add_test(tc, unified_diff);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(detect_suite)
