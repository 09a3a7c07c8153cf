/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network notifier against a private D-Bus (dbus-daemon with a config of
 * its own, DBUS_SYSTEM_BUS_ADDRESS) and a fake systemd on it (fake_systemd.h):
 * the notifier talks to it exactly as to the host's. In the success cases
 * the fake "brings the network back" the way ifreload does, by rewriting
 * the fixture tree (the NIC up and a port of vmbr0 again) before its
 * JobRemoved; where the network must not come back, it does not. A busy
 * PID 1 (the question whether a job still exists answered late or with an
 * error) must not fail a unit whose JobRemoved comes. The clock: each
 * step's own time, the step that took the longest named when
 * [network] timeout_ms runs out, and the downtime from the NIC's removal
 * (the engine's record) to the moment it is back in its bridge with
 * carrier, not to the end of the last unit's job. Also the engine's
 * StartUnit reaching the fake, and the program's exit status, output and
 * sd_notify STATUS= lines.
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/lock.h"
#include "core/time_util.h"
#include "engine/engine.h"
#include "fake_systemd.h"
#include "fixture.h"
#include "network/netnotify.h"
#include "sim.h"
#include "testutil.h"

/* The onboard NIC after the engine re-added it: back, but down and in no bridge; vmbr0 without a port. */
#define TOPO                                                                                       \
	"vendor 8086 Intel Corporation\n"                                                          \
	"name 8086:15bb Ethernet Connection (7) I219-LM\n"                                         \
	"device 0000:00:1f.6 8086:15bb sub=103c:83e2 class=020000 rev=10 group=9 driver=e1000e\n"  \
	"net lo virtual state=unknown flags=0x9 carrier=1\n"                                       \
	"net vmbr0 virtual state=down flags=0x1003 carrier=0\n"                                    \
	"net eno1 dev=0000:00:1f.6 state=down\n"

/* What `ifreload -a` does to it; and the same before the link is up. */
#define BACK                                                                                       \
	"net vmbr0 virtual state=up flags=0x1003 carrier=1\n"                                      \
	"net eno1 dev=0000:00:1f.6 state=up flags=0x1303 carrier=1 master=vmbr0\n"

#define BACK_NO_CARRIER                                                                            \
	"net vmbr0 virtual state=up flags=0x1003 carrier=1\n"                                      \
	"net eno1 dev=0000:00:1f.6 state=up flags=0x1303 carrier=0 master=vmbr0\n"

#define NET_CONFIG                                                                                 \
	"[network]\n"                                                                              \
	"units = %s\n"                                                                             \
	"action = %s\n"                                                                            \
	"wait_interface = vmbr0\n"                                                                 \
	"timeout_ms = %u\n"

#define HP_CONFIG                                                                                  \
	"[regroup]\n"                                                                              \
	"functions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"           \
	"timeout_ms = 5000\n"                                                                      \
	"[vfio]\n"                                                                                 \
	"devices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n"

/* Generous where the run ends early on success; short where the timeout is the point. */
#define LONG_MS 20000u
#define SHORT_MS 1000u

static char *root, *busdir, *conf, *out, *err;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct igd_config cfg;
static struct netnotify_result res;
static struct engine_result eres;
static struct fake_bus *bus;
static struct fake_systemd *fake;
static atomic_int brought_back;
static _Atomic uint64_t brought_back_usec, carrier_usec; /* CLOCK_BOOTTIME, when the fake did it */

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
	busdir = tu_mkdtemp();
	conf = tu_path(busdir, "igd-regroup.conf");
	ck_assert_int_eq(fixture_build(root, TOPO), 0);
	atomic_store(&brought_back, 0);
	atomic_store(&brought_back_usec, 0);
	atomic_store(&carrier_usec, 0);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

static void teardown(void)
{
	fake_systemd_stop(fake);
	fake_bus_stop(bus);
	fake = NULL;
	bus = NULL;
	sim_stop();
	netnotify_result_done(&res);
	engine_result_done(&eres);
	config_done(&cfg);
	tu_root_teardown(&root, &ctx, &logbuf);
	tu_rm_rf(busdir);
	free(busdir);
	free(conf);
	free(out);
	free(err);
	busdir = conf = out = err = NULL;
}

static void assert_logged(const char *needle)
{
	ck_assert_msg(tu_log_contains(&logbuf, needle), "expected in the log: '%s'\nlog:\n%s", needle,
		      logbuf.buf ? logbuf.buf : "(empty)");
}

static void assert_not_logged(const char *needle)
{
	ck_assert_msg(!tu_log_contains(&logbuf, needle), "not expected in the log: '%s'\nlog:\n%s",
		      needle, logbuf.buf ? logbuf.buf : "(empty)");
}

static void assert_has(const char *hay, const char *needle)
{
	ck_assert_msg(hay && strstr(hay, needle), "expected '%s' in:\n%s", needle, hay ? hay : "(null)");
}

/* The config, both parsed for in-process runs and written for the program. */
static void load_config(const char *extra, const char *units, const char *action, unsigned timeout_ms)
{
	_cleanup_(freep) char *text = NULL;

	ck_assert_int_ge(asprintf(&text, "%s" NET_CONFIG, extra ? extra : "", units, action, timeout_ms), 0);
	config_done(&cfg);
	ck_assert_int_eq(config_parse_string(ctx, "test.conf", text, &cfg), 0);
	tu_write_file(busdir, "igd-regroup.conf", text);
}

/* The engine's record: the NIC was removed ago_ms milliseconds ago. */
static void record(const char *ifname, const char *bridge, uint64_t ago_ms)
{
	_cleanup_(freep) char *line = NULL;

	ck_assert_int_ge(asprintf(&line, "0000:00:1f.6 %s %s %llu\n", ifname, bridge,
				  (unsigned long long)(boottime_usec() - ago_ms * 1000u)),
			 0);
	tu_write_file(root, "run/igd-regroup/cycled-nics", line);
}

static bool record_exists(void)
{
	_cleanup_(freep) char *p = tu_path(root, "run/igd-regroup/cycled-nics");

	return access(p, F_OK) == 0;
}

/* The fake's job did its work: networking.service brings the NIC back into vmbr0. */
static void bring_back(void *userdata, const char *method, const char *unit)
{
	if (strcmp(unit, "networking.service") != 0 || strcmp(method, "StartUnit") == 0)
		return;
	atomic_store(&brought_back_usec, boottime_usec()); /* the NIC is back from now on */
	ck_assert_int_eq(fixture_build(userdata, BACK), 0);
	atomic_fetch_add(&brought_back, 1);
}

/* networking.service puts the NIC into vmbr0 before its link is up; netbird's job is when the link comes up. */
static void bring_back_link_later(void *userdata, const char *method, const char *unit)
{
	if (strcmp(unit, "networking.service") == 0) {
		atomic_store(&brought_back_usec, boottime_usec());
		ck_assert_int_eq(fixture_build(userdata, BACK_NO_CARRIER), 0);
	} else if (strcmp(unit, "netbird.service") == 0) {
		atomic_store(&carrier_usec, boottime_usec());
		ck_assert_int_eq(fixture_build(userdata, BACK), 0);
	}
}

static void start_fake(const struct fake_unit *units, size_t n, fake_job_fn fn)
{
	bus = fake_bus_start(busdir);
	fake = fake_systemd_start(fake_bus_address(bus), units, n, fn, root);
}

static char *calls(void)
{
	return fake_systemd_calls(fake);
}

static int run(void)
{
	struct netnotify_options o = { .lock_timeout_ms = 5000 };

	netnotify_result_done(&res);
	return netnotify_run(ctx, &cfg, &o, &res);
}

static const struct fake_unit networking_done[] = { { .name = "networking.service", .result = "done" } };

/* ---- the notifier ---- */

START_TEST(reload_brings_the_network_back)
{
	_cleanup_(freep) char *c = NULL;

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 1500);
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert_int_eq(netnotify_exit_status(&res), 0);
	c = calls();
	ck_assert_str_eq(c, "ReloadOrRestartUnit networking.service replace\n");
	ck_assert_int_eq(atomic_load(&brought_back), 1);
	ck_assert_uint_eq(res.n_units, 1);
	ck_assert_str_eq(res.units[0].result, "done");
	ck_assert_int_eq(res.units[0].error, 0);
	ck_assert_uint_eq(res.n_nics, 1);
	ck_assert(res.nics[0].back);
	ck_assert(res.nics[0].verified);
	ck_assert_str_eq(res.nics[0].ifname, "eno1");
	ck_assert(res.interface_up);
	/* removal -> verified: at least the 1.5 s before the run */
	ck_assert_uint_ge(res.nics[0].downtime_ms, 1500);
	ck_assert_uint_lt(res.nics[0].downtime_ms, 1500 + LONG_MS);
	assert_logged("networking.service: reload done.");
	assert_logged("eno1 (0000:00:1f.6) is back in vmbr0: the host network was away for ");
	ck_assert(!record_exists());

	/* a second run finds nothing to do and asks systemd for nothing */
	tu_log_reset(&logbuf);
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_NOTHING);
	assert_logged("Nothing to do:");
	free(c);
	c = calls();
	ck_assert_str_eq(c, "ReloadOrRestartUnit networking.service replace\n");
}
END_TEST

