/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check as the doctor of the guides' host steps: vfio-pci loaded at boot,
 * the boot unit enabled and its run, --quiet; detect's running VPN agents.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "admin/checks.h"
#include "admin/detect.h"
#include "config/config.h"
#include "core/macro.h"
#include "fake_systemd.h"
#include "fixture.h"
#include "testutil.h"

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct igd_config cfg;
static struct check_report rep;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
	ck_assert_int_eq(config_parse_string(ctx, "test", "[vfio]\ndevices = 0000:00:02.0\n", &cfg), 0);
}

static void teardown(void)
{
	check_report_done(&rep);
	config_done(&cfg);
	tu_root_teardown(&root, &ctx, &logbuf);
}

static const struct check_item *item(const char *name)
{
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.items[i].name, name) == 0)
			return &rep.items[i];
	return NULL;
}

START_TEST(vfio_pci_at_boot)
{
	const struct check_item *it;
	struct igd_config none;

	ck_assert_int_eq(check_boot_modules(ctx, &cfg, &rep), 0);
	it = item("vfio-boot");
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_ptr_nonnull(strstr(it->message, "add the line vfio-pci to /etc/modules"));
	check_report_done(&rep);

	/* the guides' /etc/modules: vfio, vfio_iommu_type1, vfio_pci */
	tu_write_file(root, "etc/modules", "# /etc/modules\nvfio\nvfio_iommu_type1\nvfio_pci # for the iGPU\n");
	ck_assert_int_eq(check_boot_modules(ctx, &cfg, &rep), 0);
	it = item("vfio-boot");
	ck_assert_int_eq(it->status, CHECK_OK);
	ck_assert_str_eq(it->message, "vfio-pci is loaded at boot (/etc/modules)");
	check_report_done(&rep);

	tu_write_file(root, "etc/modules", "# vfio-pci\n");
	tu_write_file(root, "etc/modules-load.d/vfio.conf", "; comment\nvfio-pci\n");
	ck_assert_int_eq(check_boot_modules(ctx, &cfg, &rep), 0);
	ck_assert_str_eq(item("vfio-boot")->message, "vfio-pci is loaded at boot (/etc/modules-load.d/vfio.conf)");
	check_report_done(&rep);

	/* nothing to bind: no line */
	ck_assert_int_eq(config_parse_string(ctx, "test", "", &none), 0);
	ck_assert_int_eq(check_boot_modules(ctx, &none, &rep), 0);
	ck_assert_uint_eq(rep.n, 0);
	config_done(&none);
}
END_TEST

/* The lines of text that do not start with "ok". */
static char *problems(const char *text)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");

		if (strncmp(p, "ok", 2) != 0)
			fprintf(f, "%.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
	fclose(f);
	return s;
}

START_TEST(quiet_prints_only_warnings_and_failures)
{
	_cleanup_(freep) char *prog = tu_build_path("igd-regroup"), *conf = tu_path(root, "igd-regroup.conf");
	_cleanup_(freep) char *full = NULL, *err = NULL, *quiet = NULL, *err2 = NULL, *want = NULL, *o3 = NULL,
			     *e3 = NULL;

	ck_assert_int_eq(fixture_build_named(root, "hp-elitedesk-800-g4"), 0);
	tu_write_file_mode(root, "igd-regroup.conf", "[regroup]\nfunctions = 0000:00:1f.3\n", 0644);
	ck_assert_int_eq(tu_run((char *[]){ prog, "--root", root, "-c", conf, "check", NULL }, NULL, &full, &err), 0);
	ck_assert_int_eq(tu_run((char *[]){ prog, "--root", root, "-c", conf, "check", "--quiet", NULL }, NULL,
				&quiet, &err2),
			 0);
	want = problems(full);
	ck_assert_ptr_nonnull(strstr(full, "ok   config"));
	ck_assert_ptr_nonnull(strstr(want, "WARN group     0000:00:1f.3 still shares IOMMU group 7"));
	ck_assert_str_eq(quiet, want);
	ck_assert_int_eq(tu_run((char *[]){ prog, "--root", root, "--quiet", "status", NULL }, NULL, &o3, &e3), 2);
	ck_assert_ptr_nonnull(strstr(e3, "--quiet only goes with check"));
}
END_TEST

