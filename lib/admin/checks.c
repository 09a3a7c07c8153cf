/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/checks.h"
#include "topology/iommu.h"

int check_report_add(struct check_report *r, enum check_status st, const char *name, const char *fmt, ...)
{
	struct check_item *items, *it;
	va_list ap;
	int n;

	items = reallocarray(r->items, r->n + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	r->items = items;
	it = &items[r->n];
	*it = (struct check_item){ .status = st, .name = strdup(name) };
	va_start(ap, fmt);
	n = vasprintf(&it->message, fmt, ap);
	va_end(ap);
	if (n < 0 || !it->name) {
		free(it->name);
		return -ENOMEM;
	}
	r->n++;
	return 0;
}

static int check_iommu(const struct igd_ctx *ctx, const struct snapshot *snap, struct check_report *r)
{
	_cleanup_(freep) char *cmdline = iommu_read_cmdline(ctx);
	_cleanup_(freep) char *fix = NULL;
	const char *word = cmdline ? iommu_cmdline_word(cmdline) : NULL;

	if (snap->iommu_groups)
		return check_report_add(r, CHECK_OK, "iommu", "IOMMU groups present%s%s%s", word ? " (" : "",
			   word ? word : "", word ? " on the kernel command line)" : "");
	fix = iommu_fix(ctx);
	if (!fix)
		return -ENOMEM;
	return check_report_add(r, CHECK_FAIL, "iommu", "%s", fix);
}

static int check_vfio(const struct igd_ctx *ctx, const struct igd_config *cfg, struct check_report *r)
{
	_cleanup_(freep) char *dir = igd_path(ctx, "/sys/bus/pci/drivers/vfio-pci");
	struct stat st;

	if (!dir)
		return -ENOMEM;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return check_report_add(r, CHECK_OK, "vfio-pci", "the vfio-pci driver is loaded");
	if (cfg->vfio_devices.n == 0)
		return check_report_add(r, CHECK_OK, "vfio-pci", "not loaded; not needed: [vfio] devices is empty");
	return check_report_add(r, CHECK_FAIL, "vfio-pci",
		   "the vfio-pci driver is not loaded: add vfio-pci to /etc/modules "
		   "(or run modprobe vfio-pci)");
}

static int check_list_present(const struct snapshot *snap, const struct addr_list *l,
			      const char *what, struct check_report *r)
{
	size_t missing = 0;
	int k;

	for (size_t i = 0; i < l->n; i++) {
		if (snapshot_find(snap, &l->v[i]))
			continue;
		missing++;
		k = check_report_add(r, CHECK_FAIL, what, "%s is not present", PCI_ADDR_STR(&l->v[i]));
		if (k < 0)
			return k;
	}
	if (missing)
		return 0;
	if (l->n == 0)
		return check_report_add(r, CHECK_OK, what, "none configured");
	return check_report_add(r, CHECK_OK, what, "all %zu present", l->n);
}

/*
 * A configured function that still shares its group: with any other device
 * (snapshot_group_others, so bridges aside), used by the host or not, since
 * the split is what gives each function a group of its own.
 */
static int check_groups(const struct igd_config *cfg, const struct snapshot *snap,
			struct check_report *r)
{
	for (size_t i = 0; i < cfg->functions.n; i++) {
		const struct pci_device *d = snapshot_find(snap, &cfg->functions.v[i]);
		_cleanup_(freep) char *others = NULL;
		size_t len = 0;
		bool first = true;
		FILE *m;
		int k;

		if (!d || snapshot_group_others(snap, d, NULL) == 0)
			continue;
		m = open_memstream(&others, &len);
		if (!m)
			return -ENOMEM;
		for (const struct pci_device *o = NULL;
		     (o = snapshot_group_next_other(snap, d, NULL, o)); first = false)
			fprintf(m, "%s%s (%s)", first ? "" : ", ", PCI_ADDR_STR(&o->addr),
				o->driver ? o->driver : "no driver");
		if (fclose(m) != 0)
			return -ENOMEM;
		k = check_report_add(r, CHECK_WARN, "group",
			"%s still shares IOMMU group %d with %s: run igd-regroup apply "
			"(or enable igd-regroup.service)",
			PCI_ADDR_STR(&d->addr), d->iommu_group, others);
		if (k < 0)
			return k;
	}
	return 0;
}

/*
 * A function of the same slot as a [regroup] function that is not listed
 * stays behind when the others are cycled; with a multi-function LPC at
 * 1f.0 the kernel then puts 1f.0 back in a group with it (seen on a real
 * kernel in the lab).
 */
static int check_slot_siblings(const struct igd_config *cfg, const struct snapshot *snap,
			       struct check_report *r)
{
	for (size_t i = 0; i < snap->n_devices; i++) {
		const struct pci_device *d = &snap->devices[i];
		bool sibling = false;
		int k;

		if (addr_list_contains(&cfg->functions, &d->addr))
			continue;
		for (size_t j = 0; j < cfg->functions.n; j++) {
			struct pci_addr slot = cfg->functions.v[j];
			slot.has_func = false;
			sibling |= pci_addr_in_slot(&d->addr, &slot);
		}
		if (!sibling)
			continue;
		k = check_report_add(r, CHECK_WARN, "slot",
			"%s (%s) is in the slot of the [regroup] functions but not listed: it is not "
			"cycled, and the functions cycled may come back in a group with it; add it to "
			"[regroup] functions",
			PCI_ADDR_STR(&d->addr), d->device_name);
		if (k < 0)
			return k;
	}
	return 0;
}

int check_run(const struct igd_ctx *ctx, const struct igd_config *cfg, const struct snapshot *snap,
	      struct check_report *ret)
{
	struct check_report r = {};
	int k;

	k = check_report_add(&r, CHECK_OK, "config", "%s is valid", igd_ctx_config_path(ctx));
	if (k >= 0)
		k = check_iommu(ctx, snap, &r);
	if (k >= 0)
		k = check_vfio(ctx, cfg, &r);
	if (k >= 0)
		k = check_boot_modules(ctx, cfg, &r);
	if (k >= 0)
		k = check_list_present(snap, &cfg->functions, "functions", &r);
	if (k >= 0)
		k = check_list_present(snap, &cfg->vfio_devices, "vfio", &r);
	if (k >= 0 && cfg->reset_functions.n)
		k = check_list_present(snap, &cfg->reset_functions, "reset", &r);
	if (k >= 0)
		k = check_groups(cfg, snap, &r);
	if (k >= 0)
		k = check_slot_siblings(cfg, snap, &r);
	if (k >= 0)
		k = check_split(cfg, snap, &r);
	if (k >= 0)
		k = check_drivers(ctx, cfg, snap, &r);
	if (k >= 0)
		k = check_boot_unit(ctx, &r);
	if (k >= 0)
		k = check_vms(ctx, cfg, &r);
	if (k >= 0)
		k = check_leftovers(ctx, &r);
	if (k < 0) {
		check_report_done(&r);
		return k;
	}
	*ret = r;
	return 0;
}

void check_report_done(struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].name);
		free(r->items[i].message);
	}
	free(r->items);
	*r = (struct check_report){};
}

bool check_report_failed(const struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].status == CHECK_FAIL)
			return true;
	return false;
}

void check_report_print(FILE *out, const struct check_report *r, bool color, bool quiet)
{
	static const char *const word[] = { "ok  ", "WARN", "FAIL" };
	static const char *const ansi[] = { "\033[32m", "\033[33m", "\033[31;1m" };

	for (size_t i = 0; i < r->n; i++) {
		const struct check_item *it = &r->items[i];

		if (quiet && it->status == CHECK_OK)
			continue;
		fprintf(out, "%s%s%s %-9s %s\n", color ? ansi[it->status] : "", word[it->status],
			color ? "\033[0m" : "", it->name, it->message);
	}
}
