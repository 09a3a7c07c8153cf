/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The regroup engine on the simulated sysfs (test/sim.c): the production
 * write path, with the kernel's behaviour and injected faults. Every test
 * asserts the outcome and the messages, and ends with every function
 * present again or the one that could not come back named.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "core/lock.h"
#include "core/sysfs.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "fixture.h"
#include "sim.h"
#include "testutil.h"
#include "topology/snapshot.h"

static char *root;
static char *topo;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct igd_config cfg;
static struct engine_result res;

static const char *const hp_functions[] = { "0000:00:1f.0", "0000:00:1f.3", "0000:00:1f.4",
					    "0000:00:1f.5", "0000:00:1f.6" };

#define HP_CONFIG                                                                                  \
	"[regroup]\n"                                                                              \
	"functions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"           \
	"timeout_ms = %u\n"                                                                        \
	"[vfio]\n"                                                                                 \
	"devices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n"

static void load_config_text(const char *text)
{
	config_done(&cfg);
	ck_assert_int_eq(config_parse_string(ctx, "test.conf", text, &cfg), 0);
}

static void load_hp_config(unsigned timeout_ms)
{
	_cleanup_(freep) char *text = NULL;

	ck_assert_int_ge(asprintf(&text, HP_CONFIG, timeout_ms), 0);
	load_config_text(text);
}

static void setup_topology(const char *name)
{
	tu_root_setup(&root, &ctx, &logbuf, name);
	topo = fixture_topo_path(name);
	ck_assert_int_eq(sim_start(root, topo), 0);
}

static void setup(void)
{
	setup_topology("hp-elitedesk-800-g4");
	load_hp_config(2000);
}

static void teardown(void)
{
	sim_stop();
	engine_result_done(&res);
	config_done(&cfg);
	tu_root_teardown(&root, &ctx, &logbuf);
	free(topo);
	topo = NULL;
}

static void faults(const char *spec)
{
	ck_assert_int_eq(sim_set_faults(spec), 0);
}

static int run(void)
{
	struct engine_options o = { .functions = &cfg.functions, .lock_timeout_ms = 2000 };

	return engine_run(ctx, &cfg, &o, &res);
}

static void assert_logged(const char *needle)
{
	ck_assert_msg(tu_log_contains(&logbuf, needle), "expected in the log: '%s'\nlog:\n%s", needle,
		      logbuf.buf ? logbuf.buf : "(empty)");
}

static bool is_present(const char *addr)
{
	struct pci_addr a;

	ck_assert_int_eq(pci_addr_parse(addr, 0, &a), 0);
	return sysfs_dev_present(ctx, &a);
}

static char *driver_of(const char *addr)
{
	struct pci_addr a;
	char *d = NULL;

	ck_assert_int_eq(pci_addr_parse(addr, 0, &a), 0);
	ck_assert_int_eq(sysfs_dev_driver(ctx, &a, &d), 0);
	return d;
}

static void assert_driver(const char *addr, const char *want)
{
	_cleanup_(freep) char *d = driver_of(addr);

	ck_assert_msg(want ? d && strcmp(d, want) == 0 : d == NULL, "%s: driver %s, expected %s",
		      addr, d ? d : "none", want ? want : "none");
}

static void assert_all_present(void)
{
	for (size_t i = 0; i < ELEMENTSOF(hp_functions); i++)
		ck_assert_msg(is_present(hp_functions[i]), "%s is missing", hp_functions[i]);
}

static char *root_file(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	return tu_read_file(p);
}

/* drivers_autoprobe keeps no host driver away at a rescan: the engine never writes it. */
static void assert_autoprobe_untouched(void)
{
	_cleanup_(freep) char *v = root_file("sys/bus/pci/drivers_autoprobe");

	ck_assert_str_eq(v, "1\n");
	ck_assert_uint_eq(sim_count("autoprobe"), 0);
}

static void assert_starts(const char *text, const char *start)
{
	ck_assert_msg(text && strncmp(text, start, strlen(start)) == 0,
		      "expected to start with '%s':\n%s", start, text ? text : "(null)");
}

static void assert_not_logged(const char *needle)
{
	ck_assert_msg(!tu_log_contains(&logbuf, needle), "not expected in the log: '%s'\nlog:\n%s",
		      needle, logbuf.buf ? logbuf.buf : "(empty)");
}

static void write_attr(const char *rel, const char *value)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	ck_assert_int_eq(sysfs_write(p, value), 0);
}

static const struct engine_function *fn(const char *addr)
{
	for (size_t i = 0; i < res.n_functions; i++)
		if (strcmp(PCI_ADDR_STR(&res.functions[i].addr), addr) == 0)
			return &res.functions[i];
	ck_abort_msg("no result for %s", addr);
}

/* ---- the whole run ---- */

START_TEST(split_binds_and_records)
{
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert_int_eq(res.error, 0);
	ck_assert(!res.recovery_rescan);
	ck_assert_uint_eq(sim_count("remove"), 5);
	ck_assert_uint_eq(sim_count("rescan"), 1);

	/* the seed's phenomenon: each function back in a group of its own */
	ck_assert_uint_eq(res.n_functions, 5);
	for (size_t i = 0; i < res.n_functions; i++) {
		ck_assert_int_eq(res.functions[i].group_before, 7);
		ck_assert_uint_eq(res.functions[i].shared_before, 4);
		ck_assert(res.functions[i].removed);
		ck_assert(res.functions[i].present_after);
		ck_assert_uint_eq(res.functions[i].shared_after, 0);
		for (size_t j = 0; j < i; j++)
			ck_assert_int_ne(res.functions[i].group_after, res.functions[j].group_after);
	}
	assert_all_present();
	assert_driver("0000:00:02.0", "vfio-pci");
	assert_driver("0000:00:1f.0", "vfio-pci");
	assert_driver("0000:00:1f.3", "vfio-pci");
	assert_driver("0000:00:1f.4", "i801_smbus");
	assert_driver("0000:00:1f.6", "e1000e");
	for (size_t i = 0; i < res.n_binds; i++) {
		ck_assert(res.binds[i].bound);
		ck_assert(res.binds[i].isolated);
	}
	assert_autoprobe_untouched();
	assert_logged("0000:00:02.0: bound to vfio-pci (was i915).");

	/* the NIC was up in vmbr0: recorded for the notifier, which is named */
	ck_assert_uint_eq(res.n_nics, 1);
	ck_assert_str_eq(res.nics[0].ifname, "eno1");
	ck_assert_str_eq(res.nics[0].bridge, "vmbr0");
	_cleanup_(freep) char *rec = root_file("run/igd-regroup/cycled-nics");
	ck_assert_ptr_nonnull(rec);
	ck_assert_msg(strncmp(rec, "0000:00:1f.6 eno1 vmbr0 ", 24) == 0, "record: %s", rec);
	assert_logged("igd-regroup-netnotify.service brings it back");
}
END_TEST

