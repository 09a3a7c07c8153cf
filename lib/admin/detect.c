/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "admin/detect.h"
#include "core/macro.h"

#define CLASS_AUDIO 0x0403      /* base class 04 (multimedia), subclass 03 (HD audio) */
#define CLASS_BASE_DISPLAY 0x03
#define VENDOR_INTEL 0x8086
#define PCH_SLOT 0x1f

const struct pci_device *detect_audio(const struct snapshot *snap)
{
	const struct pci_device *first = NULL;

	for (size_t i = 0; i < snap->n_devices; i++) {
		const struct pci_device *d = &snap->devices[i];

		if (d->addr.domain != 0 || d->addr.bus != 0 || d->class_code >> 8 != CLASS_AUDIO)
			continue;
		if (d->addr.dev == PCH_SLOT)
			return d;
		if (!first)
			first = d;
	}
	return first;
}

const struct pci_device *detect_igpu(const struct snapshot *snap)
{
	const struct pci_addr a = { .domain = 0, .bus = 0, .dev = 2, .func = 0, .has_func = true };
	const struct pci_device *d = snapshot_find(snap, &a);

	return d && d->vendor_id == VENDOR_INTEL && d->class_code >> 16 == CLASS_BASE_DISPLAY ? d : NULL;
}

/* Why d must stay out of the list (apply would refuse it), malloc'd, or NULL (also on ENOMEM: *oom set). */
static char *storage_reason(const struct pci_device *d, bool *oom)
{
	for (size_t i = 0; i < d->n_blockdevs; i++) {
		const struct blockdev_info *b = &d->blockdevs[i];
		char *s = NULL;
		int r;

		if (b->doubt)
			r = asprintf(&s, "the use of disk %s cannot be read (%s)", b->name, b->doubt);
		else if (b->used)
			r = asprintf(&s, "disk %s is used (%s)", b->name, b->use ? b->use : "?");
		else
			continue;
		if (r < 0) {
			*oom = true;
			return NULL;
		}
		return s;
	}
	return NULL;
}

/* The slot's functions in the audio function's IOMMU group, in function order; storage left out. */
static int propose_functions(const struct snapshot *snap, struct detect_proposal *p)
{
	const struct pci_device *a = p->audio;

	p->functions = calloc(snap->n_devices, sizeof(*p->functions));
	p->left_out = calloc(snap->n_devices, sizeof(*p->left_out));
	if (!p->functions || !p->left_out)
		return -ENOMEM;
	/* without an IOMMU, or alone in its group already, there is nothing to regroup */
	if (a->iommu_group == IOMMU_GROUP_NONE || snapshot_group_size(snap, a->iommu_group) == 1)
		return 0;
	for (size_t i = 0; i < snap->n_devices; i++) {
		const struct pci_device *d = &snap->devices[i];
		bool oom = false;
		char *why;

		if (d->addr.domain != a->addr.domain || d->addr.bus != a->addr.bus || d->addr.dev != a->addr.dev ||
		    d->iommu_group != a->iommu_group)
			continue;
		why = storage_reason(d, &oom);
		if (oom)
			return -ENOMEM;
		if (why)
			p->left_out[p->n_left_out++] = (struct detect_left_out){ .addr = d->addr, .why = why };
		else
			p->functions[p->n_functions++] = d->addr;
	}
	return 0;
}

static bool any_vm(const struct detect_input *in, bool (*pred)(const struct detect_vm *))
{
	for (size_t i = 0; i < in->n_vms; i++)
		if (pred(&in->vms[i]))
			return true;
	return false;
}

static bool vm_legacy_igd(const struct detect_vm *v)
{
	return v->igpu && v->legacy_igd;
}

static int propose_vfio(const struct detect_input *in, struct detect_proposal *p)
{
	const struct pci_addr lpc = { .domain = 0, .bus = 0, .dev = PCH_SLOT, .func = 0, .has_func = true };

	p->vfio = calloc(3, sizeof(*p->vfio));
	if (!p->vfio)
		return -ENOMEM;
	if (p->igpu)
		p->vfio[p->n_vfio++] = p->igpu->addr;
	/* qemu-server's legacy IGD mode wants the LPC bridge at the guest's 1f.0 */
	if (any_vm(in, vm_legacy_igd) && snapshot_find(in->snap, &lpc))
		p->vfio[p->n_vfio++] = lpc;
	if (p->audio)
		p->vfio[p->n_vfio++] = p->audio->addr;
	return 0;
}

static int propose_vmids(const struct detect_input *in, struct detect_proposal *p)
{
	p->vmids = calloc(in->n_vms ? in->n_vms : 1, sizeof(*p->vmids));
	if (!p->vmids)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_vms; i++)
		if (in->vms[i].igpu || in->vms[i].audio)
			p->vmids[p->n_vmids++] = in->vms[i].vmid;
	return 0;
}

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **w = reallocarray(*v, *n + 1, sizeof(**v));

	if (!w)
		return -ENOMEM;
	*v = w;
	w[*n] = strdup(s);
	if (!w[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The first listed function with a netdev: its bridge (master) and name. */
static int propose_network(const struct detect_input *in, struct detect_proposal *p)
{
	for (size_t i = 0; i < p->n_functions && !p->nic; i++) {
		const struct pci_device *d = snapshot_find(in->snap, &p->functions[i]);

		for (size_t j = 0; d && j < d->n_netdevs && !p->nic; j++) {
			p->nic = strdup(d->netdevs[j].name);
			if (!p->nic)
				return -ENOMEM;
			if (d->netdevs[j].master && !(p->bridge = strdup(d->netdevs[j].master)))
				return -ENOMEM;
		}
	}
	if (!p->nic)
		return 0;
	if (strv_push(&p->units, &p->n_units, "networking.service") < 0)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_agents; i++)
		if (strv_push(&p->units, &p->n_units, in->agents[i]) < 0)
			return -ENOMEM;
	return 0;
}

int detect_propose(const struct detect_input *in, struct detect_proposal *ret)
{
	struct detect_proposal p = {
		.audio = detect_audio(in->snap),
		.igpu = detect_igpu(in->snap),
	};
	int r = 0;

	if (p.audio)
		r = propose_functions(in->snap, &p);
	if (r >= 0)
		r = propose_vfio(in, &p);
	if (r >= 0)
		r = propose_vmids(in, &p);
	if (r >= 0)
		r = propose_network(in, &p);
	if (r >= 0)
		r = split_predict(in->snap, p.functions, p.n_functions, &p.prediction);
	if (r < 0) {
		detect_proposal_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void detect_proposal_done(struct detect_proposal *p)
{
	free(p->functions);
	for (size_t i = 0; i < p->n_left_out; i++)
		free(p->left_out[i].why);
	free(p->left_out);
	free(p->vfio);
	free(p->vmids);
	free(p->bridge);
	free(p->nic);
	for (size_t i = 0; i < p->n_units; i++)
		free(p->units[i]);
	free(p->units);
	split_prediction_done(&p->prediction);
	*p = (struct detect_proposal){};
}
