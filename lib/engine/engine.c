/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/lock.h"
#include "core/sysfs.h"
#include "core/time_util.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "engine/vfio.h"
#include "network/systemd_units.h"
#include "topology/devwait.h"
#include "topology/iommu.h"
#include "topology/snapshot.h"

/*
 * What the kernel does at a rescan: each re-added function is attached by
 * pci_bus_add_device() -> device_attach() to the first registered driver
 * that matches it (a driver's dynamic ids from new_id or vfio-pci's ids=
 * count), whatever /sys/bus/pci/drivers_autoprobe says (only
 * bus_probe_device() honours it), and the removal took driver_override
 * with it. So a host driver (snd_hda_intel for 1f.3) may hold a [vfio]
 * device for the moment between the rescan and our bind; only module
 * configuration keeps it off for good (see `igd-regroup check`).
 *
 * Older versions held drivers_autoprobe at 0 across the rescan and left
 * this marker while they did; one killed in between left autoprobing off.
 * The marker says that 0 was ours, not the admin's: put it back to 1, once.
 */
#define LEGACY_AUTOPROBE_MARKER "/run/igd-regroup/autoprobe-held"

static void legacy_autoprobe_restore(const struct igd_ctx *ctx)
{
	_cleanup_(freep) char *marker = igd_path(ctx, LEGACY_AUTOPROBE_MARKER);
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/bus/pci/drivers_autoprobe");
	int r;

	if (!marker || !p || access(marker, F_OK) < 0)
		return;
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

/*
 * The rescan is what brings removed devices back, so a failing write is
 * retried (briefly) until the deadline rather than given up on.
 */
static int rescan(const struct igd_ctx *ctx, uint64_t deadline)
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

static bool addr_list_contains_n(const struct pci_addr *v, size_t n, const struct pci_addr *a)
{
	const struct addr_list l = { .v = (struct pci_addr *)v, .n = n };

	return addr_list_contains(&l, a);
}

/*
 * Before binding: udev may still be loading drivers for coldplugged devices
 * (at boot) or for the functions the rescan re-added; a driver that
 * registers during our bind can take a [vfio] device. Bounded by
 * [regroup] timeout_ms; when udev is still busy then, bind anyway (the
 * bind checks the result and tries once more when a driver took the device).
 */
static void wait_udev_queue(const struct igd_ctx *ctx, unsigned timeout_ms)
{
	_cleanup_(freep) char *queue = igd_path(ctx, "/run/udev/queue");
	int r = devwait_udev_queue(ctx, now_ms() + timeout_ms, NULL);

	if (r == -ETIMEDOUT)
		log_warning(ctx, "udev's event queue was still not empty after %u ms (%s exists): "
				 "binding anyway; a driver udev loads now may take a [vfio] device "
				 "during the bind.", timeout_ms, queue ? queue : "/run/udev/queue");
	else if (r < 0)
		igd_log_errno(ctx, LOG_WARNING, r, "Cannot look at udev's event queue: %m; binding anyway.");
}

/* What shares a [vfio] device's group without stopping it: other [vfio] devices, what the host does not use. */
static struct group_filter in_group_ok(const struct igd_config *cfg)
{
	return (struct group_filter){ .except = cfg->vfio_devices.v,
				      .n_except = cfg->vfio_devices.n,
				      .host_used = true };
}

static void describe_group_others(const struct snapshot *snap, const struct pci_device *d,
				  const struct igd_config *cfg, FILE *m)
{
	const struct group_filter ok = in_group_ok(cfg);
	bool first = true;

	for (const struct pci_device *o = NULL; (o = snapshot_group_next_other(snap, d, &ok, o));) {
		fprintf(m, "%s%s (%s%s%s)", first ? "" : ", ", PCI_ADDR_STR(&o->addr),
			o->driver ? o->driver : "no driver", o->n_netdevs ? ", " : "",
			o->n_netdevs ? o->netdevs[0].name : "");
		first = false;
	}
}

static size_t count_others(const struct snapshot *snap, const struct pci_device *d)
{
	return snapshot_group_others(snap, d, NULL);
}

/* Fills the "after" half of the result from a fresh snapshot; returns the number of problems. */
static size_t verify(const struct igd_ctx *ctx, const struct igd_config *cfg,
		     const struct addr_list *cycled, const struct snapshot *snap, struct engine_result *r)
{
	size_t problems = 0;

	for (size_t i = 0; i < r->n_functions; i++) {
		struct engine_function *f = &r->functions[i];
		const struct pci_device *d = snapshot_find(snap, &f->addr);

		f->present_after = d != NULL;
		f->group_after = d ? d->iommu_group : IOMMU_GROUP_NONE;
		f->shared_after = d && d->iommu_group != IOMMU_GROUP_NONE ? count_others(snap, d) : 0;
		if (!d) {
			log_error(ctx, "%s is missing after the rescan: it did not come back.",
				  PCI_ADDR_STR(&f->addr));
			problems++;
		}
	}

	for (size_t i = 0; i < r->n_binds; i++) {
		struct engine_bind *b = &r->binds[i];
		const struct pci_device *d = snapshot_find(snap, &b->addr);
		_cleanup_(freep) char *others = NULL;
		size_t len = 0;
		FILE *m;

		if (!d) {
			log_error(ctx, "[vfio] device %s is not present.", PCI_ADDR_STR(&b->addr));
			problems++;
			continue;
		}
		b->group = d->iommu_group;
		b->bound = d->driver && strcmp(d->driver, VFIO_DRIVER) == 0;
		if (!b->bound) {
			log_error(ctx, "%s is not bound to %s (driver: %s).", PCI_ADDR_STR(&b->addr),
				  VFIO_DRIVER, d->driver ? d->driver : "none");
			problems++;
		}
		if (d->iommu_group == IOMMU_GROUP_NONE) {
			log_error(ctx, "%s has no IOMMU group: the IOMMU is off.", PCI_ADDR_STR(&b->addr));
			problems++;
			continue;
		}
		m = open_memstream(&others, &len);
		if (!m)
			return problems + 1;
		describe_group_others(snap, d, cfg, m);
		fclose(m);
		b->isolated = !others || !*others;
		if (!b->isolated && addr_list_contains(cycled, &b->addr))
			log_error(ctx,
				  "%s is still in IOMMU group %d with host devices: %s. This kernel "
				  "and hardware did not split it; it cannot be passed through alone.",
				  PCI_ADDR_STR(&b->addr), d->iommu_group, others);
		else if (!b->isolated)
			log_error(ctx,
				  "%s is in IOMMU group %d with host devices: %s; it was not cycled "
				  "(it is not among the functions this run removes).",
				  PCI_ADDR_STR(&b->addr), d->iommu_group, others);
		problems += !b->isolated;
	}
	return problems;
}

/* What the kernel did against what the header types predicted: said when they differ. */
static void compare_prediction(const struct igd_ctx *ctx, const struct split_prediction *p,
			       const struct snapshot *after)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct split_outcome *o = &p->v[i];
		const struct pci_device *d = snapshot_find(after, &o->addr);
		size_t others;

		if (o->fate == SPLIT_UNKNOWN || !d || d->iommu_group == IOMMU_GROUP_NONE)
			continue;
		others = count_others(after, d);
		if (o->fate == SPLIT_OWN_GROUP && others > 0)
			log_notice(ctx, "%s shares IOMMU group %d with %zu other device(s), though its header type "
					"predicted a group of its own.",
				   PCI_ADDR_STR(&o->addr), d->iommu_group, others);
		else if (o->fate == SPLIT_SHARED && others == 0)
			log_notice(ctx, "%s has IOMMU group %d to itself, though its multi-function header "
					"predicted it would stay grouped with %s.",
				   PCI_ADDR_STR(&o->addr), d->iommu_group, PCI_ADDR_STR(&o->with[0]));
		else
			log_debug(ctx, "%s: IOMMU group %d, as predicted.", PCI_ADDR_STR(&o->addr), d->iommu_group);
	}
}

