/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "admin/vm_report.h"
#include "pve/hook.h"

static void print_entry(FILE *out, const struct hostpci_choice *c)
{
	const struct vm_hostpci *h = c->h;
	const struct pci_addr *a;
	size_t n;

	fprintf(out, "  hostpci%u  ", h->index);
	if (h->mapping) {
		fprintf(out, "mapping '%s'", h->mapping);
		if (h->n_alts > 1)
			fprintf(out, ", alternative %zu of %zu", c->alt + 1, h->n_alts);
	} else {
		a = vm_hostpci_alt(h, 0, &n);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s%s", i ? ";" : "", PCI_ADDR_STR(&a[i]));
	}
	if (h->mdev) {
		fprintf(out, " (mdev=%s): a mediated device on one of", h->mdev);
		for (size_t i = 0; i < c->n_funcs; i++)
			fprintf(out, " %s", PCI_ADDR_STR(&c->funcs[i]));
		fputs(", which keeps its host driver\n", out);
		return;
	}
	fputs(" ->", out);
	for (size_t i = 0; i < c->n_funcs; i++)
		fprintf(out, " %s", PCI_ADDR_STR(&c->funcs[i]));
	fprintf(out, "%s\n", h->driver_keep ? " (driver=keep: not bound)" : "");
}

static void print_device(FILE *out, const struct pci_device *d)
{
	fprintf(out, "%s (%s, driver %s", PCI_ADDR_STR(&d->addr), d->device_name,
		d->driver ? d->driver : "none");
	for (size_t k = 0; k < d->n_netdevs; k++)
		fprintf(out, ", %s%s%s", d->netdevs[k].name, d->netdevs[k].master ? " in " : "",
			d->netdevs[k].master ? d->netdevs[k].master : "");
	if (d->vfio_holder_pid && d->vfio_holder_vmid)
		fprintf(out, ", held by VM %u", d->vfio_holder_vmid);
	else if (d->vfio_holder_pid)
		fprintf(out, ", held by pid %d", d->vfio_holder_pid);
	fputc(')', out);
}

/* One line per IOMMU group of the functions taken: them, and what else the group holds. */
static void print_groups(FILE *out, const struct snapshot *snap, uint32_t vmid,
			 const struct pci_addr *taken, size_t n)
{
	fprintf(out, "IOMMU groups of the functions taken:%s\n", n ? "" : " none");
	for (size_t i = 0; i < n; i++) {
		const struct pci_device *d = snapshot_find(snap, &taken[i]);
		const struct group_filter host_use = {
			.except = taken, .n_except = n, .host_used = true, .vmid = vmid
		};
		size_t mine = 0, host = 0, others = 0;
		bool seen = false;

		for (size_t k = 0; k < i; k++) {
			const struct pci_device *e = snapshot_find(snap, &taken[k]);
			seen |= e && e->iommu_group == d->iommu_group && d->iommu_group != IOMMU_GROUP_NONE;
		}
		if (seen)
			continue;
		if (d->iommu_group == IOMMU_GROUP_NONE) {
			fputs("  no group: ", out);
			print_device(out, d);
			fputs(" (no IOMMU: Proxmox cannot pass it)\n", out);
			continue;
		}
		fprintf(out, "  group %d: ", d->iommu_group);
		for (size_t j = 0; j < snap->n_devices; j++) {
			const struct pci_device *x = &snap->devices[j];

			if (x->iommu_group != d->iommu_group || !pci_addr_in(&x->addr, taken, n))
				continue;
			fputs(mine++ ? ", " : "", out);
			print_device(out, x);
		}
		/* the hook's isolation rule: the others the host uses, this VM's functions aside */
		host = snapshot_group_others(snap, d, &host_use);
		fputs(host ? "; not isolated from " : "; isolated", out);
		for (size_t j = 0; j < snap->n_devices; j++) {
			const struct pci_device *x = &snap->devices[j];
			bool used;

			if (x->iommu_group != d->iommu_group || pci_addr_in(&x->addr, taken, n))
				continue;
			used = !x->is_bridge && pci_device_used_by_host(x, vmid);
			if (host && !used)
				continue;
			fputs(others++ ? ", " : host ? "" : " (also in it: ", out);
			print_device(out, x);
			if (!host)
				fputs(x->is_bridge ? " a bridge" : " unused", out);
		}
		fputs(!host && others ? ")\n" : "\n", out);
	}
}

struct bind_list {
	FILE *out;
	size_t n;
};

