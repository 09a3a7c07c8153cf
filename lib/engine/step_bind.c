/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bind step: each [vfio] device to vfio-pci (vfio.c), each tried whatever the others did. */
#include <string.h>

#include "core/sysfs.h"
#include "engine/steps.h"
#include "engine/vfio.h"

static void say_bind(struct engine_run *run, const struct plan_bind *b)
{
	const struct pci_device *d = b->dev;

	step_say(run, "  %s ", PCI_ADDR_STR(&b->addr));
	if (d)
		step_say_device(run, d);
	if (d && d->driver && strcmp(d->driver, VFIO_DRIVER) == 0 && !b->cycled)
		step_say(run, "  (already bound)\n");
	else
		step_say(run, "  (now %s%s)\n", d && d->driver ? d->driver : "no driver",
			 b->cycled ? "; bound after the rescan" : "");
}

/* The removal takes driver_override with it: the bind writes it again for the cycled devices. */
static void say_override_again(struct engine_run *run)
{
	bool first = true;

	for (size_t i = 0; i < run->plan.n_binds; i++) {
		const struct plan_bind *b = &run->plan.binds[i];

		if (!b->cycled)
			continue;
		step_say(run, "%s%s",
			 first ? "The removal clears driver_override: after the rescan, "
				 "vfio-pci is written to it again for "
			       : ", ",
			 PCI_ADDR_STR(&b->addr));
		first = false;
	}
	if (!first)
		step_say(run, ".\n");
}

static int bind_one(struct engine_run *run, const struct pci_addr *a)
{
	_cleanup_(freep) char *was = NULL;
	int k = vfio_bind(run->ctx, a, &was);

	if (k == 0 && was && pci_addr_in(a, run->removed, run->n_removed))
		log_notice(run->ctx, "%s was taken by %s at the rescan; moved to %s.", PCI_ADDR_STR(a),
			   was, VFIO_DRIVER);
	return k;
}

int step_bind(struct engine_run *run)
{
	const struct plan *plan = &run->plan;
	int fail = 0;

	if (plan->n_binds)
		step_say(run, "Bind to vfio-pci:\n");
	for (size_t i = 0; i < plan->n_binds; i++) {
		const struct plan_bind *b = &plan->binds[i];
		int k;

		/* a run binds what is there now; a dry run, what the plan says will be */
		if (run->dry ? !b->dev && !b->cycled : !sysfs_dev_present(run->ctx, &b->addr))
			continue;
		step_action(run, "bind", &b->addr);
		if (run->dry) {
			say_bind(run, b);
			continue;
		}
		k = bind_one(run, &b->addr);
		if (k < 0 && !fail)
			fail = k;
	}
	if (run->dry)
		say_override_again(run);
	return fail;
}