START_TEST(restart_uses_restartunit)
{
	_cleanup_(freep) char *c = NULL;

	load_config(NULL, "networking.service", "restart", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	c = calls();
	ck_assert_str_eq(c, "RestartUnit networking.service replace\n");
	assert_logged("restarting is disruptive");
	assert_logged("networking.service: restart done.");
}
END_TEST

START_TEST(units_in_order)
{
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .result = "done" },
		{ .name = "netbird.service", .result = "done", .delay_ms = 50 },
	};
	_cleanup_(freep) char *c = NULL;

	load_config(NULL, "networking.service netbird.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, ELEMENTSOF(units), bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	c = calls();
	ck_assert_str_eq(c, "ReloadOrRestartUnit networking.service replace\n"
			    "ReloadOrRestartUnit netbird.service replace\n");
	ck_assert_str_eq(res.units[1].result, "done");
}
END_TEST

START_TEST(job_removed_later_is_waited_for)
{
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .result = "done", .delay_ms = 300 },
	};

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert_uint_ge(res.ms_units, 300);
	ck_assert_uint_lt(res.ms_units, LONG_MS);
}
END_TEST

START_TEST(job_failed)
{
	static const struct fake_unit units[] = { { .name = "networking.service", .result = "failed" } };

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, NULL);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	ck_assert_int_eq(netnotify_exit_status(&res), 1);
	ck_assert_str_eq(res.units[0].result, "failed");
	assert_logged("3|The reload of networking.service ended with result 'failed', not 'done'. "
		      "See `journalctl -u networking.service`");
	/* one look at the network, no waiting out the timeout */
	ck_assert_uint_lt(res.ms_verify, LONG_MS / 2);
	assert_logged("vmbr0 is not up (down) after the units' jobs");
	assert_logged("The host network is not back;");
	ck_assert(record_exists());
}
END_TEST