static int print_bind(void *userdata, const struct pci_addr *a, enum hook_vfio_action what)
{
	struct bind_list *b = userdata;
	static const char *const words[] = {
		[HOOK_VFIO_BIND] = "",
		[HOOK_VFIO_MDEV] = " (mdev parent: not bound)",
		[HOOK_VFIO_KEEP] = " (driver=keep: not bound)",
	};

	fprintf(b->out, "%s%s%s", b->n++ ? ", " : " and bind to vfio-pci: ", PCI_ADDR_STR(a), words[what]);
	return 0;
}

/* What the reset phase would do, and whether the host network would go with it. */
static int print_reset(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
		       const struct snapshot *snap, FILE *out)
{
	struct addr_list l = {};
	bool network = false;
	int r;

	if (cfg->reset_phase == RESET_PHASE_NONE) {
		fputs("Reset: none (reset_phase = none).\n", out);
		return 0;
	}
	fprintf(out, "Reset at %s:", reset_phase_to_string(cfg->reset_phase));
	r = hook_reset_functions(ctx, cfg, vmid, false, &l);
	if (r < 0) {
		fputs(" cannot be worked out (named in the messages).\n", out);
		return r;
	}
	if (l.n == 0)
		fputs(" nothing (the VM passes no [regroup] function).\n", out);
	for (size_t i = 0; i < l.n; i++)
		fprintf(out, " %s", PCI_ADDR_STR(&l.v[i]));
	for (size_t i = 0; i < l.n; i++) {
		const struct pci_device *d = snapshot_find(snap, &l.v[i]);

		for (size_t k = 0; d && k < d->n_netdevs; k++) {
			if (!d->netdevs[k].admin_up)
				continue;
			fprintf(out, "%s %s%s%s%s goes away with %s",
				network ? "," : "; the host network is touched:", d->netdevs[k].name,
				d->netdevs[k].master ? " (in " : "", d->netdevs[k].master ? d->netdevs[k].master : "",
				d->netdevs[k].master ? ")" : "", PCI_ADDR_STR(&d->addr));
			network = true;
		}
	}
	if (l.n)
		fputs(network ? "; igd-regroup-netnotify brings it back.\n"
			      : "; the host network is not touched.\n", out);
	free(l.v);
	return 0;
}

int vm_report(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid, FILE *out)
{
	_cleanup_(vm_config_done) struct vm_config vm = {};
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(hostpci_choices_done) struct hostpci_choices chosen = {};
	_cleanup_(freep) struct pci_addr *taken = NULL;
	struct bind_list binds = { .out = out };
	size_t n = 0, refusals;
	int r;

	if (cfg->n_vmids && !config_vmid_selected(cfg, vmid)) {
		fprintf(out, "VM %u is not in [hook] vmids: the hookscript does nothing for it.\n", vmid);
		return 0;
	}
	r = vm_config_read(ctx, vmid, &vm);
	if (r < 0) {
		fprintf(out, "VM %u: pre-start would fail: its config cannot be read.\n", vmid);
		return 1;
	}
	fprintf(out, "VM %u: machine %s, vga %s%s\n", vmid, vm.machine ? vm.machine : "default (i440fx)",
		vm.vga_raw ? vm.vga_raw : "default", vm.is_template ? ", a template" : "");
	if (vm.is_template) {
		fputs("Proxmox starts a template only for a backup, without its PCI devices: pre-start "
		      "checks and binds nothing, the reset phase resets nothing.\n", out);
		return 0;
	}
	r = snapshot_read(ctx, &snap);
	if (r < 0)
		return r;
	r = hostpci_choose(ctx, &vm, &snap, 0, &chosen);
	if (r == -ENOMEM)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot work out the VM's devices: %m");
	if (r < 0) {
		fputs("Pre-start: would refuse the start: Proxmox cannot take these devices (named in the "
		      "messages).\n", out);
		return 1;
	}
	fprintf(out, "hostpci entries:%s\n", chosen.n ? "" : " none");
	for (size_t i = 0; i < chosen.n; i++)
		print_entry(out, &chosen.v[i]);
	r = hostpci_choices_taken(&chosen, &taken, &n);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, -r, "Cannot work out the VM's devices: %m");
	print_groups(out, &snap, vmid, taken, n);

	(void)hook_warn_setup(ctx, &vm, &snap, &chosen);
	refusals = hook_pre_start_refusals(ctx, cfg, &snap, vmid, &chosen);
	if (refusals)
		fprintf(out, "Pre-start: would refuse the start (%zu problem%s, named in the messages).\n",
			refusals, refusals == 1 ? "" : "s");
	else {
		fputs("Pre-start: would accept the start", out);
		(void)hook_vfio_walk(cfg, &chosen, print_bind, &binds);
		fputs(binds.n ? ".\n" : "; binds nothing.\n", out);
	}
	r = print_reset(ctx, cfg, vmid, &snap, out);
	if (r == -ENOMEM)
		return r;
	return refusals ? 1 : 0;
}
