/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "admin/status.h"
#include "topology/split_predict.h"

#define ANSI_BOLD "\033[1m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_GREEN "\033[32m"
#define ANSI_RESET "\033[0m"

struct style {
	const char *bold, *warn, *mark, *reset;
};

static bool is_marked(const struct pci_device *d, const struct igd_config *cfg)
{
	return cfg && (addr_list_contains(&cfg->functions, &d->addr) ||
		       addr_list_contains(&cfg->vfio_devices, &d->addr));
}

static void print_netdevs(FILE *out, const struct pci_device *d)
{
	for (size_t i = 0; i < d->n_netdevs; i++) {
		const struct netdev_info *n = &d->netdevs[i];

		fprintf(out, "  net %s (%s%s%s)", n->name, n->operstate ? n->operstate : "unknown",
			n->master ? ", in " : "", n->master ? n->master : "");
	}
}

/* Each disk the host uses, with its use: "disk sda3 (zfs pool rpool, /)". */
static void print_blockdevs(FILE *out, const struct pci_device *d)
{
	for (size_t i = 0; i < d->n_blockdevs; i++) {
		const struct blockdev_info *b = &d->blockdevs[i];

		if (b->used)
			fprintf(out, "  disk %s (%s)", b->name, b->use ? b->use : "used");
		else if (b->doubt)
			fprintf(out, "  disk %s (use unknown: %s)", b->name, b->doubt);
	}
}

static void print_device(FILE *out, const struct pci_device *d, const struct igd_config *cfg,
			 const struct style *st)
{
	bool r = cfg && addr_list_contains(&cfg->functions, &d->addr);
	bool v = cfg && addr_list_contains(&cfg->vfio_devices, &d->addr);

	/* the class first, as lspci puts it: "Audio device: [8086:a348] Intel Corporation ..." */
	fprintf(out, "  %s%c%c%s %s %s: [%04x:%04x] %s %s  driver %s", st->mark, r ? 'R' : ' ',
		v ? 'V' : ' ', st->reset, PCI_ADDR_STR(&d->addr), d->class_name, d->vendor_id,
		d->device_id, d->vendor_name, d->device_name, d->driver ? d->driver : "none");
	if (d->is_bridge)
		fprintf(out, "  bridge");
	if (pci_device_multifunction(d) == 1)
		fprintf(out, "  multi-function");
	print_netdevs(out, d);
	print_blockdevs(out, d);
	fputc('\n', out);
}

static int cmp_group_then_addr(const void *a, const void *b)
{
	const struct pci_device *x = *(const struct pci_device *const *)a;
	const struct pci_device *y = *(const struct pci_device *const *)b;

	/* devices without a group last */
	if (x->iommu_group != y->iommu_group) {
		if (x->iommu_group == IOMMU_GROUP_NONE)
			return 1;
		if (y->iommu_group == IOMMU_GROUP_NONE)
			return -1;
		return x->iommu_group < y->iommu_group ? -1 : 1;
	}
	return pci_addr_cmp(&x->addr, &y->addr);
}

static void print_group_header(FILE *out, const struct pci_device **v,
			       size_t i, size_t n, const struct igd_config *cfg, const struct style *st)
{
	int g = v[i]->iommu_group;
	size_t size = 0;
	bool marked = false;

	for (size_t j = i; j < n && v[j]->iommu_group == g; j++) {
		size++;
		marked |= is_marked(v[j], cfg);
	}
	if (g == IOMMU_GROUP_NONE) {
		fprintf(out, "%sNo IOMMU group%s\n", st->bold, st->reset);
		return;
	}
	fprintf(out, "%sGroup %d%s", st->bold, g, st->reset);
	if (size > 1)
		fprintf(out, "  %sshared by %zu devices%s", marked ? st->warn : "", size,
			marked ? st->reset : "");
	fputc('\n', out);
}

void status_print(FILE *out, const struct snapshot *snap, const struct igd_config *cfg, bool color)
{
	static const struct style plain = { "", "", "", "" };
	static const struct style ansi = { ANSI_BOLD, ANSI_YELLOW, ANSI_GREEN, ANSI_RESET };
	const struct style *st = color ? &ansi : &plain;
	_cleanup_(freep) const struct pci_device **v = NULL;
	size_t n = snap->n_devices, groups = 0;

	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		fprintf(out, "(out of memory)\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = &snap->devices[i];
	qsort(v, n, sizeof(*v), cmp_group_then_addr);
	for (size_t i = 0; i < n; i++)
		if (v[i]->iommu_group != IOMMU_GROUP_NONE &&
		    (i == 0 || v[i - 1]->iommu_group != v[i]->iommu_group))
			groups++;

	if (snap->iommu_groups)
		fprintf(out, "%zu PCI devices in %zu IOMMU groups.\n", n, groups);
	else
		fprintf(out, "%sNo IOMMU groups: the IOMMU is off or absent (enable VT-d in the firmware "
			"and add intel_iommu=on to the kernel command line).%s %zu PCI devices:\n",
			st->warn, st->reset, n);
	if (cfg)
		fprintf(out, "Marks: R = [regroup] function, V = [vfio] device. \"multi-function\": bit 7 of its "
			     "header type, found again next to a present function of its slot it rejoins that "
			     "function's group.\n");
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || v[i - 1]->iommu_group != v[i]->iommu_group) {
			fputc('\n', out);
			print_group_header(out, v, i, n, cfg, st);
		}
		print_device(out, v[i], cfg, st);
	}
}
