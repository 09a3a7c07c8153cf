/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "topology/split_predict.h"

#define HEADER_TYPE_MULTIFUNCTION 0x80

int pci_device_multifunction(const struct pci_device *d)
{
	if (d->header_type < 0)
		return -1;
	return !!(d->header_type & HEADER_TYPE_MULTIFUNCTION);
}

/* Union-find over the snapshot's device indices: a set is a predicted group. */
static size_t find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static void unite(size_t *parent, size_t a, size_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a != b)
		parent[b] = a;
}

static bool same_slot(const struct pci_addr *a, const struct pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

static ssize_t index_of(const struct snapshot *snap, const struct pci_addr *a)
{
	for (size_t i = 0; i < snap->n_devices; i++)
		if (pci_addr_equal(&snap->devices[i].addr, a))
			return (ssize_t)i;
	return -1;
}

const struct pci_device *split_staying_sibling(const struct snapshot *snap, const struct pci_device *d,
					       const struct pci_addr *removed, size_t n)
{
	if (pci_device_multifunction(d) != 1)
		return NULL;
	for (size_t j = 0; j < snap->n_devices; j++) {
		const struct pci_device *s = &snap->devices[j];

		if (s != d && same_slot(&s->addr, &d->addr) && !pci_addr_in(&s->addr, removed, n))
			return s;
	}
	return NULL;
}

/*
 * The function of i's slot the alias search finds first when i is found again:
 * it walks the bus's devices in the order they were added, so the functions
 * that stayed (added at boot) come before those found again earlier in this
 * rescan. SIZE_MAX: none is present.
 */
static size_t first_present_sibling(const struct snapshot *snap, const struct pci_addr *functions,
				    size_t n, const bool *removed, size_t i)
{
	const struct pci_device *stays = split_staying_sibling(snap, &snap->devices[i], functions, n);

	if (stays)
		return (size_t)(stays - snap->devices);
	for (size_t j = 0; j < i; j++)
		if (removed[j] && same_slot(&snap->devices[j].addr, &snap->devices[i].addr))
			return j;
	return SIZE_MAX;
}

/*
 * The groups after the rescan, as sets in parent[]. The devices that stay keep
 * their groups; each removed one is found again in address order (the
 * snapshot's order) and joins the group of a present function of its slot when
 * its multi-function bit is set. joins[i]: that function's index, or SIZE_MAX.
 */
static void simulate(const struct snapshot *snap, const struct pci_addr *functions, size_t n,
		     const bool *removed, size_t *parent, size_t *joins)
{
	for (size_t i = 0; i < snap->n_devices; i++) {
		parent[i] = i;
		joins[i] = SIZE_MAX;
	}
	for (size_t i = 0; i < snap->n_devices; i++) {
		const struct pci_device *d = &snap->devices[i];

		if (removed[i] || d->iommu_group == IOMMU_GROUP_NONE)
			continue;
		for (size_t j = 0; j < i; j++)
			if (!removed[j] && snap->devices[j].iommu_group == d->iommu_group) {
				unite(parent, j, i);
				break;
			}
	}
	for (size_t i = 0; i < snap->n_devices; i++) {
		const struct pci_device *d = &snap->devices[i];

		if (!removed[i] || pci_device_multifunction(d) != 1)
			continue;
		joins[i] = first_present_sibling(snap, functions, n, removed, i);
		if (joins[i] != SIZE_MAX)
			unite(parent, joins[i], i);
	}
}

static const char *why_unknown(const struct snapshot *snap, const struct pci_device *d)
{
	if (!d)
		return "not present";
	if (!snap->iommu_groups || d->iommu_group == IOMMU_GROUP_NONE)
		return "no IOMMU group";
	if (d->addr.bus != 0)
		return "behind a bridge";
	if (d->header_type < 0)
		return "header type unreadable";
	return NULL;
}

static int outcome_fill(const struct snapshot *snap, size_t *parent, const size_t *joins, size_t i,
			struct split_outcome *o)
{
	size_t root = find(parent, i), n = 0;

	for (size_t j = 0; j < snap->n_devices; j++)
		if (j != i && find(parent, j) == root)
			n++;
	if (n == 0) {
		o->fate = SPLIT_OWN_GROUP;
		return 0;
	}
	o->fate = SPLIT_SHARED;
	o->with = calloc(n, sizeof(*o->with));
	if (!o->with)
		return -ENOMEM;
	for (size_t j = 0; j < snap->n_devices; j++)
		if (j != i && find(parent, j) == root)
			o->with[o->n_with++] = snap->devices[j].addr;
	if (joins[i] != SIZE_MAX)
		o->joins = snap->devices[joins[i]].addr;
	return 0;
}

int split_predict(const struct snapshot *snap, const struct pci_addr *functions, size_t n,
		  struct split_prediction *ret)
{
	_cleanup_(freep) bool *removed = NULL;
	_cleanup_(freep) size_t *parent = NULL, *joins = NULL;
	struct split_prediction p = {};
	size_t m = snap->n_devices ? snap->n_devices : 1;

	removed = calloc(m, sizeof(*removed));
	parent = calloc(m, sizeof(*parent));
	joins = calloc(m, sizeof(*joins));
	p.v = calloc(n ? n : 1, sizeof(*p.v));
	if (!removed || !parent || !joins || !p.v) {
		free(p.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < snap->n_devices; i++)
		removed[i] = pci_addr_in(&snap->devices[i].addr, functions, n);
	simulate(snap, functions, n, removed, parent, joins);

	for (size_t k = 0; k < n; k++) {
		ssize_t i = index_of(snap, &functions[k]);
		struct split_outcome *o = &p.v[p.n++];

		o->addr = functions[k];
		o->why_unknown = why_unknown(snap, i < 0 ? NULL : &snap->devices[i]);
		if (o->why_unknown) {
			o->fate = SPLIT_UNKNOWN;
			continue;
		}
		if (outcome_fill(snap, parent, joins, (size_t)i, o) < 0) {
			split_prediction_done(&p);
			return -ENOMEM;
		}
	}
	*ret = p;
	return 0;
}

void split_prediction_done(struct split_prediction *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].with);
	free(p->v);
	*p = (struct split_prediction){};
}