START_TEST(host_driver_takes_audio_at_rescan_then_moved)
{
	/* snd_hda_intel registered before vfio-pci (the topology's order): the
	   rescan attaches 1f.3 to it at once; driver_override went with the
	   removal. The bind moves it, and says so at notice level. */
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_driver("0000:00:1f.3", "vfio-pci");
	_cleanup_(freep) char *ov = root_file("sys/bus/pci/devices/0000:00:1f.3/driver_override");
	ck_assert_str_eq(ov, "vfio-pci\n");
	ck_assert_uint_eq(sim_count("unbind"), 2); /* 02.0 from i915, 1f.3 from snd_hda_intel */
	assert_logged("0000:00:1f.3: bound to vfio-pci (was snd_hda_intel).");
	assert_logged("5|0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.\n");
	/* 1f.0 has no host driver; 02.0 was not cycled: its driver is no rescan's doing */
	assert_not_logged("0000:00:1f.0 was taken");
	assert_not_logged("0000:00:02.0 was taken");
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(vfio_pci_with_the_id_registered_first_takes_audio_at_rescan)
{
	/* what "options vfio-pci ids=8086:a348" + "softdep snd_hda_intel pre: vfio-pci" give */
	sim_driver_register_first("vfio-pci");
	write_attr("sys/bus/pci/drivers/vfio-pci/new_id", "8086 a348");
	assert_driver("0000:00:1f.3", "snd_hda_intel"); /* new_id leaves a bound device alone */
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_driver("0000:00:1f.3", "vfio-pci");
	ck_assert_uint_eq(sim_count("unbind"), 1); /* only 02.0 from i915: 1f.3 never had a host driver */
	assert_not_logged("0000:00:1f.3 was taken");
	assert_not_logged("0000:00:1f.3: bound to vfio-pci");
}
END_TEST

START_TEST(vfio_pci_id_without_load_order_is_not_enough)
{
	/* the id alone: snd_hda_intel, registered first, still wins the rescan */
	write_attr("sys/bus/pci/drivers/vfio-pci/new_id", "8086 a348");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_driver("0000:00:1f.3", "vfio-pci");
	assert_logged("0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.");
}
END_TEST

START_TEST(autoprobe_off_keeps_no_driver_away_and_is_left_alone)
{
	/* an admin turned autoprobing off: the rescan still attaches 1f.3 to
	   snd_hda_intel, and the engine leaves the setting as it found it */
	tu_write_file(root, "sys/bus/pci/drivers_autoprobe", "0\n");
	unsigned writes = sim_count("autoprobe"); /* the test's own write, through the model */
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_logged("0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.");
	assert_driver("0000:00:1f.3", "vfio-pci");
	_cleanup_(freep) char *v = root_file("sys/bus/pci/drivers_autoprobe");
	ck_assert_str_eq(v, "0\n");
	ck_assert_uint_eq(sim_count("autoprobe"), writes);
}
END_TEST

/* ---- udev's queue and drivers loaded late ---- */

START_TEST(waits_for_udev_queue_then_binds)
{
	/* udev still busy with coldplug: nothing is bound until its queue is empty */
	sim_udev_queue_busy(1000);
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_logged("udev is still processing events (");
	assert_logged("udev's event queue is empty after ");
	ck_assert_uint_eq(sim_binds_while_queued(), 0);
	ck_assert_uint_ge(sim_count("probe"), 3);
	assert_driver("0000:00:02.0", "vfio-pci");
	assert_driver("0000:00:1f.3", "vfio-pci");
}
END_TEST

START_TEST(udev_queue_never_empties_times_out)
{
	load_hp_config(300);
	sim_udev_queue_busy(0);
	ck_assert_int_eq(run(), 0);
	_cleanup_(freep) char *msg = NULL;
	ck_assert_int_ge(asprintf(&msg, "4|udev's event queue was still not empty after 300 ms (%s/run/udev/queue exists): "
				  "binding anyway", root), 0);
	assert_logged(msg);
	/* it bound anyway, and the result is checked as always */
	ck_assert_uint_gt(sim_binds_while_queued(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_driver("0000:00:02.0", "vfio-pci");
}
END_TEST

START_TEST(no_udev_no_queue_wait)
{
	/* without a running udev (no control socket) a leftover queue file means nothing */
	_cleanup_(freep) char *ctl = tu_path(root, "run/udev/control");
	ck_assert_int_eq(unlink(ctl), 0);
	sim_udev_queue_busy(0);
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_not_logged("udev's event queue");
	assert_not_logged("udev is still processing events");
}
END_TEST

START_TEST(driver_taking_device_during_bind_is_moved_back)
{
	/* 02.0 without a driver yet (i915 not loaded); the module comes in while
	   the bind runs and takes it before driver_override lands */
	write_attr("sys/bus/pci/drivers/i915/unbind", "0000:00:02.0");
	assert_driver("0000:00:02.0", NULL);
	faults("take@0000:00:02.0=i915");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_logged("5|0000:00:02.0: i915 took the device during the bind; binding it once more.\n");
	assert_logged("0000:00:02.0: bound to vfio-pci (was no driver).");
	assert_driver("0000:00:02.0", "vfio-pci");
	ck_assert(res.binds[0].bound);
}
END_TEST

START_TEST(already_split_is_idempotent)
{
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	engine_result_done(&res);
	tu_log_reset(&logbuf);
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_all_present();
	assert_driver("0000:00:02.0", "vfio-pci");
	assert_driver("0000:00:1f.3", "vfio-pci");
	ck_assert(!tu_log_contains(&logbuf, "0000:00:02.0: bound to vfio-pci"));
}
END_TEST

START_TEST(nothing_configured)
{
	load_config_text("[regroup]\nfunctions =\n");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_NOTHING);
	ck_assert_int_eq(engine_exit_status(&res), 0);
	ck_assert_uint_eq(sim_count("remove") + sim_count("rescan") + sim_count("probe"), 0);
	assert_logged("Nothing to do");
}
END_TEST

START_TEST(stays_grouped_is_reported)
{
	/* a kernel that puts the functions back into one group with host devices */
	faults("stay@0000:00:1f.3,stay@0000:00:1f.4,stay@0000:00:1f.6");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(engine_exit_status(&res), 1);
	ck_assert_uint_ge(fn("0000:00:1f.3")->shared_after, 1);
	assert_logged("0000:00:1f.3 is still in IOMMU group 7 with host devices: 0000:00:1f.4 "
		      "(i801_smbus), 0000:00:1f.6 (e1000e, eno1). This kernel and hardware did not split it");
	/* their header types (bit 7 clear) predicted groups of their own: the run says it differs */
	assert_logged("5|0000:00:1f.3 shares IOMMU group 7 with 3 other device(s), though its header type "
		      "predicted a group of its own.\n");
	assert_logged("5|0000:00:1f.6 shares IOMMU group 7 with 3 other device(s), though its header type "
		      "predicted a group of its own.\n");
	assert_all_present();
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(split_as_predicted_says_nothing_more)
{
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert(!tu_log_contains(&logbuf, "predicted a group of its own"));
	ck_assert(!tu_log_contains(&logbuf, "predicted it would stay"));
	assert_logged("7|0000:00:1f.3: IOMMU group 8, as predicted.\n");
}
END_TEST

/* ---- faults at each write ---- */

START_TEST(remove_fails_midway_rescans_anyway)
{
	faults("remove@0000:00:1f.4=EIO");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -EIO);
	assert_logged("Cannot remove 0000:00:1f.4: Input/output error");
	ck_assert(fn("0000:00:1f.0")->removed);
	ck_assert(fn("0000:00:1f.3")->removed);
	ck_assert(!fn("0000:00:1f.4")->removed);
	ck_assert(!fn("0000:00:1f.6")->removed);
	ck_assert_uint_eq(sim_count("rescan"), 1);
	assert_all_present();
	assert_driver("0000:00:1f.3", "vfio-pci");
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(remove_busy_first_writes_nothing_else)
{
	faults("remove@0000:00:1f.0=EBUSY");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -EBUSY);
	assert_logged("Cannot remove 0000:00:1f.0: Device or resource busy");
	ck_assert_uint_eq(sim_count("rescan"), 0); /* nothing was removed */
	assert_all_present();
	assert_driver("0000:00:1f.6", "e1000e");
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(remove_short_write)
{
	faults("remove@0000:00:1f.5=short");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -EIO);
	assert_logged("Cannot remove 0000:00:1f.5: Input/output error");
	assert_all_present();
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(remove_enodev)
{
	faults("remove@0000:00:1f.6=ENODEV");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -ENODEV);
	assert_logged("Cannot remove 0000:00:1f.6: No such device");
	assert_all_present();
	/* 1f.6 was never removed: its netdev kept its bridge */
	_cleanup_(freep) char *master = NULL;
	_cleanup_(freep) char *p = tu_path(root, "sys/class/net/eno1/master");
	ck_assert_int_eq(sysfs_read_link_name(p, &master), 0);
	ck_assert_str_eq(master, "vmbr0");
}
END_TEST

START_TEST(remove_does_not_take)
{
	faults("stuck@0000:00:1f.3");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -EBUSY);
	assert_logged("0000:00:1f.3 is still present after writing to its remove attribute.");
	ck_assert_uint_eq(sim_count("rescan"), 1); /* 1f.0 was removed before */
	assert_all_present();
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(rescan_busy_is_retried)
{
	faults("rescan=EBUSY*2");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert_uint_eq(sim_count("rescan"), 3);
	assert_logged("Rescan (");
	assert_all_present();
}
END_TEST

START_TEST(rescan_keeps_failing_names_the_missing)
{
	load_hp_config(300);
	faults("rescan=EIO");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -EIO);
	for (size_t i = 0; i < ELEMENTSOF(hp_functions); i++) {
		_cleanup_(freep) char *msg = NULL;
		ck_assert_int_ge(asprintf(&msg, "%s is missing after the rescan", hp_functions[i]), 0);
		assert_logged(msg);
		ck_assert(!is_present(hp_functions[i]));
	}
	/* autoprobe is restored even so */
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(never_comes_back)
{
	load_hp_config(300);
	faults("gone@0000:00:1f.5");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -ETIMEDOUT);
	assert_logged("0000:00:1f.5 did not come back within 300 ms of the rescan.");
	assert_logged("0000:00:1f.5 is missing after the rescan: it did not come back.");
	ck_assert(!fn("0000:00:1f.5")->present_after);
	ck_assert(is_present("0000:00:1f.6"));
	assert_driver("0000:00:1f.3", "vfio-pci");
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(slow_readd_within_timeout)
{
	faults("slow@0000:00:1f.6=150");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert_uint_ge(res.ms_wait, 100);
	assert_all_present();
	assert_driver("0000:00:1f.6", "e1000e");
}
END_TEST

START_TEST(slow_udev_within_timeout)
{
	faults("udev-slow@0000:00:1f.6=150");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert_uint_ge(res.ms_wait, 100);
}
END_TEST

START_TEST(udev_never_finishes)
{
	load_hp_config(200);
	faults("udev-slow@0000:00:1f.6=800");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -ETIMEDOUT);
	assert_logged("udev did not finish with the re-added functions within 200 ms.");
	assert_all_present();
}
END_TEST

START_TEST(override_fails)
{
	faults("override@0000:00:1f.3=EIO");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -EIO);
	assert_logged("0000:00:1f.3: cannot write vfio-pci to ");
	assert_logged("0000:00:1f.3 is not bound to vfio-pci (driver: snd_hda_intel).");
	assert_all_present();
	assert_autoprobe_untouched();
}
END_TEST