static int result_init(const struct plan *plan, const struct snapshot *snap,
		       struct engine_result *r)
{
	r->functions = calloc(plan->n_functions ? plan->n_functions : 1, sizeof(*r->functions));
	r->binds = calloc(plan->n_binds ? plan->n_binds : 1, sizeof(*r->binds));
	if (!r->functions || !r->binds)
		return -ENOMEM;
	r->n_functions = plan->n_functions;
	for (size_t i = 0; i < plan->n_functions; i++) {
		const struct plan_function *pf = &plan->functions[i];

		r->functions[i] = (struct engine_function){
			.addr = pf->addr,
			.group_before = pf->dev ? pf->dev->iommu_group : IOMMU_GROUP_NONE,
			.shared_before = pf->dev && pf->dev->iommu_group != IOMMU_GROUP_NONE
						 ? count_others(snap, pf->dev)
						 : 0,
			.group_after = IOMMU_GROUP_NONE,
		};
	}
	r->n_binds = plan->n_binds;
	for (size_t i = 0; i < plan->n_binds; i++)
		r->binds[i] = (struct engine_bind){ .addr = plan->binds[i].addr,
						    .group = IOMMU_GROUP_NONE };
	return 0;
}

static int record_nics(const struct igd_ctx *ctx, const struct plan *plan, struct engine_result *r)
{
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
	}
	return netrecord_write(ctx, r->nics, r->n_nics);
}

