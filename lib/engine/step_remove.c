/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The remove step: each function, in the config's order; the first failure ends it. */
#include "core/sysfs.h"
#include "engine/steps.h"

/* The n-th function removed, as the dry run lists it: its device, group and driver now. */
static void say_removal(struct engine_run *run, size_t *n, const struct plan_function *f)
{
	const struct pci_device *d = f->dev;

	if (!d) {
		/* an earlier run's leftover, unnumbered: the list numbers the functions there now */
		step_say(run, "     %s missing now; removed once the recovery rescan brings it back\n",
			 PCI_ADDR_STR(&f->addr));
		return;
	}
	step_say(run, "  %zu. %s ", ++*n, PCI_ADDR_STR(&f->addr));
	step_say_device(run, d);
	if (d->iommu_group != IOMMU_GROUP_NONE)
		step_say(run, "  group %d (%zu device%s)", d->iommu_group, f->group_size,
			 f->group_size == 1 ? "" : "s");
	step_say(run, "  driver %s\n", d->driver ? d->driver : "none");
}

static int remove_one(struct engine_run *run, const struct plan_function *f)
{
	const struct igd_ctx *ctx = run->ctx;
	_cleanup_(freep) char *p = sysfs_dev_path(ctx, &f->addr, "remove");
	int k;

	netrecord_mark_removed(ctx, run->r.nics, run->r.n_nics, &f->addr); /* the NIC's downtime starts */
	k = p ? sysfs_write(p, "1") : -ENOMEM;
	if (k < 0)
		return igd_log_errno(ctx, LOG_ERR, k, "Cannot remove %s: %m", PCI_ADDR_STR(&f->addr));
	if (sysfs_dev_present(ctx, &f->addr)) {
		log_error(ctx, "%s is still present after writing to its remove attribute.",
			  PCI_ADDR_STR(&f->addr));
		return -EBUSY;
	}
	log_info(ctx, "Removed %s.", PCI_ADDR_STR(&f->addr));
	return 0;
}

int step_remove(struct engine_run *run)
{
	const struct plan *plan = &run->plan;
	size_t shown = 0;
	int k;

	if (plan->n_functions)
		step_say(run, "Remove, in this order:\n");
	for (size_t i = 0; i < plan->n_functions; i++) {
		const struct plan_function *f = &plan->functions[i];

		/* missing now in a run means missing after the recovery: nothing to remove */
		if (!f->dev && !run->dry)
			continue;
		step_action(run, "remove", &f->addr);
		if (run->dry) {
			say_removal(run, &shown, f);
		} else {
			k = remove_one(run, f);
			if (k < 0)
				return k;
			run->r.functions[i].removed = true;
		}
		run->removed[run->n_removed++] = f->addr;
	}
	return 0;
}