START_TEST(unbind_fails_restores_host_driver)
{
	faults("unbind@0000:00:02.0=EBUSY");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	assert_logged("0000:00:02.0: cannot unbind it from i915: Device or resource busy");
	assert_driver("0000:00:02.0", "i915");
	_cleanup_(freep) char *ov = root_file("sys/bus/pci/devices/0000:00:02.0/driver_override");
	ck_assert_str_eq(ov, "(null)\n");
	assert_all_present();
}
END_TEST

START_TEST(probe_binds_nothing_is_caught)
{
	/* drivers_probe succeeds while no driver takes the device */
	faults("nobind@0000:00:02.0");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -EIO);
	assert_logged("0000:00:02.0: vfio-pci did not take the device after drivers_probe (driver now: none).");
	assert_all_present();
}
END_TEST

START_TEST(probe_fails)
{
	faults("probe@0000:00:02.0=ENODEV");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	assert_logged("0000:00:02.0: cannot probe a driver");
	assert_all_present();
}
END_TEST

/* ---- safety, recovery, lock ---- */

START_TEST(refuses_root_disk)
{
	load_config_text("[regroup]\nfunctions = 0000:00:1f.3 0000:00:17.0\n");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_REFUSED);
	ck_assert_int_eq(res.error, -EPERM);
	ck_assert_int_eq(engine_exit_status(&res), 1);
	assert_logged("Refusing to remove 0000:00:17.0: disk sda is used (LVM pve, /, /boot/efi, swap). Nothing was changed.");
	ck_assert_uint_eq(sim_count("remove") + sim_count("rescan") + sim_count("autoprobe"), 0);
	assert_all_present();
}
END_TEST