START_TEST(unit_not_found)
{
	_cleanup_(freep) char *c = NULL;

	load_config(NULL, "networking.service nosuch.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	ck_assert_int_eq(res.units[0].error, 0);
	ck_assert_int_eq(res.units[1].error, -ENOENT);
	ck_assert_ptr_null(res.units[1].result);
	c = calls();
	ck_assert_str_eq(c, "ReloadOrRestartUnit networking.service replace\n"
			    "ReloadOrRestartUnit nosuch.service replace\n");
	assert_logged("nosuch.service does not exist on this host (systemd: Unit nosuch.service not "
		      "found.). Check [network] units in");
	assert_logged("The host network is back, but a unit failed;");
	ck_assert(record_exists());
}
END_TEST

START_TEST(no_job_removed_times_out)
{
	static const struct fake_unit units[] = { { .name = "networking.service" } };
	uint64_t t0 = now_ms();

	load_config(NULL, "networking.service", "reload", SHORT_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, NULL);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	ck_assert_int_eq(res.units[0].error, -ETIMEDOUT);
	ck_assert_uint_ge(now_ms() - t0, SHORT_MS);
	ck_assert_int_eq(res.ran_out, NETNOTIFY_STEP_UNIT);
	ck_assert_uint_eq(res.ran_out_unit, 0);
	assert_logged("The reload of networking.service (job /org/freedesktop/systemd1/job/1) had not "
		      "ended after ");
	assert_logged(" ms, when [network] timeout_ms ran out. Check `systemctl list-jobs`");
	/* the job had nearly all of the time: it is the one named */
	assert_logged("[network] timeout_ms (1000 ms, for the whole run) ran out during the reload of "
		      "networking.service; the reload of networking.service took the longest (");
	assert_logged("Check `journalctl -u networking.service`, or raise [network] timeout_ms in");
	ck_assert(record_exists());
}
END_TEST

START_TEST(job_gone_without_signal)
{
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .vanish = true, .active_state = "active" },
	};

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	/* not waited for: the network check decides */
	ck_assert_uint_lt(res.ms_units, LONG_MS / 2);
	ck_assert(res.units[0].gone);
	ck_assert_ptr_null(res.units[0].result);
	assert_logged("ended without its JobRemoved signal reaching us: its result is unknown (the "
		      "unit is active)");
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
}
END_TEST

START_TEST(nic_never_reappears)
{
	_cleanup_(freep) char *c = NULL;
	_cleanup_(freep) char *dev = tu_path(root, "sys/bus/pci/devices/0000:00:1f.6");

	load_config(NULL, "networking.service", "reload", SHORT_MS);
	record("eno1", "vmbr0", 10);
	ck_assert_int_eq(unlink(dev), 0); /* removed, never rescanned */
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	ck_assert(!res.nics[0].back);
	assert_logged("0000:00:1f.6 (eno1) did not come back within 1000 ms ([network] timeout_ms)");
	assert_logged("Not reloading networking.service: the NIC is not back.");
	c = calls();
	ck_assert_str_eq(c, "");
	ck_assert(record_exists());
}
END_TEST