/* A PCI bridge in a function's group is not another device: not listed, and alone with one is alone. */
START_TEST(group_warning_leaves_bridges_aside)
{
	_cleanup_(freep) char *prog = tu_build_path("igd-regroup"),
			      *conf = tu_path(root, "igd-regroup.conf");
	_cleanup_(freep) char *out = NULL, *err = NULL;

	ck_assert_int_eq(fixture_build(root,
				       "device 0000:00:1c.0 8086:a33c class=060400 group=7 driver=pcieport bridge\n"
				       "device 0000:00:1c.4 8086:a334 class=060400 group=9 driver=pcieport bridge\n"
				       "device 0000:00:1f.0 8086:a306 class=060100 group=7\n"
				       "device 0000:00:1f.3 8086:a348 class=040300 group=7 driver=snd_hda_intel\n"
				       "device 0000:00:1f.4 8086:a323 class=0c0500 group=9 driver=i801_smbus\n"),
			 0);
	tu_write_file_mode(root, "igd-regroup.conf",
			   "[regroup]\nfunctions = 0000:00:1f.3 0000:00:1f.4\n", 0644);
	ck_assert_int_eq(tu_run((char *[]){ prog, "--root", root, "-c", conf, "check", NULL }, NULL,
				&out, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "WARN group     0000:00:1f.3 still shares IOMMU group 7 with "
					  "0000:00:1f.0 (no driver): run igd-regroup apply"));
	ck_assert_ptr_null(strstr(out, "0000:00:1c.0 (pcieport)"));
	ck_assert_ptr_null(strstr(out, "0000:00:1f.4 still shares"));
}
END_TEST

/* check's boot-unit line with the fake systemd serving units[0..n). */
static const struct check_item *boot_unit_with(const struct fake_unit *units, size_t n)
{
	struct fake_bus *bus = fake_bus_start(root);
	struct fake_systemd *sd = fake_systemd_start(fake_bus_address(bus), units, n, NULL, NULL);

	check_report_done(&rep);
	ck_assert_int_eq(check_boot_unit(ctx, &rep), 0);
	fake_systemd_stop(sd);
	fake_bus_stop(bus);
	ck_assert_uint_eq(rep.n, 1);
	return &rep.items[0];
}

START_TEST(boot_unit_enabled_and_its_last_run)
{
	const struct fake_unit ran[] = { { .name = "igd-regroup.service", .file_state = "enabled" } };
	const struct fake_unit disabled[] = { { .name = "igd-regroup.service", .file_state = "disabled" } };
	const struct fake_unit failed[] = { { .name = "igd-regroup.service", .file_state = "enabled",
					      .active_state = "failed", .service_result = "exit-code",
					      .exec_main_status = 1 } };
	const struct check_item *it;

	/* not this host, no bus of the test's own: not asked */
	ck_assert_int_eq(check_boot_unit(ctx, &rep), 0);
	ck_assert_str_eq(rep.items[0].message, "igd-regroup.service not asked: the root is not this host");

	it = boot_unit_with(ran, 1);
	ck_assert_int_eq(it->status, CHECK_OK);
	ck_assert_str_eq(it->message, "igd-regroup.service is enabled and ran at this boot");
	it = boot_unit_with(disabled, 1);
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_str_eq(it->message, "igd-regroup.service is disabled: nothing splits the groups at boot; run "
				      "systemctl enable igd-regroup.service");
	it = boot_unit_with(failed, 1);
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_str_eq(it->message, "igd-regroup.service is enabled; its run at this boot: failed (exit-code, "
				      "exit status 1); see journalctl -b -u igd-regroup");
	/* not installed: systemd knows no unit file */
	it = boot_unit_with(NULL, 0);
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_ptr_nonnull(strstr(it->message, "systemd has no unit file igd-regroup.service"));
}
END_TEST

START_TEST(detect_adds_the_running_vpn_agents)
{
	const struct fake_unit units[] = {
		{ .name = "networking.service" },
		{ .name = "netbird.service" },
		{ .name = "tailscaled.service", .active_state = "inactive" },
		{ .name = "wg-quick@wg0.service" },
		{ .name = "ssh.service" },
	};
	struct fake_bus *bus;
	struct fake_systemd *sd;
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	ck_assert_int_eq(fixture_build_named(root, "hp-elitedesk-800-g4"), 0);
	bus = fake_bus_start(root);
	sd = fake_systemd_start(fake_bus_address(bus), units, ELEMENTSOF(units), NULL, NULL);
	f = open_memstream(&text, &size);
	ck_assert_int_eq(detect_run(ctx, false, f), 0);
	fclose(f);
	fake_systemd_stop(sd);
	fake_bus_stop(bus);
	ck_assert_ptr_nonnull(strstr(text, "\nunits = networking.service netbird.service wg-quick@wg0.service\n"));
	ck_assert_ptr_nonnull(strstr(text, "# Running VPN agents that bind to interfaces come after"));
	free(text);
}
END_TEST

#define STORAGE_CFG                                                                                \
	"dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,snippets\n\n"                       \
	"lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n"

/* The HP host before the split, its VM 100 (the seed's config) with the hookscript line given. */
static void hp_with_vm(const char *hookscript_line)
{
	_cleanup_(freep) char *src = NULL, *text = NULL, *conf = NULL;
	const char *dir = getenv("IGD_TEST_SRCDIR");

	ck_assert_int_eq(fixture_build_named(root, "hp-elitedesk-800-g4"), 0);
	ck_assert_int_ge(asprintf(&src, "%s/fixtures/pve/hp-elitedesk-100.conf", dir && *dir ? dir : "test"), 0);
	text = tu_read_file(src);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_ge(asprintf(&conf, "%s%s", hookscript_line, text), 0);
	tu_write_file(root, "etc/pve/qemu-server/100.conf", conf);
	tu_write_file(root, "etc/pve/storage.cfg", STORAGE_CFG);
	tu_write_file(root, "etc/hostname", "pve\n");
	config_done(&cfg);
	ck_assert_int_eq(config_parse_string(ctx, "test", "[regroup]\nfunctions = 0000:00:1f.0 0000:00:1f.3 "
							  "0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"
							  "[vfio]\ndevices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n"
							  "[hook]\nvmids = 100\n",
					   &cfg),
			 0);
}