START_TEST(refuses_disk_held_by_vm)
{
	/* VM 100's QEMU holds pve/root's dm device open: the use flows down to sda, in the message */
	tu_symlink(root, "proc/4242/fd/17", "/dev/dm-0");
	tu_write_file(root, "run/qemu-server/100.pid", "4242\n");
	load_config_text("[regroup]\nfunctions = 0000:00:1f.3 0000:00:17.0\n");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_REFUSED);
	assert_logged("Refusing to remove 0000:00:17.0: disk sda is used (LVM pve, /, /boot/efi, swap, VM 100). "
		      "Nothing was changed.");
	ck_assert_uint_eq(sim_count("remove") + sim_count("rescan") + sim_count("autoprobe"), 0);
	assert_all_present();
}
END_TEST

START_TEST(refuses_vfio_device_held_by_vm)
{
	/* the split state: 1f.3 on vfio-pci in group 8, /dev/vfio/8 open in VM 100's QEMU */
	teardown();
	setup_topology("hp-elitedesk-800-g4-split");
	load_hp_config(2000);
	tu_write_file(root, "dev/vfio/8", "");
	tu_symlink(root, "proc/4242/fd/31", "/dev/vfio/8");
	tu_write_file(root, "run/qemu-server/100.pid", "4242\n");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_REFUSED);
	assert_logged("Refusing to remove 0000:00:1f.3: it is bound to vfio-pci and held by a running VM (VM 100, pid 4242). Nothing was changed.");
	ck_assert_uint_eq(sim_count("remove"), 0);
}
END_TEST

START_TEST(missing_vfio_device_writes_nothing)
{
	load_config_text("[regroup]\nfunctions = 0000:00:1f.3\n[vfio]\ndevices = 0000:00:02.1\n");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert_int_eq(res.error, -ENODEV);
	assert_logged("[vfio] device 0000:00:02.1 is not present; nothing was changed.");
	ck_assert_uint_eq(sim_count("remove"), 0);
}
END_TEST

START_TEST(recovers_from_a_run_that_died)
{
	_cleanup_(freep) char *p = tu_path(root, "sys/bus/pci/devices/0000:00:1f.3/remove");

	/* an earlier run removed 1f.3 and died before its rescan */
	ck_assert_int_eq(sysfs_write(p, "1"), 0);
	ck_assert(!is_present("0000:00:1f.3"));
	ck_assert_int_eq(run(), 0);
	ck_assert(res.recovery_rescan);
	assert_logged("1 configured function(s) are missing, first 0000:00:1f.3: an earlier run stopped "
		      "between remove and rescan. Rescanning first.");
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert_uint_eq(sim_count("rescan"), 2); /* the recovery and the run's own */
	assert_all_present();
	assert_driver("0000:00:1f.3", "vfio-pci");
}
END_TEST

START_TEST(restores_autoprobe_an_older_version_left_off)
{
	/* an older version died while holding autoprobe off, leaving its marker */
	_cleanup_(freep) char *marker = tu_path(root, "run/igd-regroup/autoprobe-held");

	tu_write_file(root, "run/igd-regroup/autoprobe-held", "");
	tu_write_file(root, "sys/bus/pci/drivers_autoprobe", "0\n");
	unsigned writes = sim_count("autoprobe"); /* the test's own write, through the model */
	load_config_text("[regroup]\nfunctions = 0000:00:1f.4\n");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	assert_logged("An older igd-regroup left PCI driver autoprobing off (");
	_cleanup_(freep) char *v = root_file("sys/bus/pci/drivers_autoprobe");
	ck_assert_str_eq(v, "1\n");
	ck_assert_uint_eq(sim_count("autoprobe"), writes + 1);
	ck_assert_int_ne(access(marker, F_OK), 0);
	assert_driver("0000:00:1f.4", "i801_smbus");

	/* once: the next run finds no marker and writes nothing */
	engine_result_done(&res);
	ck_assert_int_eq(run(), 0);
	ck_assert_uint_eq(sim_count("autoprobe"), writes + 1);
}
END_TEST

START_TEST(lock_held_times_out)
{
	_cleanup_(igd_lock_release) struct igd_lock held = IGD_LOCK_NULL;
	struct engine_options o = { .functions = &cfg.functions, .lock_timeout_ms = 150 };

	ck_assert_int_eq(igd_lock_take(ctx, 100, &held), 0);
	/* flock locks belong to the open file: a second open in this process contends */
	ck_assert_int_eq(engine_run(ctx, &cfg, &o, &res), -ETIMEDOUT);
	_cleanup_(freep) char *msg = NULL;
	ck_assert_int_ge(asprintf(&msg, "Another igd-regroup run (pid %d) still holds", (int)getpid()), 0);
	assert_logged(msg);
	ck_assert_uint_eq(sim_count("remove"), 0);
}
END_TEST

START_TEST(stale_lock_file_does_not_block)
{
	tu_write_file(root, "run/igd-regroup/lock", "99999\n");
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert(!tu_log_contains(&logbuf, "Waiting for the lock"));
}
END_TEST

/* The child logs "Waiting for the lock" through this, which tells the parent to let go. */
static int waiting_fd = -1;
static void signal_when_waiting(void *userdata, int priority, const char *msg)
{
	tu_log_fn(userdata, priority, msg);
	if (strstr(msg, "Waiting for the lock"))
		(void)!write(waiting_fd, "w", 1);
}

START_TEST(concurrent_runs_serialize)
{
	int to_parent[2];
	pid_t child;
	char c;
	int status;
	struct igd_lock held = IGD_LOCK_NULL;

	ck_assert_int_eq(igd_lock_take(ctx, 100, &held), 0);
	ck_assert_int_eq(pipe(to_parent), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct engine_options o = { .functions = &cfg.functions, .lock_timeout_ms = 20000 };

		igd_lock_release(&held);
		waiting_fd = to_parent[1];
		igd_ctx_set_log_fn(ctx, signal_when_waiting, &logbuf);
		if (engine_run(ctx, &cfg, &o, &res) < 0)
			_exit(3);
		_exit(res.outcome == ENGINE_OK && sim_count("remove") == 5 ? 0 : 4);
	}
	close(to_parent[1]);
	/* the child is blocked on our lock: nothing of it has been written yet */
	ck_assert_int_eq(read(to_parent[0], &c, 1), 1);
	assert_all_present();
	assert_driver("0000:00:02.0", "i915");
	igd_lock_release(&held);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	assert_driver("0000:00:02.0", "vfio-pci");
	close(to_parent[0]);
}
END_TEST

