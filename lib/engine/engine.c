/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run's result: the groups before (from the plan's snapshot) and after
 * (the verify step's fresh snapshot), checked against what was asked. The
 * other steps are in step_*.c, run by steps.c.
 */
#include <string.h>

#include "engine/engine.h"
#include "engine/plan.h"
#include "engine/steps.h"
#include "engine/vfio.h"
#include "topology/snapshot.h"

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
			log_notice(ctx,
				   "%s shares IOMMU group %d with %zu other device(s), though its header type "
				   "predicted a group of its own.",
				   PCI_ADDR_STR(&o->addr), d->iommu_group, others);
		else if (o->fate == SPLIT_SHARED && others == 0)
			log_notice(ctx,
				   "%s has IOMMU group %d to itself, though its multi-function header "
				   "predicted it would stay grouped with %s.",
				   PCI_ADDR_STR(&o->addr), d->iommu_group, PCI_ADDR_STR(&o->with[0]));
		else
			log_debug(ctx, "%s: IOMMU group %d, as predicted.", PCI_ADDR_STR(&o->addr),
				  d->iommu_group);
	}
}

static int result_init(const struct plan *plan, const struct snapshot *snap, struct engine_result *r)
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
		r->binds[i] = (struct engine_bind){ .addr = plan->binds[i].addr, .group = IOMMU_GROUP_NONE };
	return 0;
}

int engine_result_start(struct engine_run *run)
{
	return result_init(&run->plan, &run->snap, &run->r);
}

int step_verify(struct engine_run *run)
{
	size_t problems;
	int k;

	step_action(run, "verify", NULL);
	if (run->dry)
		return 0; /* it reads; there is nothing to write or show */
	k = snapshot_read(run->ctx, &run->after);
	if (k < 0)
		return k;
	problems = verify(run->ctx, run->cfg, run->opts->functions, &run->after, &run->r);
	compare_prediction(run->ctx, &run->plan.prediction, &run->after);
	return problems > 0 ? -EIO : 0;
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