START_TEST(interface_never_comes_up)
{
	load_config(NULL, "networking.service", "reload", SHORT_MS);
	record("eno1", "vmbr0", 10);
	start_fake(networking_done, 1, NULL); /* done, and nothing changed */

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	ck_assert_int_eq(res.error, -ETIMEDOUT);
	ck_assert_str_eq(res.units[0].result, "done");
	ck_assert(!res.interface_up);
	ck_assert(!res.nics[0].verified);
	assert_logged("vmbr0 is not up (down) after the units' jobs: check `ip link show vmbr0`");
	assert_logged("eno1 (0000:00:1f.6) is not a port of vmbr0 after the units' jobs (it was before "
		      "the removal; now in no bridge)");
	ck_assert(record_exists());
}
END_TEST

START_TEST(renamed_by_udev)
{
	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eth0", "vmbr0", 10);
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert_str_eq(res.nics[0].ifname_recorded, "eth0");
	ck_assert_str_eq(res.nics[0].ifname, "eno1");
	assert_logged("0000:00:1f.6 came back as eno1, not eth0 (udev named it so): using eno1.");
}
END_TEST

static void *write_udev_later(void *p)
{
	sleep_ms(1000);
	tu_write_file(root, "run/udev/data/n7", "I:1\n");
	tu_write_file(root, "run/udev/data/+pci:0000:00:1f.6", "I:1\n");
	return p;
}

START_TEST(waits_for_udev)
{
	pthread_t t;

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	tu_write_file(root, "run/udev/control", "");
	tu_write_file(root, "sys/class/net/eno1/ifindex", "7\n");
	start_fake(networking_done, 1, bring_back);
	ck_assert_int_eq(pthread_create(&t, NULL, write_udev_later, NULL), 0);

	ck_assert_int_eq(run(), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	/* the writer started just before the run: most of its 1000 ms were waited for
	   (the run's start, under valgrind, can take a few hundred) */
	ck_assert_uint_ge(res.ms_wait, 500);
}
END_TEST

START_TEST(udev_never_finishes)
{
	_cleanup_(freep) char *c = NULL;

	load_config(NULL, "networking.service", "reload", SHORT_MS);
	record("eno1", "vmbr0", 10);
	tu_write_file(root, "run/udev/control", "");
	tu_write_file(root, "sys/class/net/eno1/ifindex", "7\n");
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	assert_logged("udev did not finish with 0000:00:1f.6 (eno1) within 1000 ms");
	c = calls();
	ck_assert_str_eq(c, "");
}
END_TEST

START_TEST(record_missing_or_empty)
{
	load_config(NULL, "networking.service", "reload", LONG_MS);
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_NOTHING);
	ck_assert_int_eq(netnotify_exit_status(&res), 0);
	assert_logged("Nothing to do:");

	tu_write_file(root, "run/igd-regroup/cycled-nics", "");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_NOTHING);
	_cleanup_(freep) char *c = calls();
	ck_assert_str_eq(c, "");
}
END_TEST

START_TEST(record_malformed)
{
	load_config(NULL, "networking.service", "reload", LONG_MS);
	tu_write_file(root, "run/igd-regroup/cycled-nics", "0000:00:1f.6 eno1\n");

	ck_assert_int_eq(run(), -EBADMSG);
	assert_logged("cycled-nics:1: malformed record line.");
}
END_TEST

START_TEST(action_none_checks_only)
{
	load_config(NULL, "networking.service", "none", LONG_MS);
	record("eno1", "vmbr0", 10);
	ck_assert_int_eq(fixture_build(root, BACK), 0); /* someone else brought it back */
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	assert_logged("[network] action = none: no unit is reloaded or restarted");
	_cleanup_(freep) char *c = calls();
	ck_assert_str_eq(c, "");
}
END_TEST

START_TEST(not_this_host_without_a_bus)
{
	/* no private bus: the root is a test tree, so the system bus is not touched */
	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	ck_assert_int_eq(fixture_build(root, BACK), 0);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert(res.bus_skipped);
	assert_logged("not reloading networking.service: --root is not this host.");
}
END_TEST

START_TEST(nic_in_no_bridge_must_be_up)
{
	load_config(NULL, "networking.service", "reload", SHORT_MS);
	uint64_t t0;

	tu_write_file(root, "run/igd-regroup/cycled-nics", "0000:00:1f.6 eno1 - 1\n");
	start_fake(networking_done, 1, NULL);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	assert_logged("eno1 (0000:00:1f.6) is not up after the units' jobs");

	/* brought up (no bridge), with vmbr0 up: back */
	load_config(NULL, "networking.service", "reload", LONG_MS);
	ck_assert_int_eq(fixture_build(root, "net vmbr0 virtual state=up flags=0x1003 carrier=1\n"
					     "net eno1 dev=0000:00:1f.6 state=up\n"),
			 0);
	t0 = boottime_usec();
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	/* the removal was in the boot's first microsecond: the downtime says so */
	ck_assert(res.nics[0].downtime_known);
	ck_assert_uint_ge(res.nics[0].downtime_ms, (t0 - 1) / 1000);
}
END_TEST

static struct igd_lock held_lock = IGD_LOCK_NULL;

static void *release_later(void *p)
{
	sleep_ms(200);
	igd_lock_release(&held_lock);
	return p;
}