/* ---- a dry run walks the steps of the run ---- */

static void trace_line(void *userdata, const char *step, const char *action, const struct pci_addr *a)
{
	fprintf(userdata, "%s %s%s%s\n", step, action, a ? " " : "", a ? PCI_ADDR_STR(a) : "");
}

/*
 * Runs the engine with every action traced, "STEP ACTION [ADDR]" a line;
 * dry: a dry run, its output into *ret_out. Returns engine_run's value.
 */
static int run_traced(bool dry, char **ret_trace, char **ret_out)
{
	size_t tl = 0, ol = 0;
	FILE *tf = open_memstream(ret_trace, &tl);
	FILE *of = dry ? open_memstream(ret_out, &ol) : NULL;
	struct engine_options o = { .functions = &cfg.functions,
				    .lock_timeout_ms = 150,
				    .dry_run = of,
				    .trace = trace_line,
				    .trace_userdata = tf };
	int k;

	ck_assert_ptr_nonnull(tf);
	ck_assert(!dry || of);
	engine_result_done(&res);
	k = engine_run(ctx, &cfg, &o, &res);
	ck_assert_int_eq(fclose(tf), 0);
	if (of)
		ck_assert_int_eq(fclose(of), 0);
	return k;
}

/* A dry run on the tree, then the run: both walk the same actions; the dry run writes nothing. */
static void assert_dry_run_then_run_agree(char **ret_trace, char **ret_out)
{
	_cleanup_(freep) char *before = tu_tree_digest(root);
	_cleanup_(freep) char *after = NULL, *run_trace = NULL;
	unsigned writes = sim_count("remove") + sim_count("rescan") + sim_count("probe"); /* the test's own */
	enum engine_outcome dry_outcome;

	ck_assert_int_eq(run_traced(true, ret_trace, ret_out), 0);
	dry_outcome = res.outcome;
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
	ck_assert_uint_eq(sim_count("remove") + sim_count("rescan") + sim_count("probe"), writes);

	ck_assert_int_eq(run_traced(false, &run_trace, NULL), 0);
	ck_assert_str_eq(*ret_trace, run_trace);
	ck_assert_int_eq(res.outcome, dry_outcome);
}

static void assert_has(const char *hay, const char *needle)
{
	ck_assert_msg(hay && strstr(hay, needle), "expected '%s' in:\n%s", needle, hay ? hay : "(null)");
}

static void assert_lacks(const char *hay, const char *needle)
{
	ck_assert_msg(!hay || !strstr(hay, needle), "did not expect '%s' in:\n%s", needle, hay);
}

START_TEST(dry_run_walks_the_steps_of_the_run)
{
	_cleanup_(freep) char *trace = NULL, *out = NULL, *want = NULL, *queue = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&want, &len);

	assert_dry_run_then_run_agree(&trace, &out);
	ck_assert_int_eq(res.outcome, ENGINE_OK);

	/* the steps in their order, from the config: what steps.h lists */
	fprintf(w, "lock lock\nprepare record 0000:00:1f.6\n");
	for (size_t i = 0; i < cfg.functions.n; i++)
		fprintf(w, "remove remove %s\n", PCI_ADDR_STR(&cfg.functions.v[i]));
	fprintf(w, "rescan rescan\nwait back\nwait udev\nwait queue\n");
	for (size_t i = 0; i < cfg.vfio_devices.n; i++)
		fprintf(w, "bind bind %s\n", PCI_ADDR_STR(&cfg.vfio_devices.v[i]));
	fprintf(w, "verify verify\nhand-over notifier\n");
	ck_assert_int_eq(fclose(w), 0);
	ck_assert_str_eq(trace, want);

	/* what the dry run shows of the udev waits and the override, the run did */
	ck_assert_int_ge(asprintf(&queue,
				  "Before binding, wait up to 2000 ms for udev's event queue to "
				  "empty (%s/run/udev/queue).\nBind to vfio-pci:\n",
				  root),
			 0);
	assert_has(out, "  0000:00:1f.6 will get a group of its own\n"
			"Then wait, within the same 2000 ms, for udev to finish with the re-added "
			"function(s) and name their interfaces.\n");
	assert_has(out, queue);
	assert_has(out,
		   "  0000:00:1f.3 [8086:a348] Cannon Lake PCH cAVS  (now snd_hda_intel; bound after the rescan)\n"
		   "The removal clears driver_override: after the rescan, vfio-pci is written to it "
		   "again for 0000:00:1f.0, 0000:00:1f.3.\nHost network: eno1 (0000:00:1f.6) in vmbr0");
	_cleanup_(freep) char *ov = root_file("sys/bus/pci/devices/0000:00:1f.3/driver_override");
	ck_assert_str_eq(ov, "vfio-pci\n");

	/* each figure of the report is one step's time, within the total */
	ck_assert_uint_le(res.ms_lock + res.ms_remove + res.ms_rescan + res.ms_wait + res.ms_bind,
			  res.ms_total);
}
END_TEST

START_TEST(dry_run_and_run_stop_at_the_same_refusal)
{
	_cleanup_(freep) char *trace = NULL, *out = NULL;

	load_config_text("[regroup]\nfunctions = 0000:00:1f.3 0000:00:17.0\n");
	assert_dry_run_then_run_agree(&trace, &out);
	ck_assert_int_eq(res.outcome, ENGINE_REFUSED);
	/* prepare refused: no later step acted */
	ck_assert_str_eq(trace, "lock lock\nprepare refuse 0000:00:17.0\n");
	ck_assert_str_eq(out,
			 "Dry run: nothing is written.\nRefused: nothing would be written.\n"
			 "  0000:00:17.0 must not be removed: disk sda is used (LVM pve, /, /boot/efi, swap)\n");
	ck_assert_uint_eq(sim_count("remove") + sim_count("rescan"), 0);
}
END_TEST

START_TEST(dry_run_and_run_stop_for_a_missing_vfio_device)
{
	_cleanup_(freep) char *trace = NULL, *out = NULL;

	load_config_text("[regroup]\nfunctions = 0000:00:1f.3\n[vfio]\ndevices = 0000:00:02.1\n");
	assert_dry_run_then_run_agree(&trace, &out);
	ck_assert_int_eq(res.outcome, ENGINE_FAILED);
	ck_assert(res.untouched);
	ck_assert_str_eq(trace, "lock lock\nprepare missing 0000:00:02.1\n");
	ck_assert_str_eq(out, "Dry run: nothing is written.\n"
			      "Stopped: a [vfio] device is not present; nothing would be written.\n"
			      "  0000:00:02.1 missing: not present now\n");
	assert_logged("[vfio] device 0000:00:02.1 is not present; nothing was changed.");
	ck_assert_uint_eq(sim_count("remove"), 0);
}
END_TEST

