/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/macro.h"
#include "pve/hostpci_choose.h"
#include "pve/pci_reservations.h"

struct addrs {
	struct pci_addr *v;
	size_t n;
};

static void addrs_done(struct addrs *a)
{
	free(a->v);
	*a = (struct addrs){};
}

static int addrs_push(struct addrs *a, const struct pci_addr *x)
{
	struct pci_addr *v = reallocarray(a->v, a->n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	a->v = v;
	a->v[a->n++] = *x;
	return 0;
}

static ssize_t addrs_find(const struct addrs *a, const struct pci_addr *x)
{
	for (size_t i = 0; i < a->n; i++)
		if (pci_addr_equal(&a->v[i], x))
			return (ssize_t)i;
	return -1;
}

/* One entry while choosing: the functions of each of its alternatives. */
struct entry {
	const struct vm_hostpci *h;
	struct addrs *alts;
	size_t n_alts;
};

static void entry_done(struct entry *e)
{
	for (size_t k = 0; k < e->n_alts; k++)
		addrs_done(&e->alts[k]);
	free(e->alts);
}

/*
 * The present functions that one alternative names, as qemu-server's lspci
 * filter finds them: an address with a function is that function, a slot
 * every function of it. Logs each address that names nothing: *missing++.
 */
static int expand_alt(const struct igd_ctx *ctx, const struct snapshot *snap,
		      const struct vm_hostpci *h, size_t k, struct addrs *ret, size_t *missing)
{
	size_t n;
	const struct pci_addr *a = vm_hostpci_alt(h, k, &n);

	for (size_t i = 0; i < n; i++) {
		size_t found = 0;

		for (size_t j = 0; j < snap->n_devices; j++) {
			if (!pci_addr_in_slot(&snap->devices[j].addr, &a[i]))
				continue;
			if (addrs_push(ret, &snap->devices[j].addr) < 0)
				return -ENOMEM;
			found++;
		}
		if (found)
			continue;
		if (h->mapping)
			log_error(ctx, "hostpci%u: %s (mapping '%s') is not present on this host.",
				  h->index, PCI_ADDR_STR(&a[i]), h->mapping);
		else
			log_error(ctx, "hostpci%u: %s is not present on this host.", h->index,
				  PCI_ADDR_STR(&a[i]));
		(*missing)++;
	}
	return 0;
}

static int expand_all(const struct igd_ctx *ctx, const struct vm_config *vm,
		      const struct snapshot *snap, struct entry *entries)
{
	size_t missing = 0;
	int r;

	for (size_t i = 0; i < vm->n_hostpci; i++) {
		struct entry *e = &entries[i];

		e->h = &vm->hostpci[i];
		e->alts = calloc(e->h->n_alts ? e->h->n_alts : 1, sizeof(*e->alts));
		if (!e->alts)
			return -ENOMEM;
		e->n_alts = e->h->n_alts;
		for (size_t k = 0; k < e->n_alts; k++) {
			r = expand_alt(ctx, snap, e->h, k, &e->alts[k], &missing);
			if (r < 0)
				return r;
		}
	}
	return missing ? -ENODEV : 0;
}

struct chooser {
	const struct igd_ctx *ctx;
	const struct vm_config *vm;
	const struct snapshot *snap;
	struct pci_reservations res;
	unsigned flags;
	struct addrs used;       /* taken by the entries chosen so far */
	unsigned *used_by;       /* the hostpci index that took used.v[i] */
};

/* Why f cannot be taken by an entry with alternatives (malloc'd), or NULL when it can. */
static char *blocker(const struct chooser *c, const struct pci_addr *f)
{
	const struct pci_device *d = snapshot_find(c->snap, f);
	ssize_t u = addrs_find(&c->used, f);
	uint32_t other = pci_reservations_other(&c->res, f, c->vm->vmid);
	char *why = NULL;
	int r = 0;

	if (u >= 0)
		r = asprintf(&why, "%s taken by hostpci%u", PCI_ADDR_STR(f), c->used_by[u]);
	else if (other)
		r = asprintf(&why, "%s reserved by VM %u", PCI_ADDR_STR(f), other);
	else if (d && d->vfio_holder_pid && d->vfio_holder_vmid != c->vm->vmid && d->vfio_holder_vmid)
		r = asprintf(&why, "%s held by VM %u", PCI_ADDR_STR(f), d->vfio_holder_vmid);
	else if (d && d->vfio_holder_pid && d->vfio_holder_vmid != c->vm->vmid)
		r = asprintf(&why, "%s held by pid %d", PCI_ADDR_STR(f), d->vfio_holder_pid);
	else
		return NULL;
	return r < 0 ? strdup("?") : why;
}

static int take(struct chooser *c, const struct entry *e, const struct addrs *alt)
{
	for (size_t i = 0; i < alt->n; i++) {
		ssize_t u = addrs_find(&c->used, &alt->v[i]);
		unsigned *by;

		if (u >= 0) {
			log_error(c->ctx, "hostpci%u: %s is also taken by hostpci%u: Proxmox refuses to "
					  "assign a device more than once.",
				  e->h->index, PCI_ADDR_STR(&alt->v[i]), c->used_by[u]);
			return -EBUSY;
		}
		by = reallocarray(c->used_by, c->used.n + 1, sizeof(*by));
		if (!by)
			return -ENOMEM;
		c->used_by = by;
		if (addrs_push(&c->used, &alt->v[i]) < 0)
			return -ENOMEM;
		c->used_by[c->used.n - 1] = e->h->index;
	}
	return 0;
}

/* One alternative: qemu-server takes it, and reserves it for the start. */
static int choose_single(struct chooser *c, const struct entry *e)
{
	const struct addrs *alt = &e->alts[0];

	for (size_t i = 0; i < alt->n; i++) {
		uint32_t other = pci_reservations_other(&c->res, &alt->v[i], c->vm->vmid);

		if (other) {
			log_error(c->ctx, "hostpci%u: %s is reserved by VM %u: Proxmox will not give it "
					  "to a second VM.",
				  e->h->index, PCI_ADDR_STR(&alt->v[i]), other);
			return -EBUSY;
		}
	}
	return take(c, e, alt);
}

static bool alt_is_own(const struct chooser *c, const struct addrs *alt)
{
	for (size_t i = 0; i < alt->n; i++)
		if (!pci_reservations_own(&c->res, &alt->v[i], c->vm->vmid) ||
		    addrs_find(&c->used, &alt->v[i]) >= 0)
			return false;
	return alt->n > 0;
}

/* Several alternatives: the first free one, in order. Returns its index or -errno. */
static ssize_t choose_alternative(struct chooser *c, const struct entry *e)
{
	_cleanup_(freep) char *reasons = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	if (c->flags & HOSTPCI_CHOOSE_OWN_FIRST)
		for (size_t k = 0; k < e->n_alts; k++)
			if (alt_is_own(c, &e->alts[k])) {
				r = take(c, e, &e->alts[k]);
				return r < 0 ? r : (ssize_t)k;
			}
	m = open_memstream(&reasons, &len);
	if (!m)
		return -ENOMEM;
	for (size_t k = 0; k < e->n_alts; k++) {
		_cleanup_(freep) char *why = NULL;

		for (size_t i = 0; i < e->alts[k].n && !why; i++)
			why = blocker(c, &e->alts[k].v[i]);
		if (!why) {
			fclose(m);
			r = take(c, e, &e->alts[k]);
			return r < 0 ? r : (ssize_t)k;
		}
		fprintf(m, "%s%s", k ? ", " : "", why);
	}
	fclose(m);
	log_error(c->ctx, "hostpci%u: no device of mapping '%s' is free (%s): Proxmox will find no "
			  "free device for it.",
		  e->h->index, e->h->mapping ? e->h->mapping : "?", reasons ? reasons : "");
	return -EBUSY;
}

/* An mdev= entry: no function taken; its possible parents are the first of each alternative. */
static int mdev_parents(const struct entry *e, struct addrs *ret)
{
	for (size_t k = 0; k < e->n_alts; k++)
		if (e->alts[k].n && addrs_find(ret, &e->alts[k].v[0]) < 0 &&
		    addrs_push(ret, &e->alts[k].v[0]) < 0)
			return -ENOMEM;
	return 0;
}

static int choose_entry(struct chooser *c, struct entry *e, struct hostpci_choice *ret)
{
	struct addrs parents = {};
	ssize_t k = 0;
	int r;

	*ret = (struct hostpci_choice){ .h = e->h };
	if (e->h->mdev) {
		r = mdev_parents(e, &parents);
		if (r < 0) {
			addrs_done(&parents);
			return r;
		}
		ret->funcs = parents.v;
		ret->n_funcs = parents.n;
		return 0;
	}
	if (e->n_alts == 1)
		r = choose_single(c, e);
	else
		r = (int)(k = choose_alternative(c, e));
	if (r < 0)
		return r;
	ret->alt = (size_t)k;
	/* hand the functions over: the entry is freed without them */
	ret->funcs = TAKE_PTR(e->alts[k].v);
	ret->n_funcs = e->alts[k].n;
	e->alts[k].n = 0;
	return 0;
}

int hostpci_choose(const struct igd_ctx *ctx, const struct vm_config *vm,
		   const struct snapshot *snap, unsigned flags, struct hostpci_choices *ret)
{
	struct chooser c = { .ctx = ctx, .vm = vm, .snap = snap, .flags = flags };
	struct hostpci_choices out = {};
	struct entry *entries = NULL;
	int r, first = 0;

	if (vm->n_hostpci == 0) {
		*ret = out;
		return 0;
	}
	entries = calloc(vm->n_hostpci, sizeof(*entries));
	out.v = calloc(vm->n_hostpci, sizeof(*out.v));
	r = entries && out.v ? 0 : -ENOMEM;
	if (r == 0)
		r = expand_all(ctx, vm, snap, entries);
	if (r == 0)
		r = pci_reservations_read(ctx, time(NULL), &c.res);
	/* like qemu-server: every entry is looked at; the first failure is returned */
	for (size_t i = 0; r == 0 && i < vm->n_hostpci; i++) {
		int q = choose_entry(&c, &entries[i], &out.v[out.n]);

		if (q == -ENOMEM)
			r = q;
		else if (q < 0 && !first)
			first = q;
		else if (q == 0)
			out.n++;
	}
	if (r == 0)
		r = first;
	for (size_t i = 0; entries && i < vm->n_hostpci; i++)
		entry_done(&entries[i]);
	free(entries);
	free(c.used_by);
	addrs_done(&c.used);
	pci_reservations_done(&c.res);
	if (r == -ENOMEM)
		log_error(ctx, "Out of memory");
	if (r < 0) {
		hostpci_choices_done(&out);
		return r;
	}
	*ret = out;
	return 0;
}

void hostpci_choices_done(struct hostpci_choices *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].funcs);
	free(c->v);
	*c = (struct hostpci_choices){};
}