START_TEST(waits_for_the_lock)
{
	pthread_t t;

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(networking_done, 1, bring_back);
	/* the engine that started us */
	ck_assert_int_eq(igd_lock_take(ctx, 1000, &held_lock), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, release_later, NULL), 0);

	ck_assert_int_eq(run(), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert_uint_ge(res.ms_lock, 150);
	assert_logged("Waiting for the lock");
}
END_TEST

/* ---- a busy PID 1 ---- */

START_TEST(busy_pid1_answers_late)
{
	/* "does the job still exist?" answered after 3 s; the job ends, with its JobRemoved, at 1.2 s */
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .result = "done", .delay_ms = 1200, .probe_delay_ms = 3000 },
	};

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert_uint_ge(fake_systemd_probes(fake), 1);
	ck_assert_int_eq(res.units[0].error, 0);
	ck_assert_str_eq(res.units[0].result, "done");
	ck_assert(!res.units[0].gone);
	/* ended by the JobRemoved, not by the late answer */
	ck_assert_uint_ge(res.units[0].ms, 1200);
	ck_assert_uint_lt(res.units[0].ms, 3000);
	assert_logged("networking.service: reload done.");
	assert_not_logged("had not ended");
	assert_not_logged("ran out");
	ck_assert(!record_exists());
}
END_TEST

START_TEST(busy_pid1_question_fails)
{
	/* every question about the job fails (as sd-bus reports a call that timed out); JobRemoved comes at 2.5 s */
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .result = "done", .delay_ms = 2500,
		  .probe_error = "org.freedesktop.DBus.Error.NoReply" },
	};

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	/* asked again after the failure, and never taken for the job's end */
	ck_assert_uint_ge(fake_systemd_probes(fake), 2);
	ck_assert_int_eq(res.units[0].error, 0);
	ck_assert_str_eq(res.units[0].result, "done");
	ck_assert_uint_ge(res.units[0].ms, 2500);
	assert_logged("networking.service: reload done.");
	assert_not_logged("systemd refused");
	assert_not_logged("Cannot reload");
}
END_TEST

/* ---- the clock ---- */

static void *write_udev_at_1500ms(void *p)
{
	sleep_ms(1500);
	tu_write_file(root, "run/udev/data/n7", "I:1\n");
	tu_write_file(root, "run/udev/data/+pci:0000:00:1f.6", "I:1\n");
	return p;
}

START_TEST(slow_nic_wait_is_blamed)
{
	/* the NIC wait takes about 1500 of the 2000 ms; the reload would take 5 s: it gets the rest */
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .result = "done", .delay_ms = 5000 },
	};
	pthread_t t;

	load_config(NULL, "networking.service", "reload", 2000);
	record("eno1", "vmbr0", 10);
	tu_write_file(root, "run/udev/control", "");
	tu_write_file(root, "sys/class/net/eno1/ifindex", "7\n");
	start_fake(units, 1, bring_back);
	ck_assert_int_eq(pthread_create(&t, NULL, write_udev_at_1500ms, NULL), 0);

	ck_assert_int_eq(run(), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	ck_assert_int_eq(res.units[0].error, -ETIMEDOUT);
	ck_assert_int_eq(res.ran_out, NETNOTIFY_STEP_UNIT);
	/* each step's own time: the NIC wait had most of it */
	ck_assert_uint_ge(res.ms_wait, 1000);
	ck_assert_uint_lt(res.units[0].ms, res.ms_wait);
	/* the unit says how long it ran; the NIC wait is named as where the time went */
	assert_logged("The reload of networking.service (job /org/freedesktop/systemd1/job/1) had not "
		      "ended after ");
	assert_logged("[network] timeout_ms (2000 ms, for the whole run) ran out during the reload of "
		      "networking.service; the NIC wait took the longest (");
	assert_logged("Time per step: NIC wait ");
	assert_logged(" ms (cut off), check ");
	assert_logged("Check why 0000:00:1f.6 (eno1) was slow to come back (dmesg, `journalctl -u "
		      "systemd-udevd`), or raise [network] timeout_ms in");
	assert_not_logged("the reload of networking.service took the longest");
	assert_not_logged("did not finish within");
}
END_TEST

START_TEST(downtime_ends_back_in_the_bridge)
{
	/* networking.service brings the NIC back at once; netbird's job ends 800 ms later */
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .result = "done" },
		{ .name = "netbird.service", .result = "done", .delay_ms = 800 },
	};
	uint64_t back, brought;

	load_config(NULL, "networking.service netbird.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 1000);
	start_fake(units, ELEMENTSOF(units), bring_back);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert_uint_ge(res.units[1].ms, 800);
	back = res.nics[0].back_usec;
	brought = atomic_load(&brought_back_usec);
	ck_assert_uint_ne(brought, 0);
	/* seen back after it was put back, and well before netbird's job ended */
	ck_assert_uint_ge(back, brought);
	ck_assert_uint_lt(back - brought, 800 * 1000u);
	ck_assert(res.nics[0].downtime_known);
	ck_assert_uint_eq(res.nics[0].downtime_ms, (back - res.nics[0].removed_usec) / 1000u);
	ck_assert_uint_ge(res.nics[0].downtime_ms, 1000);
	ck_assert_uint_lt(res.nics[0].downtime_ms, (brought - res.nics[0].removed_usec) / 1000u + 800);
}
END_TEST