START_TEST(dry_run_shows_the_recovery_the_run_makes)
{
	_cleanup_(freep) char *p = tu_path(root, "sys/bus/pci/devices/0000:00:1f.3/remove");
	_cleanup_(freep) char *trace = NULL, *out = NULL, *recovery = NULL;

	/* an earlier run removed 1f.3 and died before its rescan */
	ck_assert_int_eq(sysfs_write(p, "1"), 0);
	assert_dry_run_then_run_agree(&trace, &out);
	ck_assert_int_eq(res.outcome, ENGINE_OK);
	ck_assert(res.recovery_rescan);
	ck_assert_int_ge(asprintf(&recovery,
				  "Recovery: 1 configured function(s) are missing (an earlier run "
				  "stopped between remove and rescan): rescan %s/sys/bus/pci/rescan first.\n",
				  root),
			 0);
	assert_has(out, recovery);
	/* listed where it is removed, unnumbered: the others keep the numbers they had */
	assert_has(out, "  1. 0000:00:1f.0 [8086:a306] Q370 Chipset LPC/eSPI Controller  group 7 (4 devices)  driver none\n"
			"     0000:00:1f.3 missing now; removed once the recovery rescan brings it back\n"
			"  2. 0000:00:1f.4 ");
	assert_has(out, "wait up to 2000 ms for 5 function(s) to come back.\n");
	assert_has(trace, "prepare recover\n");
	assert_has(trace, "remove remove 0000:00:1f.3\n");
	ck_assert(fn("0000:00:1f.3")->removed);
}
END_TEST

START_TEST(dry_run_shows_the_autoprobe_repair)
{
	_cleanup_(freep) char *trace = NULL, *out = NULL, *line = NULL;

	tu_write_file(root, "run/igd-regroup/autoprobe-held", "");
	tu_write_file(root, "sys/bus/pci/drivers_autoprobe", "0\n");
	load_config_text("[regroup]\nfunctions = 0000:00:1f.4\n");
	assert_dry_run_then_run_agree(&trace, &out);
	ck_assert_int_ge(asprintf(&line,
				  "Dry run: nothing is written.\nAutoprobe: an older igd-regroup left PCI "
				  "driver autoprobing off (%s/run/igd-regroup/autoprobe-held): write 1 to "
				  "%s/sys/bus/pci/drivers_autoprobe first.\n",
				  root, root),
			 0);
	assert_starts(out, line);
	assert_has(trace, "prepare autoprobe\n");
	_cleanup_(freep) char *v = root_file("sys/bus/pci/drivers_autoprobe");
	ck_assert_str_eq(v, "1\n");
}
END_TEST

/* Fails unless text holds each needle, in this order. */
static void assert_in_order(const char *text, const char *const *needles, size_t n)
{
	const char *at = text;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < n; i++) {
		const char *hit = strstr(at, needles[i]);

		ck_assert_msg(hit, "'%s' missing%s in:\n%s", needles[i],
			      i ? " after the previous one" : "", text);
		at = hit + strlen(needles[i]);
	}
}

/* A dry run alone, its output into *ret_out: it writes nothing. Returns engine_run's value. */
static int dry_run_only(char **ret_out)
{
	_cleanup_(freep) char *before = tu_tree_digest(root);
	_cleanup_(freep) char *after = NULL, *trace = NULL;
	int k = run_traced(true, &trace, ret_out);

	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
	return k;
}

/* "  ADDR [VVVV:DDDD] NAME  ", as a snapshot of the tree has the device now. */
static char *device_line(const struct snapshot *snap, const char *addr)
{
	struct pci_addr a;
	const struct pci_device *d;
	char *s = NULL;

	ck_assert_int_eq(pci_addr_parse(addr, 0, &a), 0);
	d = snapshot_find(snap, &a);
	ck_assert_msg(d, "%s is not in the tree", addr);
	ck_assert_int_ge(asprintf(&s, "  %s [%04x:%04x] %s  ", addr, d->vendor_id, d->device_id,
				  d->device_name),
			 0);
	return s;
}

START_TEST(dry_run_numbers_the_removals_in_the_config_order)
{
	/* deliberately not in address order, with a timeout of their own */
	static const char *const order[] = { "0000:00:1f.6", "0000:00:1f.3", "0000:00:1f.0" };
	const unsigned timeout_ms = 1234;
	_cleanup_(freep) char *text = NULL, *trace = NULL, *out = NULL, *rescan = NULL;
	char *lines[ELEMENTSOF(order)] = {};
	const char *needles[ELEMENTSOF(order) + 2];

	ck_assert_int_ge(asprintf(&text, "[regroup]\nfunctions = %s %s %s\ntimeout_ms = %u\n", order[0],
				  order[1], order[2], timeout_ms),
			 0);
	load_config_text(text);
	assert_dry_run_then_run_agree(&trace, &out);

	/* numbered in that order, then one rescan for all of them with that timeout */
	needles[0] = "Remove, in this order:\n";
	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		ck_assert_int_ge(asprintf(&lines[i], "  %zu. %s ", i + 1, order[i]), 0);
		needles[i + 1] = lines[i];
	}
	ck_assert_int_ge(asprintf(&rescan, "wait up to %u ms for %zu function(s)", timeout_ms,
				  ELEMENTSOF(order)),
			 0);
	needles[ELEMENTSOF(order) + 1] = rescan;
	assert_in_order(out, needles, ELEMENTSOF(needles));
	assert_lacks(out, "Refused");
	for (size_t i = 0; i < ELEMENTSOF(order); i++)
		free(lines[i]);
}
END_TEST