static void log_refusals(const struct igd_ctx *ctx, const struct plan *plan)
{
	for (size_t i = 0; i < plan->n_functions; i++) {
		const struct plan_function *f = &plan->functions[i];
		_cleanup_(freep) char *why = NULL;

		if (f->refusal == REFUSE_NONE)
			continue;
		why = plan_refusal_reason(f);
		log_error(ctx, "Refusing to remove %s: %s. Nothing was changed.", PCI_ADDR_STR(&f->addr),
			  why ? why : refusal_to_string(f->refusal));
	}
}

/* Rescans for functions missing at start (an earlier run died before its rescan). */
static int recover_missing(const struct igd_ctx *ctx, const struct plan *plan, unsigned timeout_ms)
{
	_cleanup_(freep) struct pci_addr *missing = calloc(plan->n_missing, sizeof(*missing));
	size_t n = 0;
	int r;

	if (!missing)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot rescan for the missing functions: %m");
	for (size_t i = 0; i < plan->n_functions; i++)
		if (!plan->functions[i].dev)
			missing[n++] = plan->functions[i].addr;
	log_warning(ctx, "%zu configured function(s) are missing, first %s: an earlier run stopped "
			 "between remove and rescan. Rescanning first.",
		    n, PCI_ADDR_STR(&missing[0]));
	r = rescan(ctx, now_ms() + timeout_ms);
	if (r < 0)
		return r;
	r = devwait_present(ctx, missing, n, now_ms() + timeout_ms, NULL);
	if (r < 0)
		log_warning(ctx, "Not every missing function came back after the recovery rescan.");
	return 0;
}