static const struct check_item *item_n(const char *name, size_t n)
{
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.items[i].name, name) == 0 && n-- == 0)
			return &rep.items[i];
	return NULL;
}

START_TEST(vm_without_a_hookscript)
{
	const struct check_item *it;

	hp_with_vm("");
	ck_assert_int_eq(check_vms(ctx, &cfg, &rep), 0);
	/* before the split 1f.3 shares its group with the host's NIC: pre-start would refuse */
	it = item("vm");
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_msg(strncmp(it->message, "VM 100: pre-start would refuse the start: ", 42) == 0, "%s", it->message);
	ck_assert_ptr_nonnull(strstr(it->message, "(igd-regroup vm 100 shows everything)"));
	it = item("hook");
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_str_eq(it->message, "VM 100 has no hookscript: igd-regroup install-hook, then qm set 100 "
				      "--hookscript local:snippets/igd-regroup-hook");
}
END_TEST

START_TEST(vm_with_the_guides_hookscript)
{
	const struct check_item *it;

	hp_with_vm("hookscript: local:snippets/vm100-hooks.sh\n");
	/* the seed's snippet: pre-stop sources passthrough-tweak.sh */
	tu_write_file(root, "var/lib/vz/snippets/vm100-hooks.sh",
		      "#!/usr/bin/bash\nvmId=\"$1\"\nrunPhase=\"$2\"\ncase \"$runPhase\" in\n"
		      "    pre-stop)\n      source /root/passthrough-tweak.sh\n      ;;\nesac\n");
	tu_write_file(root, "root/passthrough-tweak.sh",
		      "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.3/remove\n"
		      "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.6/remove\n"
		      "echo 1 > /sys/bus/pci/rescan\nsystemctl restart networking\n");
	ck_assert_int_eq(check_vms(ctx, &cfg, &rep), 0);
	it = item("leftover");
	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_str_eq(it->message,
			 "VM 100's hookscript local:snippets/vm100-hooks.sh (/var/lib/vz/snippets/vm100-hooks.sh) runs "
			 "/root/passthrough-tweak.sh, which removes 0000:00:1f.3, 0000:00:1f.6 and rescans the PCI bus, and "
			 "restarts networking: the guides' reset, which cycles the PCH and the NIC at every stop; "
			 "attach igd-regroup's instead: qm set 100 --hookscript local:snippets/igd-regroup-hook");
	ck_assert_ptr_null(item("hook"));
}
END_TEST

START_TEST(vm_with_our_hookscript)
{
	const struct check_item *it;

	hp_with_vm("hookscript: local:snippets/igd-regroup-hook\n");
	ck_assert_int_eq(check_vms(ctx, &cfg, &rep), 0);
	it = item("hook");
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_str_eq(it->message, "VM 100's hookscript local:snippets/igd-regroup-hook is not there "
				      "(/var/lib/vz/snippets/igd-regroup-hook: No such file or directory): "
				      "igd-regroup install-hook local");
	check_report_done(&rep);
	tu_write_file_mode(root, "var/lib/vz/snippets/igd-regroup-hook", "#!/bin/sh\n", 0755);
	ck_assert_int_eq(check_vms(ctx, &cfg, &rep), 0);
	it = item("hook");
	ck_assert_int_eq(it->status, CHECK_OK);
	ck_assert_str_eq(it->message, "VM 100 runs igd-regroup's hookscript (/var/lib/vz/snippets/igd-regroup-hook)");
	/* and an unknown VM of [hook] vmids says so */
	check_report_done(&rep);
	config_done(&cfg);
	ck_assert_int_eq(config_parse_string(ctx, "test", "[hook]\nvmids = 100 104\n", &cfg), 0);
	ck_assert_int_eq(check_vms(ctx, &cfg, &rep), 0);
	it = item_n("vm", 1);
	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(it->status, CHECK_WARN);
	ck_assert_msg(strncmp(it->message, "VM 104 of [hook] vmids: ", 24) == 0, "%s", it->message);
}
END_TEST

static Suite *doctor_suite(void)
{
	Suite *s = suite_create("doctor");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vfio_pci_at_boot);
	tcase_add_test(tc, quiet_prints_only_warnings_and_failures);
	tcase_add_test(tc, group_warning_leaves_bridges_aside);
	tcase_add_test(tc, boot_unit_enabled_and_its_last_run);
	tcase_add_test(tc, detect_adds_the_running_vpn_agents);
	tcase_add_test(tc, vm_without_a_hookscript);
	tcase_add_test(tc, vm_with_the_guides_hookscript);
	tcase_add_test(tc, vm_with_our_hookscript);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(doctor_suite)