START_TEST(dry_run_refusal_lists_no_removal_and_no_bind)
{
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(plan_done) struct plan plan = {};
	_cleanup_(freep) char *trace = NULL, *out = NULL;

	/* 17.0 holds the root disk; 1f.3 may be removed and is a [vfio] device */
	load_config_text("[regroup]\nfunctions = 0000:00:1f.3 0000:00:17.0\n"
			 "[vfio]\ndevices = 0000:00:1f.3\n");
	/* which functions the plan of this tree refuses, and why (test-plan.c, test-storage.c) */
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	ck_assert_int_eq(plan_build(&cfg, &snap, &plan), 0);
	ck_assert_uint_eq(plan.n_refused, 1);

	assert_dry_run_then_run_agree(&trace, &out);
	ck_assert_int_eq(res.outcome, ENGINE_REFUSED);
	assert_starts(out, "Dry run: nothing is written.\nRefused: nothing would be written.\n");
	for (size_t i = 0; i < plan.n_functions; i++) {
		const struct plan_function *f = &plan.functions[i];
		_cleanup_(freep) char *why = NULL, *line = NULL;

		if (f->refusal == REFUSE_NONE) {
			/* neither removed nor bound: not named at all */
			assert_lacks(out, PCI_ADDR_STR(&f->addr));
			continue;
		}
		why = plan_refusal_reason(f);
		ck_assert_ptr_nonnull(why);
		ck_assert_int_ge(asprintf(&line, "  %s must not be removed: %s\n",
					  PCI_ADDR_STR(&f->addr), why),
				 0);
		assert_has(out, line);
	}
	assert_lacks(out, "Remove, in this order");
	assert_lacks(out, "Bind to vfio-pci");
}
END_TEST

START_TEST(dry_run_recovery_numbers_only_the_functions_present)
{
	_cleanup_(freep) char *p = tu_path(root, "sys/bus/pci/devices/0000:00:1f.3/remove");
	_cleanup_(freep) char *trace = NULL, *out = NULL, *recovery = NULL, *first = NULL;
	_cleanup_(freep) char *next = NULL;
	_cleanup_(freep) char **lines = NULL;
	_cleanup_(freep) const char **needles = NULL;
	size_t missing = 0, n = 0, shown = 0;

	/* an earlier run removed the first configured function and died before its rescan */
	load_config_text("[regroup]\nfunctions = 0000:00:1f.3 0000:00:1f.4\n");
	ck_assert_int_eq(sysfs_write(p, "1"), 0);

	/* the recovery rescan first; then the removals, numbering those present, in config order */
	lines = calloc(cfg.functions.n, sizeof(*lines));
	needles = calloc(cfg.functions.n + 3, sizeof(*needles));
	ck_assert(lines && needles);
	n = 3; /* the recovery's two needles and the list's title go first */
	for (size_t i = 0; i < cfg.functions.n; i++) {
		const char *a = PCI_ADDR_STR(&cfg.functions.v[i]);

		if (sysfs_dev_present(ctx, &cfg.functions.v[i]))
			ck_assert_int_ge(asprintf(&lines[i], "  %zu. %s ", ++shown, a), 0);
		else {
			missing++;
			ck_assert_int_ge(asprintf(&lines[i],
						  "     %s missing now; removed once the recovery "
						  "rescan brings it back\n",
						  a),
					 0);
		}
		needles[n++] = lines[i];
	}
	ck_assert_uint_eq(missing, 1);
	ck_assert_int_ge(asprintf(&recovery, "Recovery: %zu configured function(s) are missing", missing),
			 0);
	ck_assert_int_ge(asprintf(&first, "rescan %s/sys/bus/pci/rescan first.\n", root), 0);
	needles[0] = recovery;
	needles[1] = first;
	needles[2] = "Remove, in this order:\n";

	assert_dry_run_then_run_agree(&trace, &out);
	ck_assert(res.recovery_rescan);
	assert_in_order(out, needles, n);
	ck_assert_int_ge(asprintf(&next, "  %zu. ", shown + 1), 0);
	assert_lacks(out, next);
	for (size_t i = 0; i < cfg.functions.n; i++)
		free(lines[i]);
}
END_TEST

START_TEST(dry_run_says_which_vfio_devices_are_bound_already)
{
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(freep) char *trace = NULL, *out = NULL, *igpu = NULL, *audio = NULL;
	_cleanup_(freep) char *bound = NULL, *cycled = NULL, *audio_bound = NULL;
	_cleanup_(freep) char *igpu_driver = NULL, *audio_driver = NULL;
	struct pci_addr a;

	/* the split state: 02.0 and 1f.3 on vfio-pci; 1f.3 is cycled again, 02.0 is not */
	teardown();
	setup_topology("hp-elitedesk-800-g4-split");
	load_hp_config(2000);
	igpu_driver = driver_of("0000:00:02.0");
	audio_driver = driver_of("0000:00:1f.3");
	ck_assert_str_eq(igpu_driver, "vfio-pci");
	ck_assert_str_eq(audio_driver, "vfio-pci");
	ck_assert_int_eq(pci_addr_parse("0000:00:02.0", 0, &a), 0);
	ck_assert(!addr_list_contains(&cfg.functions, &a));
	ck_assert_int_eq(pci_addr_parse("0000:00:1f.3", 0, &a), 0);
	ck_assert(addr_list_contains(&cfg.functions, &a));
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
	igpu = device_line(&snap, "0000:00:02.0");
	audio = device_line(&snap, "0000:00:1f.3");

	assert_dry_run_then_run_agree(&trace, &out);
	/* bound and left alone: already bound; bound too but removed: bound again after the rescan */
	ck_assert_int_ge(asprintf(&bound, "%s(already bound)\n", igpu), 0);
	ck_assert_int_ge(asprintf(&cycled, "%s(now %s; bound after the rescan)\n", audio, audio_driver), 0);
	ck_assert_int_ge(asprintf(&audio_bound, "%s(already bound)", audio), 0);
	assert_in_order(out, (const char *const[]){ "Bind to vfio-pci:\n", bound, cycled }, 3);
	assert_lacks(out, audio_bound);
}
END_TEST

/* The host network line of a dry run: eno1 of 1f.6, up in vmbr0, as the fixture has it. */
static char *host_network_line(const char *then)
{
	char *s = NULL;

	ck_assert_int_ge(asprintf(&s,
				  "Host network: eno1 (0000:00:1f.6) in vmbr0 is up and goes away with the "
				  "removal; afterwards igd-regroup-netnotify.service brings it back (%s).\n",
				  then),
			 0);
	return s;
}

START_TEST(dry_run_names_the_up_interfaces_and_the_action)
{
	_cleanup_(freep) char *out = NULL, *then = NULL, *want = NULL, *none = NULL;

	/* a second interface of 1f.6 that is down; 14.3's up, but 14.3 is not configured */
	ck_assert_int_eq(fixture_build(root, "net eno2 dev=0000:00:1f.6 state=down\n"
					     "net wlp0s20f3 dev=0000:00:14.3 state=up\n"),
			 0);
	load_config_text("[regroup]\nfunctions = 0000:00:1f.3 0000:00:1f.6\n"
			 "[network]\nunits = networking.service frr.service\naction = reload\n");
	ck_assert_uint_eq(cfg.n_units, 2);
	ck_assert_int_eq(dry_run_only(&out), 0);
	ck_assert_int_ge(asprintf(&then, "%s %s %s", net_action_to_string(cfg.action), cfg.units[0],
				  cfg.units[1]),
			 0);
	want = host_network_line(then);
	assert_has(out, want);
	assert_lacks(out, "eno2");
	assert_lacks(out, "wlp0s20f3");

	/* without an action nothing is restarted */
	free(out);
	out = NULL;
	load_config_text("[regroup]\nfunctions = 0000:00:1f.3 0000:00:1f.6\n"
			 "[network]\nunits = networking.service frr.service\naction = none\n");
	ck_assert_int_eq(cfg.action, NET_ACTION_NONE);
	ck_assert_int_eq(dry_run_only(&out), 0);
	none = host_network_line("action none: nothing is restarted");
	assert_has(out, none);
}
END_TEST

