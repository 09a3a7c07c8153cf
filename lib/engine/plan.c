/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "engine/plan.h"

const char *refusal_to_string(enum refusal r)
{
	switch (r) {
	case REFUSE_NONE:
		return "none";
	case REFUSE_ROOT_FS:
		return "it backs the root filesystem";
	case REFUSE_MOUNTED:
		return "it backs a mounted filesystem";
	case REFUSE_SWAP:
		return "it backs active swap";
	case REFUSE_STORAGE:
		return "one of its disks is used";
	case REFUSE_STORAGE_UNKNOWN:
		return "the use of one of its disks cannot be read";
	case REFUSE_VFIO_IN_USE:
		return "it is bound to vfio-pci and held by a running VM";
	}
	return "unknown";
}

/* The strongest reason not to remove d, and the block device behind it. */
static enum refusal refusal_for(const struct pci_device *d, const struct blockdev_info **ret_bd)
{
	static const enum refusal order[] = { REFUSE_ROOT_FS, REFUSE_MOUNTED, REFUSE_SWAP, REFUSE_STORAGE,
					      REFUSE_STORAGE_UNKNOWN };

	for (size_t k = 0; k < ELEMENTSOF(order); k++)
		for (size_t i = 0; i < d->n_blockdevs; i++) {
			const struct blockdev_info *b = &d->blockdevs[i];
			bool hit = (order[k] == REFUSE_ROOT_FS && b->root) ||
				   (order[k] == REFUSE_MOUNTED && b->mounted) ||
				   (order[k] == REFUSE_SWAP && b->swap) ||
				   (order[k] == REFUSE_STORAGE && b->used) ||
				   (order[k] == REFUSE_STORAGE_UNKNOWN && b->doubt);
			if (hit) {
				*ret_bd = b;
				return order[k];
			}
		}
	if (d->vfio_holder_pid > 0)
		return REFUSE_VFIO_IN_USE;
	return REFUSE_NONE;
}

/* The split the functions will get: pure, from the snapshot's groups and header types. */
static int predict(const struct snapshot *snap, struct plan *p)
{
	_cleanup_(freep) struct pci_addr *addrs = calloc(p->n_functions ? p->n_functions : 1, sizeof(*addrs));

	if (!addrs)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_functions; i++)
		addrs[i] = p->functions[i].addr;
	return split_predict(snap, addrs, p->n_functions, &p->prediction);
}

char *plan_refusal_reason(const struct plan_function *f)
{
	const struct blockdev_info *b = f->blockdev;
	char *s = NULL;
	int r;

	if (f->refusal == REFUSE_NONE)
		return strdup(refusal_to_string(f->refusal));
	if (f->refusal == REFUSE_VFIO_IN_USE && f->dev->vfio_holder_vmid)
		r = asprintf(&s, "%s (VM %u, pid %d)", refusal_to_string(f->refusal), f->dev->vfio_holder_vmid,
			     f->dev->vfio_holder_pid);
	else if (f->refusal == REFUSE_VFIO_IN_USE)
		r = asprintf(&s, "%s (pid %d)", refusal_to_string(f->refusal), f->dev->vfio_holder_pid);
	else if (f->refusal == REFUSE_STORAGE_UNKNOWN || (b && !b->used))
		r = asprintf(&s, "the use of disk %s cannot be read (%s)", b ? b->name : "?",
			     b && b->doubt ? b->doubt : "?");
	else
		r = asprintf(&s, "disk %s is used (%s)", b ? b->name : "?", b && b->use ? b->use : "?");
	return r < 0 ? NULL : s;
}

int plan_build(const struct igd_config *cfg, const struct snapshot *snap, struct plan *ret)
{
	struct plan p = {};
	size_t n_net = 0;

	p.functions = calloc(cfg->functions.n ? cfg->functions.n : 1, sizeof(*p.functions));
	p.binds = calloc(cfg->vfio_devices.n ? cfg->vfio_devices.n : 1, sizeof(*p.binds));
	for (size_t i = 0; i < cfg->functions.n; i++) {
		const struct pci_device *d = snapshot_find(snap, &cfg->functions.v[i]);
		if (d)
			n_net += d->n_netdevs;
	}
	p.netdevs = calloc(n_net ? n_net : 1, sizeof(*p.netdevs));
	if (!p.functions || !p.binds || !p.netdevs) {
		plan_done(&p);
		return -ENOMEM;
	}

	for (size_t i = 0; i < cfg->functions.n; i++) {
		struct plan_function *f = &p.functions[p.n_functions++];

		f->addr = cfg->functions.v[i];
		f->dev = snapshot_find(snap, &f->addr);
		if (!f->dev) {
			p.n_missing++;
			continue;
		}
		f->group_size = snapshot_group_size(snap, f->dev->iommu_group);
		f->refusal = refusal_for(f->dev, &f->blockdev);
		if (f->refusal != REFUSE_NONE)
			p.n_refused++;
		for (size_t j = 0; j < f->dev->n_netdevs; j++)
			if (f->dev->netdevs[j].admin_up)
				p.netdevs[p.n_netdevs++] = (struct plan_netdev){
					.addr = f->addr,
					.netdev = &f->dev->netdevs[j],
				};
	}

	if (predict(snap, &p) < 0) {
		plan_done(&p);
		return -ENOMEM;
	}

	for (size_t i = 0; i < cfg->vfio_devices.n; i++) {
		struct plan_bind *b = &p.binds[p.n_binds++];

		b->addr = cfg->vfio_devices.v[i];
		b->dev = snapshot_find(snap, &b->addr);
		b->cycled = addr_list_contains(&cfg->functions, &b->addr);
		if (!b->dev && !b->cycled)
			p.n_missing_binds++;
	}

	*ret = p;
	return 0;
}

