/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guides' leftovers: the seed's two @reboot jobs (the one-line remove and
 * rescan of 1f.3, and passthrough-tweak.sh with its networking restart), the
 * system crontabs' user field, what is not a leftover, and check's lines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "admin/checks.h"
#include "admin/leftovers.h"
#include "core/macro.h"
#include "testutil.h"

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct leftovers l;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
}

static void teardown(void)
{
	leftovers_done(&l);
	tu_root_teardown(&root, &ctx, &logbuf);
}

/* What one line does: "pci net 0000:00:1f.3 ..." */
static char *scan(const char *line)
{
	bool pci = false, net = false;
	_cleanup_(freep) struct pci_addr *v = NULL;
	size_t n = 0;
	char *s = NULL;
	size_t size = 0;
	FILE *f;

	ck_assert_int_eq(leftovers_scan_line(line, &pci, &net, &v, &n), 0);
	f = open_memstream(&s, &size);
	fprintf(f, "%s %s", pci ? "pci" : "-", net ? "net" : "-");
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", PCI_ADDR_STR(&v[i]));
	fclose(f);
	return s;
}

#define ASSERT_SCAN(line, want)                                                                    \
	do {                                                                                       \
		_cleanup_(freep) char *got_ = scan(line);                                          \
		ck_assert_str_eq(got_, want);                                                      \
	} while (0)

START_TEST(lines)
{
	/* the seed's first job: escaped colons, as the write-up has them */
	ASSERT_SCAN("echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.3/remove && echo 1 > /sys/bus/pci/rescan",
		    "pci - 0000:00:1f.3");
	ASSERT_SCAN("echo 1 > \"/sys/bus/pci/devices/0000:00:1f.6/remove\"", "pci - 0000:00:1f.6");
	ASSERT_SCAN("echo 1 > /sys/devices/pci0000:00/0000:00:1f.0/remove", "pci - 0000:00:1f.0");
	ASSERT_SCAN("echo 1 > /sys/bus/pci/devices/$dev/remove", "pci -");
	ASSERT_SCAN("echo 1 | tee /sys/bus/pci/rescan", "pci -");
	ASSERT_SCAN("systemctl restart networking", "- net");
	ASSERT_SCAN("systemctl restart networking.service; systemctl restart netbird", "- net");
	ASSERT_SCAN("ifreload -a", "- net");
	ASSERT_SCAN("/etc/init.d/networking restart", "- net");
	/* not leftovers */
	ASSERT_SCAN("# echo 1 > /sys/bus/pci/rescan", "- -");
	ASSERT_SCAN("systemctl restart netbird", "- -");
	ASSERT_SCAN("rm -f /tmp/remove", "- -");
	ASSERT_SCAN("systemctl status networking", "- -");
}
END_TEST

START_TEST(seed_one_line_job)
{
	tu_write_file(root, "var/spool/cron/crontabs/root",
		      "# m h  dom mon dow   command\n"
		      "@reboot echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.3/remove && echo 1 > /sys/bus/pci/rescan\n");
	ck_assert_int_eq(leftovers_cron(ctx, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].where, "/var/spool/cron/crontabs/root:2");
	ck_assert_ptr_null(l.v[0].script);
	ck_assert(l.v[0].pci && !l.v[0].network);
	ck_assert_uint_eq(l.v[0].n_removes, 1);
	ck_assert_str_eq(PCI_ADDR_STR(&l.v[0].removes[0]), "0000:00:1f.3");
}
END_TEST

static const char tweak[] = "#!/usr/bin/bash\n"
			    "\n"
			    "#\n"
			    "# put `0:1f.*` into separate iommu groups\n"
			    "#\n"
			    "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.0/remove\n"
			    "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.3/remove\n"
			    "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.4/remove\n"
			    "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.5/remove\n"
			    "echo 1 > /sys/bus/pci/devices/0000\\:00\\:1f.6/remove\n"
			    "echo 1 > /sys/bus/pci/rescan\n"
			    "\n"
			    "#\n"
			    "# `0:1f.6` is NIC. Need restart networking\n"
			    "#\n"
			    "systemctl restart networking\n"
			    "systemctl restart netbird\n"
			    "\n"
			    "sleep 10\n";

