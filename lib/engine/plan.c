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