void plan_done(struct plan *plan)
{
	split_prediction_done(&plan->prediction);
	free(plan->functions);
	free(plan->binds);
	free(plan->netdevs);
	*plan = (struct plan){};
}

static void print_device_brief(FILE *out, const struct pci_device *d)
{
	fprintf(out, "[%04x:%04x] %s", d->vendor_id, d->device_id, d->device_name);
}

/* Per function, from its header type: "will get a group of its own", or with whom it will stay. */
static void print_prediction(FILE *out, const struct split_prediction *p)
{
	fprintf(out, "After the rescan (predicted from each function's header type):\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct split_outcome *o = &p->v[i];

		fprintf(out, "  %s ", PCI_ADDR_STR(&o->addr));
		if (o->fate == SPLIT_OWN_GROUP)
			fprintf(out, "will get a group of its own\n");
		else if (o->fate == SPLIT_UNKNOWN)
			fprintf(out, "not predicted: %s\n", o->why_unknown);
		else {
			fprintf(out, "will stay grouped with");
			for (size_t j = 0; j < o->n_with; j++)
				fprintf(out, "%s %s", j ? "," : "", PCI_ADDR_STR(&o->with[j]));
			fprintf(out, " (multi-function header)\n");
		}
	}
}

void plan_print(FILE *out, const struct plan *plan, const struct igd_config *cfg,
		const struct igd_ctx *ctx)
{
	const char *root = igd_ctx_root(ctx);

	if (plan_is_empty(plan)) {
		fprintf(out, "Nothing to do: [regroup] functions and [vfio] devices are empty in %s.\n",
			igd_ctx_config_path(ctx));
		return;
	}

	if (plan->n_refused) {
		fprintf(out, "Refused: nothing would be written.\n");
		for (size_t i = 0; i < plan->n_functions; i++) {
			const struct plan_function *f = &plan->functions[i];
			if (f->refusal == REFUSE_NONE)
				continue;
			_cleanup_(freep) char *why = plan_refusal_reason(f);

			fprintf(out, "  %s must not be removed: %s\n", PCI_ADDR_STR(&f->addr),
				why ? why : refusal_to_string(f->refusal));
		}
		return;
	}

	if (plan->n_missing)
		fprintf(out,
			"Recovery: %zu configured function(s) are missing (an earlier run stopped "
			"between remove and rescan): rescan %s/sys/bus/pci/rescan first.\n",
			plan->n_missing, root);

	if (plan->n_functions) {
		size_t n = 0;

		fprintf(out, "Remove, in this order:\n");
		for (size_t i = 0; i < plan->n_functions; i++) {
			const struct plan_function *f = &plan->functions[i];

			if (!f->dev)
				continue;
			fprintf(out, "  %zu. %s ", ++n, PCI_ADDR_STR(&f->addr));
			print_device_brief(out, f->dev);
			if (f->dev->iommu_group != IOMMU_GROUP_NONE)
				fprintf(out, "  group %d (%zu device%s)", f->dev->iommu_group,
					f->group_size, f->group_size == 1 ? "" : "s");
			fprintf(out, "  driver %s\n", f->dev->driver ? f->dev->driver : "none");
		}
		fprintf(out, "Then rescan once (%s/sys/bus/pci/rescan) and wait up to %u ms for %zu function(s) to come back.\n",
			root, cfg->regroup_timeout_ms, plan->n_functions);
		print_prediction(out, &plan->prediction);
	}

	if (plan->n_binds) {
		fprintf(out, "Bind to vfio-pci:\n");
		for (size_t i = 0; i < plan->n_binds; i++) {
			const struct plan_bind *b = &plan->binds[i];

			fprintf(out, "  %s ", PCI_ADDR_STR(&b->addr));
			if (!b->dev && !b->cycled) {
				fprintf(out, "missing: not present now\n");
				continue;
			}
			if (b->dev)
				print_device_brief(out, b->dev);
			if (b->dev && b->dev->driver && strcmp(b->dev->driver, "vfio-pci") == 0 && !b->cycled)
				fprintf(out, "  (already bound)\n");
			else
				fprintf(out, "  (now %s%s)\n",
					b->dev && b->dev->driver ? b->dev->driver : "no driver",
					b->cycled ? "; bound after the rescan" : "");
		}
	}

	if (plan->n_netdevs) {
		fprintf(out, "Host network: ");
		for (size_t i = 0; i < plan->n_netdevs; i++) {
			const struct netdev_info *n = plan->netdevs[i].netdev;
			fprintf(out, "%s%s (%s)%s%s", i ? ", " : "", n->name,
				PCI_ADDR_STR(&plan->netdevs[i].addr), n->master ? " in " : "",
				n->master ? n->master : "");
		}
		fprintf(out, " is up and goes away with the removal; afterwards "
			     "igd-regroup-netnotify.service brings it back (");
		if (cfg->action == NET_ACTION_NONE || cfg->n_units == 0)
			fprintf(out, "action none: nothing is restarted");
		else {
			fprintf(out, "%s", net_action_to_string(cfg->action));
			for (size_t i = 0; i < cfg->n_units; i++)
				fprintf(out, " %s", cfg->units[i]);
		}
		fprintf(out, ").\n");
	} else if (plan->n_functions)
		fprintf(out, "Host network: no configured function has an interface that is up; nothing to bring back.\n");
}
