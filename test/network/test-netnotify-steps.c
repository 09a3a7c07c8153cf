/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network notifier's decisions on result literals, without a bus or a
 * tree: which step took the longest (the one the timeout line blames), the
 * steps' names, the line itself with each step's time, and when the host
 * network counts as back.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "network/netnotify_internal.h"
#include "testutil.h"

static struct netnotify_unit two_units[] = {
	{ .name = "networking.service" },
	{ .name = "frr.service" },
};

static struct netnotify_nic one_nic[] = {
	{ .addr = { .domain = 0, .bus = 0, .dev = 0x1f, .func = 6, .has_func = true },
	  .ifname_recorded = "eno1",
	  .ifname = "eno1",
	  .bridge = "vmbr0" },
};

static struct netnotify_result result(void)
{
	two_units[0] = (struct netnotify_unit){ .name = "networking.service" };
	two_units[1] = (struct netnotify_unit){ .name = "frr.service" };
	one_nic[0].verified = false;
	return (struct netnotify_result){ .action = NET_ACTION_RELOAD,
					  .units = two_units,
					  .n_units = 2,
					  .nics = one_nic,
					  .n_nics = 1,
					  .wait_interface = "vmbr0",
					  .timeout_ms = 2000 };
}

START_TEST(longest_step_nic_wait_wins_ties)
{
	struct netnotify_result res = result();
	size_t unit = 99;
	uint64_t ms = 99;

	res.ms_wait = 500;
	res.ms_verify = 500;
	two_units[0] = (struct netnotify_unit){ .name = "networking.service", .asked = true, .ms = 500 };
	ck_assert_int_eq(netnotify_longest_step(&res, &unit, &ms), NETNOTIFY_STEP_WAIT);
	ck_assert_uint_eq(unit, 0);
	ck_assert_uint_eq(ms, 500);

	/* nothing ran at all: still the NIC wait, 0 ms */
	res = result();
	ck_assert_int_eq(netnotify_longest_step(&res, &unit, &ms), NETNOTIFY_STEP_WAIT);
	ck_assert_uint_eq(ms, 0);
}
END_TEST

START_TEST(longest_step_a_unit_or_the_check)
{
	struct netnotify_result res = result();
	size_t unit = 99;
	uint64_t ms = 0;

	res.ms_wait = 100;
	res.ms_verify = 300;
	two_units[0] = (struct netnotify_unit){ .name = "networking.service", .asked = true, .ms = 200 };
	two_units[1] = (struct netnotify_unit){ .name = "frr.service", .asked = true, .ms = 1500 };
	ck_assert_int_eq(netnotify_longest_step(&res, &unit, &ms), NETNOTIFY_STEP_UNIT);
	ck_assert_uint_eq(unit, 1);
	ck_assert_uint_eq(ms, 1500);

	res.ms_verify = 1501;
	ck_assert_int_eq(netnotify_longest_step(&res, &unit, &ms), NETNOTIFY_STEP_CHECK);
	ck_assert_uint_eq(ms, 1501);
}
END_TEST

START_TEST(longest_step_ignores_units_not_asked)
{
	struct netnotify_result res = result();
	size_t unit = 99;
	uint64_t ms = 0;

	res.ms_wait = 10;
	/* a time without a request (never set by the run, but not to be trusted either) */
	two_units[1] = (struct netnotify_unit){ .name = "frr.service", .ms = 900, .error = -ETIMEDOUT };
	ck_assert_int_eq(netnotify_longest_step(&res, &unit, &ms), NETNOTIFY_STEP_WAIT);
	ck_assert_uint_eq(ms, 10);
}
END_TEST

