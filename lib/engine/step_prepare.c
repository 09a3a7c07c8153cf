/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The steps before the first write to a device: lock, then prepare
 * (snapshot, IOMMU requirement, plan, recovery rescan, refusals, the NIC
 * record). A refusal stops the run here, in a dry run as in a run.
 */
#include <string.h>
#include <unistd.h>

#include "core/sysfs.h"
#include "core/time_util.h"
#include "engine/steps.h"
#include "topology/devwait.h"
#include "topology/iommu.h"

int step_lock(struct engine_run *run)
{
	const struct igd_ctx *ctx = run->ctx;
	unsigned timeout_ms = run->opts->lock_timeout_ms ? run->opts->lock_timeout_ms
							 : LOCK_TIMEOUT_MS_DEFAULT;

	if (run->view.functions.n == 0 && run->view.vfio_devices.n == 0) {
		step_action(run, "nothing", NULL);
		if (run->dry)
			step_say(run,
				 "Nothing to do: [regroup] functions and [vfio] devices are empty in %s.\n",
				 igd_ctx_config_path(ctx));
		else
			log_info(ctx,
				 "Nothing to do: no functions and no [vfio] devices are configured in %s.",
				 igd_ctx_config_path(ctx));
		run->r = (struct engine_result){ .outcome = ENGINE_NOTHING };
		run->have_result = true;
		return STEP_STOP;
	}
	step_action(run, "lock", NULL);
	if (run->dry)
		return 0; /* a dry run writes nothing, not even the lock file */
	return igd_lock_take(ctx, timeout_ms, &run->lock);
}

/*
 * Older versions held drivers_autoprobe at 0 across the rescan and left
 * this marker while they did; one killed in between left autoprobing off.
 * The marker says that 0 was ours, not the admin's: put it back to 1, once.
 * (Nothing holds it now: see the rescan step.)
 */
#define LEGACY_AUTOPROBE_MARKER "/run/igd-regroup/autoprobe-held"

static void legacy_autoprobe_restore(struct engine_run *run)
{
	const struct igd_ctx *ctx = run->ctx;
	_cleanup_(freep) char *marker = igd_path(ctx, LEGACY_AUTOPROBE_MARKER);
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/bus/pci/drivers_autoprobe");
	int r;

	if (!marker || !p || access(marker, F_OK) < 0)
		return;
	step_action(run, "autoprobe", NULL);
	if (run->dry) {
		step_say(run,
			 "Autoprobe: an older igd-regroup left PCI driver autoprobing off (%s): "
			 "write 1 to %s first.\n",
			 marker, p);
		return;
	}
	log_warning(ctx, "An older igd-regroup left PCI driver autoprobing off (%s): turning it back on.",
		    marker);
	r = sysfs_write(p, "1");
	if (r < 0) {
		igd_log_errno(ctx, LOG_WARNING, r, "Cannot write 1 to %s: %m", p);
		return; /* the marker stays: the next run tries again */
	}
	if (unlink(marker) < 0 && errno != ENOENT)
		igd_log_errno(ctx, LOG_WARNING, errno, "Cannot remove %s: %m", marker);
}

static int read_and_plan(struct engine_run *run)
{
	const struct igd_ctx *ctx = run->ctx;
	int k;

	k = snapshot_read(ctx, &run->snap);
	if (k < 0)
		return k;
	/* without an IOMMU there is nothing to split: say so before any plan */
	k = iommu_require(ctx, &run->snap);
	if (k < 0)
		return k;
	k = plan_build(&run->view, &run->snap, &run->plan);
	if (k < 0 && run->dry) /* the dry run's own wording, as it always was */
		return igd_log_errno(ctx, LOG_ERR, k, "cannot build the plan: %m");
	if (k < 0)
		return igd_log_errno(ctx, LOG_ERR, k, "Cannot build the plan: %m. Nothing was changed.");
	return 0;
}

/* Rescans for functions missing at start (an earlier run died before its rescan); plans again. */
static int recover_missing(struct engine_run *run)
{
	const struct igd_ctx *ctx = run->ctx;
	unsigned timeout_ms = run->cfg->regroup_timeout_ms;
	_cleanup_(freep) struct pci_addr *missing = calloc(run->plan.n_missing, sizeof(*missing));
	size_t n = 0;
	int k;

	step_action(run, "recover", NULL);
	if (run->dry) {
		step_say(run,
			 "Recovery: %zu configured function(s) are missing (an earlier run stopped "
			 "between remove and rescan): rescan %s/sys/bus/pci/rescan first.\n",
			 run->plan.n_missing, igd_ctx_root(ctx));
		return 0;
	}
	run->r.recovery_rescan = true;
	if (!missing)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot rescan for the missing functions: %m");
	for (size_t i = 0; i < run->plan.n_functions; i++)
		if (!run->plan.functions[i].dev)
			missing[n++] = run->plan.functions[i].addr;
	log_warning(ctx,
		    "%zu configured function(s) are missing, first %s: an earlier run stopped "
		    "between remove and rescan. Rescanning first.",
		    n, PCI_ADDR_STR(&missing[0]));
	k = engine_rescan(ctx, now_ms() + timeout_ms);
	if (k < 0)
		return k;
	if (devwait_present(ctx, missing, n, now_ms() + timeout_ms, NULL) < 0)
		log_warning(ctx, "Not every missing function came back after the recovery rescan.");

	plan_done(&run->plan);
	snapshot_done(&run->snap);
	k = snapshot_read(ctx, &run->snap);
	if (k < 0)
		return k;
	k = plan_build(&run->view, &run->snap, &run->plan);
	if (k < 0)
		return igd_log_errno(ctx, LOG_ERR, k,
				     "Cannot build the plan after the recovery rescan: %m.");
	return 0;
}

