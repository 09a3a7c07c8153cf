/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rescan and wait: the rescan that brings the removed functions back, then
 * the waits before the bind -- for the functions, for udev with them, for
 * udev's event queue. One file: the waits share the rescan's deadline.
 *
 * What the kernel does at a rescan: each re-added function is attached by
 * pci_bus_add_device() -> device_attach() to the first registered driver
 * that matches it (a driver's dynamic ids from new_id or vfio-pci's ids=
 * count), whatever /sys/bus/pci/drivers_autoprobe says (only
 * bus_probe_device() honours it), and the removal took driver_override
 * with it. So a host driver (snd_hda_intel for 1f.3) may hold a [vfio]
 * device for the moment between the rescan and our bind; only module
 * configuration keeps it off for good (see `igd-regroup check`).
 */
#include "core/sysfs.h"
#include "core/time_util.h"
#include "engine/steps.h"
#include "topology/devwait.h"

/*
 * The rescan is what brings removed devices back, so a failing write is
 * retried (briefly) until the deadline rather than given up on.
 */
int engine_rescan(const struct igd_ctx *ctx, uint64_t deadline)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/bus/pci/rescan");
	int r;

	if (!p)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot rescan: %m");
	for (unsigned attempt = 1;; attempt++) {
		r = sysfs_write(p, "1");
		if (r == 0)
			return 0;
		igd_log_errno(ctx, LOG_ERR, r, "Rescan (%s) failed, attempt %u: %m", p, attempt);
		if (now_ms() >= deadline)
			return r;
		sleep_ms(50);
	}
}

/* Per function, from its header type: "will get a group of its own", or with whom it will stay. */
static void say_prediction(struct engine_run *run, const struct split_prediction *p)
{
	step_say(run, "After the rescan (predicted from each function's header type):\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct split_outcome *o = &p->v[i];

		step_say(run, "  %s ", PCI_ADDR_STR(&o->addr));
		if (o->fate == SPLIT_OWN_GROUP)
			step_say(run, "will get a group of its own\n");
		else if (o->fate == SPLIT_UNKNOWN)
			step_say(run, "not predicted: %s\n", o->why_unknown);
		else {
			step_say(run, "will stay grouped with");
			for (size_t j = 0; j < o->n_with; j++)
				step_say(run, "%s %s", j ? "," : "", PCI_ADDR_STR(&o->with[j]));
			step_say(run, " (multi-function header)\n");
		}
	}
}

int step_rescan(struct engine_run *run)
{
	unsigned timeout_ms = run->cfg->regroup_timeout_ms;

	/* From the first removal on, every path goes through the rescan. */
	run->deadline = now_ms() + timeout_ms;
	if (!run->n_removed)
		return 0;
	step_action(run, "rescan", NULL);
	if (run->dry) {
		step_say(run,
			 "Then rescan once (%s/sys/bus/pci/rescan) and wait up to %u ms for %zu function(s) to come back.\n",
			 igd_ctx_root(run->ctx), timeout_ms, run->n_removed);
		say_prediction(run, &run->plan.prediction);
		return 0;
	}
	return engine_rescan(run->ctx, run->deadline);
}

/* The removed functions are back (the dry run said so with the rescan). */
static int wait_back(struct engine_run *run)
{
	_cleanup_(freep) bool *back = NULL;

	step_action(run, "back", NULL);
	if (run->dry)
		return 0;
	back = calloc(run->n_removed, sizeof(*back));
	if (!back)
		return -ENOMEM;
	if (devwait_present(run->ctx, run->removed, run->n_removed, run->deadline, back) == 0)
		return 0;
	for (size_t i = 0; i < run->n_removed; i++)
		if (!back[i])
			log_error(run->ctx, "%s did not come back within %u ms of the rescan.",
				  PCI_ADDR_STR(&run->removed[i]), run->cfg->regroup_timeout_ms);
	return -ETIMEDOUT;
}

/* udev has initialized them and named their interfaces. */
static int wait_udev(struct engine_run *run)
{
	step_action(run, "udev", NULL);
	if (run->dry) {
		step_say(run,
			 "Then wait, within the same %u ms, for udev to finish with the re-added "
			 "function(s) and name their interfaces.\n",
			 run->cfg->regroup_timeout_ms);
		return 0;
	}
	if (devwait_udev(run->ctx, run->removed, run->n_removed, run->deadline) == 0)
		return 0;
	log_error(run->ctx, "udev did not finish with the re-added functions within %u ms.",
		  run->cfg->regroup_timeout_ms);
	return -ETIMEDOUT;
}

/*
 * Before binding: udev may still be loading drivers for coldplugged devices
 * (at boot) or for the functions the rescan re-added; a driver that
 * registers during our bind can take a [vfio] device. Bounded by
 * [regroup] timeout_ms; when udev is still busy then, bind anyway (the
 * bind checks the result and tries once more when a driver took the device).
 */
static void wait_udev_queue(struct engine_run *run)
{
	const struct igd_ctx *ctx = run->ctx;
	unsigned timeout_ms = run->cfg->regroup_timeout_ms;
	_cleanup_(freep) char *queue = igd_path(ctx, "/run/udev/queue");
	int r;

	step_action(run, "queue", NULL);
	if (run->dry) {
		step_say(run, "Before binding, wait up to %u ms for udev's event queue to empty (%s).\n",
			 timeout_ms, queue ? queue : "/run/udev/queue");
		return;
	}
	r = devwait_udev_queue(ctx, now_ms() + timeout_ms, NULL);
	if (r == -ETIMEDOUT)
		log_warning(ctx,
			    "udev's event queue was still not empty after %u ms (%s exists): "
			    "binding anyway; a driver udev loads now may take a [vfio] device "
			    "during the bind.",
			    timeout_ms, queue ? queue : "/run/udev/queue");
	else if (r < 0)
		igd_log_errno(ctx, LOG_WARNING, r, "Cannot look at udev's event queue: %m; binding anyway.");
}

int step_wait(struct engine_run *run)
{
	int fail = 0;

	if (run->n_removed) {
		fail = wait_back(run);
		if (wait_udev(run) < 0 && !fail)
			fail = -ETIMEDOUT;
	}
	if (run->cfg->vfio_devices.n)
		wait_udev_queue(run);
	return fail;
}