const struct hostpci_choice *hostpci_choices_taker(const struct hostpci_choices *c,
						   const struct pci_addr *a)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].h->mdev)
			continue;
		for (size_t j = 0; j < c->v[i].n_funcs; j++)
			if (pci_addr_equal(&c->v[i].funcs[j], a))
				return &c->v[i];
	}
	return NULL;
}

int hostpci_choices_taken(const struct hostpci_choices *c, struct pci_addr **ret, size_t *ret_n)
{
	struct addrs all = {};

	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].h->mdev)
			continue;
		for (size_t j = 0; j < c->v[i].n_funcs; j++)
			if (addrs_find(&all, &c->v[i].funcs[j]) < 0 &&
			    addrs_push(&all, &c->v[i].funcs[j]) < 0) {
				addrs_done(&all);
				return -ENOMEM;
			}
	}
	*ret = all.v;
	*ret_n = all.n;
	return 0;
}

char *hostpci_choice_name(const struct hostpci_choice *c)
{
	_cleanup_(freep) char *list = NULL;
	const struct pci_addr *a;
	size_t n, len = 0;
	char *s = NULL;
	FILE *m;

	if (c->h->mapping)
		return asprintf(&s, "hostpci%u (mapping '%s')", c->h->index, c->h->mapping) < 0 ? NULL : s;
	m = open_memstream(&list, &len);
	if (!m)
		return NULL;
	a = vm_hostpci_alt(c->h, c->alt, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s%s", i ? ";" : "", PCI_ADDR_STR(&a[i]));
	if (fclose(m) != 0)
		return NULL;
	return asprintf(&s, "hostpci%u (%s)", c->h->index, list) < 0 ? NULL : s;
}