int engine_run(const struct igd_ctx *ctx, const struct igd_config *cfg,
	       const struct engine_options *opts, struct engine_result *res)
{
	_cleanup_(igd_lock_release) struct igd_lock lock = IGD_LOCK_NULL;
	struct igd_config view = *cfg; /* shallow: the functions this run cycles */
	struct engine_result r = { .outcome = ENGINE_OK };
	struct snapshot snap = {}, after = {};
	struct plan plan = {};
	_cleanup_(freep) struct pci_addr *removed = NULL;
	size_t n_removed = 0;
	uint64_t t0 = now_ms(), t, deadline;
	int k, fail = 0;

	view.functions = *opts->functions;
	if (view.functions.n == 0 && view.vfio_devices.n == 0) {
		log_info(ctx, "Nothing to do: no functions and no [vfio] devices are configured in %s.",
			 igd_ctx_config_path(ctx));
		*res = (struct engine_result){ .outcome = ENGINE_NOTHING };
		return 0;
	}

	k = igd_lock_take(ctx, opts->lock_timeout_ms ? opts->lock_timeout_ms : LOCK_TIMEOUT_MS_DEFAULT, &lock);
	if (k < 0)
		return k;
	r.ms_lock = now_ms() - t0;
	legacy_autoprobe_restore(ctx);

	k = snapshot_read(ctx, &snap);
	if (k < 0)
		return k;
	/* without an IOMMU there is nothing to split: say so before any plan */
	k = iommu_require(ctx, &snap);
	if (k < 0)
		goto out_early;
	k = plan_build(&view, &snap, &plan);
	if (k < 0) {
		igd_log_errno(ctx, LOG_ERR, k, "Cannot build the plan: %m. Nothing was changed.");
		goto out_early;
	}

	if (plan.n_missing) {
		r.recovery_rescan = true;
		k = recover_missing(ctx, &plan, cfg->regroup_timeout_ms);
		if (k < 0)
			goto out_early;
		plan_done(&plan);
		snapshot_done(&snap);
		k = snapshot_read(ctx, &snap);
		if (k < 0)
			goto out_early;
		k = plan_build(&view, &snap, &plan);
		if (k < 0) {
			igd_log_errno(ctx, LOG_ERR, k, "Cannot build the plan after the recovery rescan: %m.");
			goto out_early;
		}
	}
	k = result_init(&plan, &snap, &r);
	if (k < 0) {
		igd_log_errno(ctx, LOG_ERR, k, "Cannot start the run's report: %m. Nothing was changed.");
		goto out_early;
	}

	if (plan.n_refused) {
		log_refusals(ctx, &plan);
		r.outcome = ENGINE_REFUSED;
		r.error = -EPERM;
		r.refused_held = true;
		for (size_t i = 0; i < plan.n_functions; i++)
			if (plan.functions[i].refusal != REFUSE_NONE &&
			    plan.functions[i].refusal != REFUSE_VFIO_IN_USE)
				r.refused_held = false;
		goto out;
	}
	if (plan.n_missing_binds) {
		for (size_t i = 0; i < plan.n_binds; i++)
			if (!plan.binds[i].dev && !plan.binds[i].cycled)
				log_error(ctx, "[vfio] device %s is not present; nothing was changed.",
					  PCI_ADDR_STR(&plan.binds[i].addr));
		r.outcome = ENGINE_FAILED;
		r.error = -ENODEV;
		r.untouched = true;
		goto out;
	}

	k = record_nics(ctx, &plan, &r);
	if (k < 0) {
		r.outcome = ENGINE_FAILED;
		r.error = k;
		goto out;
	}

	removed = calloc(plan.n_functions ? plan.n_functions : 1, sizeof(*removed));
	if (!removed) {
		k = igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot start removing: %m. Nothing was changed.");
		goto out_early;
	}

	/* Nothing has been written up to here. */
	t = now_ms();
	for (size_t i = 0; i < plan.n_functions && !fail; i++) {
		const struct plan_function *pf = &plan.functions[i];
		_cleanup_(freep) char *p = NULL;

		if (!pf->dev)
			continue;
		p = sysfs_dev_path(ctx, &pf->addr, "remove");
		netrecord_mark_removed(ctx, r.nics, r.n_nics, &pf->addr); /* the NIC's downtime starts */
		k = p ? sysfs_write(p, "1") : -ENOMEM;
		if (k < 0) {
			fail = igd_log_errno(ctx, LOG_ERR, k, "Cannot remove %s: %m",
					     PCI_ADDR_STR(&pf->addr));
			break;
		}
		if (sysfs_dev_present(ctx, &pf->addr)) {
			log_error(ctx, "%s is still present after writing to its remove attribute.",
				  PCI_ADDR_STR(&pf->addr));
			fail = -EBUSY;
			break;
		}
		log_info(ctx, "Removed %s.", PCI_ADDR_STR(&pf->addr));
		removed[n_removed++] = pf->addr;
		r.functions[i].removed = true;
	}
	r.ms_remove = now_ms() - t;

	/* From the first removal on, every path goes through the rescan. */
	t = now_ms();
	deadline = t + cfg->regroup_timeout_ms;
	if (n_removed) {
		k = rescan(ctx, deadline);
		if (k < 0 && !fail)
			fail = k;
	}
	r.ms_rescan = now_ms() - t;

	t = now_ms();
	if (n_removed) {
		_cleanup_(freep) bool *back = calloc(n_removed, sizeof(*back));

		if (!back) {
			fail = fail ? fail : -ENOMEM;
		} else if (devwait_present(ctx, removed, n_removed, deadline, back) < 0) {
			for (size_t i = 0; i < n_removed; i++)
				if (!back[i])
					log_error(ctx, "%s did not come back within %u ms of the rescan.",
						  PCI_ADDR_STR(&removed[i]), cfg->regroup_timeout_ms);
			fail = fail ? fail : -ETIMEDOUT;
		}
	}
	if (n_removed && devwait_udev(ctx, removed, n_removed, deadline) < 0) {
		log_error(ctx, "udev did not finish with the re-added functions within %u ms.",
			  cfg->regroup_timeout_ms);
		fail = fail ? fail : -ETIMEDOUT;
	}
	if (cfg->vfio_devices.n)
		wait_udev_queue(ctx, cfg->regroup_timeout_ms);
	r.ms_wait = now_ms() - t;

	t = now_ms();
	for (size_t i = 0; i < cfg->vfio_devices.n; i++) {
		const struct pci_addr *a = &cfg->vfio_devices.v[i];
		_cleanup_(freep) char *was = NULL;

		if (!sysfs_dev_present(ctx, a))
			continue;
		k = vfio_bind(ctx, a, &was);
		if (k < 0 && !fail)
			fail = k;
		if (k == 0 && was && addr_list_contains_n(removed, n_removed, a))
			log_notice(ctx, "%s was taken by %s at the rescan; moved to %s.",
				   PCI_ADDR_STR(a), was, VFIO_DRIVER);
	}
	r.ms_bind = now_ms() - t;

	k = snapshot_read(ctx, &after);
	if (k < 0) {
		fail = fail ? fail : k;
	} else {
		if (verify(ctx, cfg, opts->functions, &after, &r) > 0 && !fail)
			fail = -EIO;
		compare_prediction(ctx, &plan.prediction, &after);
	}

	/* Hand the network over to the notifier: queued, not waited for (it
	   takes the lock this run still holds); its failure to start is logged
	   and leaves this run's outcome alone. */
	if (r.n_nics) {
		log_notice(ctx, "The host network was up on %s%s%s and went away with the removal: "
				"%s brings it back.",
			   r.nics[0].ifname, r.nics[0].bridge ? " in " : "",
			   r.nics[0].bridge ? r.nics[0].bridge : "", NETRECORD_UNIT);
		(void)units_start_handover(ctx, NETRECORD_UNIT);
	}

	if (fail) {
		r.outcome = ENGINE_FAILED;
		r.error = fail;
	}

out:
	r.ms_total = now_ms() - t0;
	plan_done(&plan);
	snapshot_done(&snap);
	snapshot_done(&after);
	*res = r;
	return 0;

out_early:
	plan_done(&plan);
	snapshot_done(&snap);
	engine_result_done(&r);
	return k;
}

void engine_result_done(struct engine_result *res)
{
	free(res->functions);
	free(res->binds);
	netrecord_free(res->nics, res->n_nics);
	*res = (struct engine_result){};
}

int engine_exit_status(const struct engine_result *res)
{
	return res->outcome == ENGINE_OK || res->outcome == ENGINE_NOTHING ? 0 : 1;
}