START_TEST(downtime_waits_for_carrier)
{
	/* in vmbr0 at networking.service's job, its link up only at netbird's, 500 ms later */
	static const struct fake_unit units[] = {
		{ .name = "networking.service", .result = "done" },
		{ .name = "netbird.service", .result = "done", .delay_ms = 500 },
	};
	uint64_t carrier;

	load_config(NULL, "networking.service netbird.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, ELEMENTSOF(units), bring_back_link_later);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	carrier = atomic_load(&carrier_usec);
	ck_assert_uint_ne(carrier, 0);
	ck_assert_uint_ge(atomic_load(&carrier_usec) - atomic_load(&brought_back_usec), 500 * 1000u);
	ck_assert_uint_ge(res.nics[0].back_usec, carrier);
}
END_TEST

START_TEST(no_carrier_is_not_back)
{
	/* a port of vmbr0 again, and its link never comes up */
	static const struct fake_unit units[] = { { .name = "networking.service", .result = "done" } };

	load_config(NULL, "networking.service", "reload", SHORT_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, bring_back_link_later);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_FAILED);
	ck_assert(!res.nics[0].verified);
	ck_assert(!res.nics[0].downtime_known);
	ck_assert_int_eq(res.ran_out, NETNOTIFY_STEP_CHECK);
	assert_logged("eno1 (0000:00:1f.6) is a port of vmbr0 again but has no carrier after the units' "
		      "jobs: its link is down.");
}
END_TEST

START_TEST(no_removal_time_no_downtime)
{
	/* the engine recorded the NIC and stopped before removing it */
	load_config(NULL, "networking.service", "none", LONG_MS);
	tu_write_file(root, "run/igd-regroup/cycled-nics", "0000:00:1f.6 eno1 vmbr0 0\n");
	ck_assert_int_eq(fixture_build(root, BACK), 0);

	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert(res.nics[0].verified);
	ck_assert(!res.nics[0].downtime_known);
	assert_logged("has no time of its removal, so no downtime is reported");
	assert_not_logged("the host network was away for");
}
END_TEST

/* ---- the engine hands over ---- */

static void setup_engine(const char *extra_network)
{
	_cleanup_(freep) char *topo = fixture_topo_path("hp-elitedesk-800-g4");

	/* a fresh root with the seed's HP EliteDesk on the sysfs model */
	tu_rm_rf(root);
	ck_assert_int_eq(mkdir(root, 0700), 0);
	ck_assert_int_eq(fixture_build_named(root, "hp-elitedesk-800-g4"), 0);
	ck_assert_int_eq(sim_start(root, topo), 0);
	load_config(HP_CONFIG, extra_network ? extra_network : "networking.service", "reload", LONG_MS);
}

static int run_engine(void)
{
	struct engine_options o = { .functions = &cfg.functions, .lock_timeout_ms = 5000 };

	return engine_run(ctx, &cfg, &o, &eres);
}

/* The record's time, from the test's root. */
static uint64_t record_time(void)
{
	_cleanup_(freep) char *path = tu_path(root, "run/igd-regroup/cycled-nics");
	_cleanup_(freep) char *text = tu_read_file(path);
	unsigned long long usec = 0;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(sscanf(text, "0000:00:1f.6 eno1 vmbr0 %llu", &usec), 1);
	return usec;
}

START_TEST(engine_records_the_removal_time)
{
	uint64_t t0, t1, removed;

	setup_engine(NULL);
	t0 = boottime_usec();
	ck_assert_int_eq(run_engine(), 0);
	t1 = boottime_usec();
	ck_assert_int_eq(eres.outcome, ENGINE_OK);
	removed = record_time();
	ck_assert_uint_ge(removed, t0);
	ck_assert_uint_le(removed, t1);
	ck_assert_uint_eq(eres.nics[0].removed_usec, removed);
}
END_TEST

START_TEST(engine_not_removing_the_nic_records_no_time)
{
	setup_engine(NULL);
	ck_assert_int_eq(sim_set_faults("remove@0000:00:1f.3=EBUSY"), 0);

	ck_assert_int_eq(run_engine(), 0);
	ck_assert_int_eq(eres.outcome, ENGINE_FAILED);
	/* the record is there (written before the first removal), without a removal time */
	ck_assert_uint_eq(record_time(), 0);

	/* the NIC never left vmbr0: back, and no downtime invented */
	tu_log_reset(&logbuf);
	ck_assert_int_eq(run(), 0);
	ck_assert(res.nics[0].verified);
	ck_assert(!res.nics[0].downtime_known);
}
END_TEST