/* Functions that must not be removed: nothing is written, and the run says which and why. */
static int refuse(struct engine_run *run)
{
	struct engine_result *r = &run->r;

	r->outcome = ENGINE_REFUSED;
	r->error = -EPERM;
	r->refused_held = true; /* only because running VMs hold functions (vfio) */
	step_say(run, "Refused: nothing would be written.\n");
	for (size_t i = 0; i < run->plan.n_functions; i++) {
		const struct plan_function *f = &run->plan.functions[i];
		_cleanup_(freep) char *why = NULL;

		if (f->refusal == REFUSE_NONE)
			continue;
		if (f->refusal != REFUSE_VFIO_IN_USE)
			r->refused_held = false;
		why = plan_refusal_reason(f);
		step_action(run, "refuse", &f->addr);
		if (run->dry)
			step_say(run, "  %s must not be removed: %s\n", PCI_ADDR_STR(&f->addr),
				 why ? why : refusal_to_string(f->refusal));
		else
			log_error(run->ctx, "Refusing to remove %s: %s. Nothing was changed.",
				  PCI_ADDR_STR(&f->addr), why ? why : refusal_to_string(f->refusal));
	}
	return STEP_STOP;
}

/* [vfio] devices that are not there (and not among the functions): nothing is written. */
static int stop_for_missing_binds(struct engine_run *run)
{
	run->r.outcome = ENGINE_FAILED;
	run->r.error = -ENODEV;
	run->r.untouched = true;
	step_say(run, "Stopped: a [vfio] device is not present; nothing would be written.\n");
	for (size_t i = 0; i < run->plan.n_binds; i++) {
		const struct plan_bind *b = &run->plan.binds[i];

		if (b->dev || b->cycled)
			continue;
		step_action(run, "missing", &b->addr);
		if (run->dry)
			step_say(run, "  %s missing: not present now\n", PCI_ADDR_STR(&b->addr));
		else
			log_error(run->ctx, "[vfio] device %s is not present; nothing was changed.",
				  PCI_ADDR_STR(&b->addr));
	}
	return STEP_STOP;
}

/*
 * The up NICs the removal takes down, into the result and (a run) the
 * record the notifier reads: written before the first removal, so a crash
 * still leaves it behind. The hand-over step names them.
 */
static int record_nics(struct engine_run *run)
{
	const struct plan *plan = &run->plan;
	struct engine_result *r = &run->r;

	if (!plan->n_netdevs)
		return 0;
	r->nics = calloc(plan->n_netdevs, sizeof(*r->nics));
	if (!r->nics)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_netdevs; i++) {
		const struct netdev_info *n = plan->netdevs[i].netdev;
		struct netrecord_entry *e = &r->nics[r->n_nics++];

		e->addr = plan->netdevs[i].addr;
		e->ifname = strdup(n->name);
		e->bridge = n->master ? strdup(n->master) : NULL;
		if (!e->ifname || (n->master && !e->bridge))
			return -ENOMEM;
		step_action(run, "record", &e->addr);
	}
	return run->dry ? 0 : netrecord_write(run->ctx, r->nics, r->n_nics);
}

int step_prepare(struct engine_run *run)
{
	const struct igd_ctx *ctx = run->ctx;
	int k;

	legacy_autoprobe_restore(run);
	k = read_and_plan(run);
	if (k < 0)
		return k;
	if (run->plan.n_missing) {
		k = recover_missing(run);
		if (k < 0)
			return k;
	}
	run->removed = calloc(run->plan.n_functions ? run->plan.n_functions : 1, sizeof(*run->removed));
	if (!run->removed)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM,
				     "Cannot start removing: %m. Nothing was changed.");
	k = engine_result_start(run);
	if (k < 0)
		return igd_log_errno(ctx, LOG_ERR, k,
				     "Cannot start the run's report: %m. Nothing was changed.");
	run->have_result = true;

	if (run->plan.n_refused)
		return refuse(run);
	if (run->plan.n_missing_binds)
		return stop_for_missing_binds(run);
	return record_nics(run);
}