START_TEST(seed_script_followed_one_level)
{
	_cleanup_(freep) char *what = NULL;

	tu_write_file(root, "var/spool/cron/crontabs/root", "@reboot /root/passthrough-tweak.sh\n");
	tu_write_file(root, "root/passthrough-tweak.sh", tweak);
	ck_assert_int_eq(leftovers_cron(ctx, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].script, "/root/passthrough-tweak.sh");
	ck_assert(l.v[0].pci && l.v[0].network);
	what = leftover_describe(&l.v[0]);
	ck_assert_str_eq(what, "removes 0000:00:1f.0, 0000:00:1f.3, 0000:00:1f.4, 0000:00:1f.5, 0000:00:1f.6 "
			       "and rescans the PCI bus, and restarts networking");
}
END_TEST

START_TEST(system_crontabs_need_root_and_reboot)
{
	tu_write_file(root, "etc/crontab",
		      "SHELL=/bin/sh\n"
		      "17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n"
		      "@reboot nobody echo 1 > /sys/bus/pci/rescan\n"
		      "@reboot\troot\tbash /root/passthrough-tweak.sh\n");
	tu_write_file(root, "root/passthrough-tweak.sh", tweak);
	tu_write_file(root, "etc/cron.d/pve-net", "@reboot root systemctl restart networking\n");
	tu_write_file(root, "etc/cron.d/skipped.dpkg-old", "@reboot root ifreload -a\n");
	/* a time-based job is not the guides' boot job */
	tu_write_file(root, "var/spool/cron/crontabs/root", "0 4 * * * echo 1 > /sys/bus/pci/rescan\n");
	ck_assert_int_eq(leftovers_cron(ctx, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].where, "/etc/crontab:4");
	ck_assert_str_eq(l.v[0].command, "bash /root/passthrough-tweak.sh");
	ck_assert_uint_eq(l.v[0].n_removes, 5);
	ck_assert_str_eq(l.v[1].where, "/etc/cron.d/pve-net:1");
	ck_assert(!l.v[1].pci && l.v[1].network);
}
END_TEST

START_TEST(none)
{
	/* no crontab at all, a harmless one, a script that is a binary */
	ck_assert_int_eq(leftovers_cron(ctx, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	tu_write_file(root, "var/spool/cron/crontabs/root", "@reboot /usr/local/bin/tool\n@reboot /root/x\n");
	tu_write_file(root, "usr/local/bin/tool", "ELF\001\002\000/sys/bus/pci/rescan\n");
	tu_write_file(root, "root/x", "#!/bin/sh\nlogger booted\n");
	ck_assert_int_eq(leftovers_cron(ctx, &l), 0);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(check_lines)
{
	struct check_report r = {};

	ck_assert_int_eq(check_leftovers(ctx, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.items[0].status, CHECK_OK);
	check_report_done(&r);

	tu_write_file(root, "var/spool/cron/crontabs/root", "@reboot /root/passthrough-tweak.sh\n");
	tu_write_file(root, "root/passthrough-tweak.sh", tweak);
	ck_assert_int_eq(check_leftovers(ctx, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.items[0].status, CHECK_WARN);
	ck_assert_str_eq(r.items[0].name, "leftover");
	ck_assert_str_eq(r.items[0].message,
			 "/var/spool/cron/crontabs/root:1: @reboot job '/root/passthrough-tweak.sh' runs "
			 "/root/passthrough-tweak.sh, which removes 0000:00:1f.0, 0000:00:1f.3, 0000:00:1f.4, "
			 "0000:00:1f.5, 0000:00:1f.6 and rescans the PCI bus, and restarts networking: it runs "
			 "after the network is up, on top of igd-regroup.service, and cycles the PCH (and the "
			 "NIC) again; remove the line (crontab -e)");
	check_report_done(&r);
}
END_TEST

static Suite *leftovers_suite(void)
{
	Suite *s = suite_create("leftovers");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lines);
	tcase_add_test(tc, seed_one_line_job);
	tcase_add_test(tc, seed_script_followed_one_level);
	tcase_add_test(tc, system_crontabs_need_root_and_reboot);
	tcase_add_test(tc, none);
	tcase_add_test(tc, check_lines);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(leftovers_suite)