START_TEST(dry_run_of_an_empty_config_has_nothing_to_do)
{
	static const char config_path[] = "/etc/plan-test.conf";
	_cleanup_(igd_ctx_freep) struct igd_ctx *named = NULL;
	_cleanup_(freep) char *before = tu_tree_digest(root);
	_cleanup_(freep) char *after = NULL, *out = NULL, *want = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct engine_options o = { .functions = &cfg.functions, .dry_run = f };

	/* a context that names its config file: the dry run says which file is empty */
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(igd_ctx_new(root, config_path, &named), 0);
	igd_ctx_set_log_fn(named, tu_log_fn, &logbuf);
	load_config_text("[regroup]\nfunctions =\n");
	ck_assert_int_eq(engine_run(named, &cfg, &o, &res), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(res.outcome, ENGINE_NOTHING);
	ck_assert_int_ge(asprintf(&want,
				  "Dry run: nothing is written.\nNothing to do: [regroup] functions and "
				  "[vfio] devices are empty in %s.\n",
				  config_path),
			 0);
	ck_assert_str_eq(out, want);
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
}
END_TEST

START_TEST(lock_failure_stops_before_prepare)
{
	_cleanup_(igd_lock_release) struct igd_lock held = IGD_LOCK_NULL;
	_cleanup_(freep) char *trace = NULL;

	ck_assert_int_eq(igd_lock_take(ctx, 100, &held), 0);
	ck_assert_int_eq(run_traced(false, &trace, NULL), -ETIMEDOUT);
	ck_assert_str_eq(trace, "lock lock\n");
	ck_assert_uint_eq(sim_count("remove"), 0);
}
END_TEST

START_TEST(failed_removal_still_rescans_and_binds)
{
	_cleanup_(freep) char *trace = NULL;

	/* from the first removal on no step stops the run: the rescan must follow */
	faults("remove@0000:00:1f.4=EIO");
	ck_assert_int_eq(run_traced(false, &trace, NULL), 0);
	ck_assert_int_eq(res.error, -EIO);
	assert_has(trace, "remove remove 0000:00:1f.4\nrescan rescan\nwait back\nwait udev\nwait queue\n"
			  "bind bind 0000:00:02.0\n");
	assert_lacks(trace, "remove remove 0000:00:1f.5\n");
	assert_has(trace, "verify verify\nhand-over notifier\n");
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc;

	tc = tcase_create("run");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, split_binds_and_records);
	tcase_add_test(tc, host_driver_takes_audio_at_rescan_then_moved);
	tcase_add_test(tc, vfio_pci_with_the_id_registered_first_takes_audio_at_rescan);
	tcase_add_test(tc, vfio_pci_id_without_load_order_is_not_enough);
	tcase_add_test(tc, autoprobe_off_keeps_no_driver_away_and_is_left_alone);
	tcase_add_test(tc, already_split_is_idempotent);
	tcase_add_test(tc, nothing_configured);
	tcase_add_test(tc, stays_grouped_is_reported);
	tcase_add_test(tc, split_as_predicted_says_nothing_more);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, remove_fails_midway_rescans_anyway);
	tcase_add_test(tc, remove_busy_first_writes_nothing_else);
	tcase_add_test(tc, remove_short_write);
	tcase_add_test(tc, remove_enodev);
	tcase_add_test(tc, remove_does_not_take);
	tcase_add_test(tc, rescan_busy_is_retried);
	tcase_add_test(tc, rescan_keeps_failing_names_the_missing);
	tcase_add_test(tc, never_comes_back);
	tcase_add_test(tc, slow_readd_within_timeout);
	tcase_add_test(tc, slow_udev_within_timeout);
	tcase_add_test(tc, udev_never_finishes);
	tcase_add_test(tc, override_fails);
	tcase_add_test(tc, unbind_fails_restores_host_driver);
	tcase_add_test(tc, probe_binds_nothing_is_caught);
	tcase_add_test(tc, probe_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("udev");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, waits_for_udev_queue_then_binds);
	tcase_add_test(tc, udev_queue_never_empties_times_out);
	tcase_add_test(tc, no_udev_no_queue_wait);
	tcase_add_test(tc, driver_taking_device_during_bind_is_moved_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("safety");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, refuses_root_disk);
	tcase_add_test(tc, refuses_disk_held_by_vm);
	tcase_add_test(tc, refuses_vfio_device_held_by_vm);
	tcase_add_test(tc, missing_vfio_device_writes_nothing);
	tcase_add_test(tc, recovers_from_a_run_that_died);
	tcase_add_test(tc, restores_autoprobe_an_older_version_left_off);
	tcase_add_test(tc, lock_held_times_out);
	tcase_add_test(tc, stale_lock_file_does_not_block);
	tcase_add_test(tc, concurrent_runs_serialize);
	suite_add_tcase(s, tc);

	tc = tcase_create("steps");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dry_run_walks_the_steps_of_the_run);
	tcase_add_test(tc, dry_run_and_run_stop_at_the_same_refusal);
	tcase_add_test(tc, dry_run_and_run_stop_for_a_missing_vfio_device);
	tcase_add_test(tc, dry_run_shows_the_recovery_the_run_makes);
	tcase_add_test(tc, dry_run_shows_the_autoprobe_repair);
	tcase_add_test(tc, dry_run_numbers_the_removals_in_the_config_order);
	tcase_add_test(tc, dry_run_refusal_lists_no_removal_and_no_bind);
	tcase_add_test(tc, dry_run_recovery_numbers_only_the_functions_present);
	tcase_add_test(tc, dry_run_says_which_vfio_devices_are_bound_already);
	tcase_add_test(tc, dry_run_names_the_up_interfaces_and_the_action);
	tcase_add_test(tc, dry_run_of_an_empty_config_has_nothing_to_do);
	tcase_add_test(tc, lock_failure_stops_before_prepare);
	tcase_add_test(tc, failed_removal_still_rescans_and_binds);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(engine_suite)