START_TEST(engine_starts_the_notifier)
{
	static const struct fake_unit units[] = {
		{ .name = "igd-regroup-netnotify.service", .result = "done" },
	};
	_cleanup_(freep) char *c = NULL;

	setup_engine(NULL);
	start_fake(units, 1, NULL);

	ck_assert_int_eq(run_engine(), 0);
	ck_assert_int_eq(eres.outcome, ENGINE_OK);
	ck_assert_uint_eq(eres.n_nics, 1);
	c = calls();
	ck_assert_str_eq(c, "StartUnit igd-regroup-netnotify.service replace\n");
	assert_logged("igd-regroup-netnotify.service brings it back.");
	assert_logged("Started igd-regroup-netnotify.service (job /org/freedesktop/systemd1/job/1)");
}
END_TEST

START_TEST(engine_without_a_bus_only_says_so)
{
	setup_engine(NULL);

	ck_assert_int_eq(run_engine(), 0);
	ck_assert_int_eq(eres.outcome, ENGINE_OK);
	assert_logged("not starting igd-regroup-netnotify.service: --root is not this host.");
	assert_not_logged("Started igd-regroup-netnotify.service");
}
END_TEST

START_TEST(engine_start_failure_is_logged_not_fatal)
{
	setup_engine(NULL);
	start_fake(networking_done, 1, NULL); /* knows no igd-regroup-netnotify.service */

	ck_assert_int_eq(run_engine(), 0);
	ck_assert_int_eq(eres.outcome, ENGINE_OK);
	ck_assert_int_eq(engine_exit_status(&eres), 0);
	assert_logged("3|Cannot start igd-regroup-netnotify.service over D-Bus: Unit "
		      "igd-regroup-netnotify.service not found. The host network stays as it is; bring "
		      "it back by hand: systemctl start igd-regroup-netnotify.service");
}
END_TEST

START_TEST(engine_then_notifier)
{
	static const struct fake_unit units[] = {
		{ .name = "igd-regroup-netnotify.service", .result = "done" },
		{ .name = "networking.service", .result = "done" },
	};
	_cleanup_(freep) char *c = NULL;

	setup_engine(NULL);
	start_fake(units, ELEMENTSOF(units), bring_back);

	ck_assert_int_eq(run_engine(), 0);
	ck_assert_int_eq(eres.outcome, ENGINE_OK);
	ck_assert(record_exists());
	/* what systemd then runs, on the record the engine left */
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, NETNOTIFY_OK);
	ck_assert_str_eq(res.nics[0].ifname, "eno1");
	ck_assert_str_eq(res.nics[0].bridge, "vmbr0");
	ck_assert(res.nics[0].verified);
	c = calls();
	ck_assert_str_eq(c, "StartUnit igd-regroup-netnotify.service replace\n"
			    "ReloadOrRestartUnit networking.service replace\n");
	ck_assert(!record_exists());
}
END_TEST

/* ---- the program ---- */

static int run_prog(char *const *env, const char *const *args)
{
	_cleanup_(freep) char *path = tu_build_path("igd-regroup-netnotify");
	char *argv[16] = { path };
	size_t n = 1;

	free(out);
	free(err);
	out = err = NULL;
	for (; args[n - 1]; n++) {
		ck_assert_uint_lt(n, ELEMENTSOF(argv) - 1);
		argv[n] = (char *)args[n - 1];
	}
	argv[n] = NULL;
	return tu_run(argv, env, &out, &err);
}

#define PROG(...) run_prog(NULL, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(program_network_back)
{
	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 2000);
	start_fake(networking_done, 1, bring_back);

	ck_assert_int_eq(PROG("--root", root, "--config", conf), 0);
	assert_has(out, "networking.service: reload done (");
	assert_has(out, "eno1 (0000:00:1f.6) in vmbr0: back after ");
	assert_has(out, "vmbr0: up\n");
	assert_has(out, "Result: network back in ");
	assert_has(err, "networking.service: reload done.");
	ck_assert(!record_exists());

	ck_assert_int_eq(PROG("--root", root, "--config", conf), 0);
	assert_has(out, "Nothing to do: no NIC was taken away.\n");
}
END_TEST

START_TEST(program_failure_exits_1)
{
	static const struct fake_unit units[] = { { .name = "networking.service", .result = "failed" } };

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(units, 1, NULL);

	ck_assert_int_eq(PROG("--root", root, "--config", conf), 1);
	assert_has(out, "networking.service: reload failed (");
	assert_has(out, "eno1 (0000:00:1f.6) in vmbr0: NOT back in place\n");
	assert_has(out, "Result: network failed");
	assert_has(err, "The reload of networking.service ended with result 'failed', not 'done'.");
	ck_assert(record_exists());
}
END_TEST