START_TEST(step_names)
{
	struct netnotify_result res = result();
	char *s;

	s = netnotify_step_name(&res, NETNOTIFY_STEP_WAIT, 0);
	ck_assert_str_eq(s, "the NIC wait");
	free(s);
	s = netnotify_step_name(&res, NETNOTIFY_STEP_UNIT, 1);
	ck_assert_str_eq(s, "the reload of frr.service");
	free(s);
	res.action = NET_ACTION_RESTART;
	s = netnotify_step_name(&res, NETNOTIFY_STEP_UNIT, 0);
	ck_assert_str_eq(s, "the restart of networking.service");
	free(s);
	s = netnotify_step_name(&res, NETNOTIFY_STEP_CHECK, 0);
	ck_assert_str_eq(s, "the check of the network");
	free(s);
	s = netnotify_step_name(&res, NETNOTIFY_STEP_NONE, 0);
	ck_assert_str_eq(s, "nothing");
	free(s);
}
END_TEST

START_TEST(time_spent_line)
{
	_cleanup_(freep) char *root = tu_mkdtemp();
	struct tu_log log = {};
	struct igd_ctx *ctx = tu_ctx_new(root, &log);
	struct netnotify_result res = result();

	res.ms_wait = 300;
	res.ms_verify = 0;
	res.ran_out = NETNOTIFY_STEP_UNIT;
	res.ran_out_unit = 0;
	two_units[0] = (struct netnotify_unit){
		.name = "networking.service", .asked = true, .ms = 1700, .error = -ETIMEDOUT
	};
	two_units[1] = (struct netnotify_unit){ .name = "frr.service", .error = -ETIMEDOUT };
	netnotify_log_time_spent(ctx, &res);
	ck_assert_uint_eq(tu_log_lines(&log), 1);
	ck_assert_msg(tu_log_contains(&log,
				      "[network] timeout_ms (2000 ms, for the whole run) ran out during the "
				      "reload of networking.service; the reload of networking.service took "
				      "the longest (1700 ms). Time per step: NIC wait 300 ms, reload of "
				      "networking.service 1700 ms (cut off), reload of frr.service not "
				      "started, check 0 ms. Check `journalctl -u networking.service`, or "
				      "raise [network] timeout_ms in "),
		      "%s", log.buf ? log.buf : "(empty)");

	/* the NIC wait took the longest: the hint names the NIC */
	tu_log_reset(&log);
	res.ms_wait = 1800;
	netnotify_log_time_spent(ctx, &res);
	ck_assert_msg(tu_log_contains(&log, "; the NIC wait took the longest (1800 ms). ") &&
			  tu_log_contains(&log, "Check why 0000:00:1f.6 (eno1) was slow to come back "
						"(dmesg, `journalctl -u systemd-udevd`), or raise"),
		      "%s", log.buf ? log.buf : "(empty)");

	/* the check: the hint names the interface and the bridge */
	tu_log_reset(&log);
	res.ms_verify = 1900;
	netnotify_log_time_spent(ctx, &res);
	ck_assert_msg(tu_log_contains(&log, "Check `ip link show vmbr0` and the bridge-ports line of "
					    "vmbr0, or raise"),
		      "%s", log.buf ? log.buf : "(empty)");

	igd_ctx_free(ctx);
	tu_log_reset(&log);
	tu_rm_rf(root);
}
END_TEST

START_TEST(network_back_needs_every_nic_and_the_interface)
{
	struct netnotify_result res = result();

	ck_assert(!netnotify_network_back(&res));
	res.interface_up = true;
	ck_assert(!netnotify_network_back(&res)); /* the NIC is not in place */
	one_nic[0].verified = true;
	ck_assert(netnotify_network_back(&res));
	res.interface_up = false;
	ck_assert(!netnotify_network_back(&res));
	res.wait_interface = NULL; /* none to wait for */
	ck_assert(netnotify_network_back(&res));
}
END_TEST

static Suite *netnotify_steps_suite(void)
{
	Suite *s = suite_create("netnotify-steps");
	TCase *tc = tcase_create("time");

	tcase_add_test(tc, longest_step_nic_wait_wins_ties);
	tcase_add_test(tc, longest_step_a_unit_or_the_check);
	tcase_add_test(tc, longest_step_ignores_units_not_asked);
	tcase_add_test(tc, step_names);
	tcase_add_test(tc, time_spent_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdict");
	tcase_add_test(tc, network_back_needs_every_nic_and_the_interface);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(netnotify_steps_suite)