START_TEST(program_env_and_status_lines)
{
	_cleanup_(freep) char *sock = tu_path(busdir, "notify");
	_cleanup_(freep) char *e_root = NULL, *e_conf = NULL, *e_notify = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096], *all = NULL;
	size_t len = 0;
	FILE *m;
	int fd;
	ssize_t n;

	load_config(NULL, "networking.service", "reload", LONG_MS);
	record("eno1", "vmbr0", 10);
	start_fake(networking_done, 1, bring_back);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(sock), sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

	ck_assert_int_ge(asprintf(&e_root, "IGD_REGROUP_ROOT=%s", root), 0);
	ck_assert_int_ge(asprintf(&e_conf, "IGD_REGROUP_CONFIG=%s", conf), 0);
	ck_assert_int_ge(asprintf(&e_notify, "NOTIFY_SOCKET=%s", sock), 0);
	char *env[] = { e_root, e_conf, e_notify, NULL };
	ck_assert_int_eq(run_prog(env, (const char *const[]){ NULL }), 0);

	m = open_memstream(&all, &len);
	ck_assert_ptr_nonnull(m);
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		fprintf(m, "%s\n", buf);
	}
	fclose(m);
	close(fd);
	assert_has(all, "STATUS=Waiting for the igd-regroup lock...\n");
	assert_has(all, "STATUS=Waiting for eno1 (0000:00:1f.6) to come back...\n");
	assert_has(all, "STATUS=Reloading networking.service...\n");
	assert_has(all, "STATUS=Checking vmbr0 and the NIC's bridge...\n");
	assert_has(all, "STATUS=The host network is back (eno1).\n");
	free(all);
}
END_TEST

START_TEST(program_usage_and_config)
{
	ck_assert_int_eq(PROG("--help"), 0);
	assert_has(out, "Usage: igd-regroup-netnotify [OPTIONS]\n");
	ck_assert_int_eq(PROG("--version"), 0);
	ck_assert_str_eq(out, "igd-regroup-netnotify " IGD_VERSION "\n");
	ck_assert_int_eq(PROG("--bogus"), 2);
	ck_assert_int_eq(PROG("--root", root, "extra"), 2);
	assert_has(err, "unexpected argument 'extra'");
	ck_assert_int_eq(PROG("--root", "relative"), 2);

	tu_write_file(busdir, "igd-regroup.conf", "[network]\naction = sometimes\n");
	ck_assert_int_eq(PROG("--root", root, "--config", conf), 2);
	assert_has(err, "igd-regroup.conf:2: ");
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *netnotify_suite(void)
{
	Suite *s = suite_create("netnotify");
	TCase *tc;

	tc = tcase_create("notifier");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reload_brings_the_network_back);
	tcase_add_test(tc, restart_uses_restartunit);
	tcase_add_test(tc, units_in_order);
	tcase_add_test(tc, job_removed_later_is_waited_for);
	tcase_add_test(tc, job_failed);
	tcase_add_test(tc, unit_not_found);
	tcase_add_test(tc, no_job_removed_times_out);
	tcase_add_test(tc, job_gone_without_signal);
	tcase_add_test(tc, nic_never_reappears);
	tcase_add_test(tc, interface_never_comes_up);
	tcase_add_test(tc, renamed_by_udev);
	tcase_add_test(tc, waits_for_udev);
	tcase_add_test(tc, udev_never_finishes);
	tcase_add_test(tc, record_missing_or_empty);
	tcase_add_test(tc, record_malformed);
	tcase_add_test(tc, action_none_checks_only);
	tcase_add_test(tc, not_this_host_without_a_bus);
	tcase_add_test(tc, nic_in_no_bridge_must_be_up);
	tcase_add_test(tc, waits_for_the_lock);
	suite_add_tcase(s, tc);

	tc = tcase_create("busy-pid1");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, busy_pid1_answers_late);
	tcase_add_test(tc, busy_pid1_question_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("clock");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, slow_nic_wait_is_blamed);
	tcase_add_test(tc, downtime_ends_back_in_the_bridge);
	tcase_add_test(tc, downtime_waits_for_carrier);
	tcase_add_test(tc, no_carrier_is_not_back);
	tcase_add_test(tc, no_removal_time_no_downtime);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, engine_starts_the_notifier);
	tcase_add_test(tc, engine_without_a_bus_only_says_so);
	tcase_add_test(tc, engine_start_failure_is_logged_not_fatal);
	tcase_add_test(tc, engine_then_notifier);
	tcase_add_test(tc, engine_records_the_removal_time);
	tcase_add_test(tc, engine_not_removing_the_nic_records_no_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("program");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, program_network_back);
	tcase_add_test(tc, program_failure_exits_1);
	tcase_add_test(tc, program_env_and_status_lines);
	tcase_add_test(tc, program_usage_and_config);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(netnotify_suite)
