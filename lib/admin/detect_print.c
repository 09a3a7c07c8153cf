/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The proposal as a commented /etc/igd-regroup.conf. */
#include <inttypes.h>
#include <string.h>

#include "admin/detect.h"

static void print_device(FILE *out, const char *prefix, const struct pci_device *d)
{
	fprintf(out, "%s%s  %s %s\n", prefix, PCI_ADDR_STR(&d->addr), d->vendor_name, d->device_name);
}

static void print_addrs(FILE *out, const char *key, const struct pci_addr *v, size_t n)
{
	fprintf(out, "%s =", key);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %s", PCI_ADDR_STR(&v[i]));
	fputc('\n', out);
}

static void print_prediction(FILE *out, const struct detect_proposal *p)
{
	fprintf(out, "# After the split, as predicted from each function's header type:\n");
	for (size_t i = 0; i < p->prediction.n; i++) {
		const struct split_outcome *o = &p->prediction.v[i];

		fprintf(out, "#   %s  ", PCI_ADDR_STR(&o->addr));
		switch (o->fate) {
		case SPLIT_OWN_GROUP:
			fprintf(out, "a group of its own\n");
			break;
		case SPLIT_SHARED:
			fprintf(out, "stays grouped with");
			for (size_t j = 0; j < o->n_with; j++)
				fprintf(out, "%s %s", j ? "," : "", PCI_ADDR_STR(&o->with[j]));
			fprintf(out, " (multi-function header)\n");
			break;
		case SPLIT_UNKNOWN:
			fprintf(out, "not predicted: %s\n", o->why_unknown);
			break;
		}
	}
}

static bool same_list(const struct pci_addr *a, size_t na, const struct pci_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!pci_addr_equal(&a[i], &b[i]))
			return false;
	return true;
}

/* The functions the guides' boot job removes, against the proposal. */
static void print_cross_check(FILE *out, const struct detect_input *in, const struct detect_proposal *p)
{
	for (size_t i = 0; in->leftovers && i < in->leftovers->n; i++) {
		const struct leftover *x = &in->leftovers->v[i];

		if (x->n_removes == 0)
			continue;
		fprintf(out, "# Cross-check: the @reboot job at %s", x->where);
		if (x->script)
			fprintf(out, " (%s)", x->script);
		fprintf(out, "\n#   removes");
		for (size_t j = 0; j < x->n_removes; j++)
			fprintf(out, " %s", PCI_ADDR_STR(&x->removes[j]));
		fprintf(out, "%s\n", same_list(x->removes, x->n_removes, p->functions, p->n_functions)
					     ? ": the same list."
					     : ": not this list; the one below is what this host shows.");
		fprintf(out, "# Remove that job once this config is in place (igd-regroup check says so).\n");
	}
}

static void print_regroup(FILE *out, const struct detect_input *in, const struct detect_proposal *p)
{
	const struct pci_device *a = p->audio;

	fprintf(out, "[regroup]\n");
	if (!a) {
		fprintf(out, "# No PCH audio function (class 0403 on bus 0) on this host: nothing to regroup.\n");
	} else if (a->iommu_group == IOMMU_GROUP_NONE) {
		fprintf(out, "# No IOMMU groups on this host (IOMMU off): enable it first, see `igd-regroup check`.\n");
	} else if (snapshot_group_size(in->snap, a->iommu_group) == 1) {
		fprintf(out, "# %s already has IOMMU group %d to itself: nothing to regroup. (If igd-regroup\n"
			     "# split it at this boot, keep the [regroup] list you have.)\n",
			PCI_ADDR_STR(&a->addr), a->iommu_group);
	} else {
		fprintf(out, "# The functions of slot %04x:%02x:%02x in IOMMU group %d with the audio function,\n"
			     "# in function order:\n",
			a->addr.domain, a->addr.bus, a->addr.dev, a->iommu_group);
		for (size_t i = 0; i < p->n_functions; i++)
			print_device(out, "#   ", snapshot_find(in->snap, &p->functions[i]));
		for (size_t i = 0; i < p->n_left_out; i++)
			fprintf(out, "# Left out: %s: %s; it is never removed.\n", PCI_ADDR_STR(&p->left_out[i].addr),
				p->left_out[i].why);
		print_prediction(out, p);
	}
	print_cross_check(out, in, p);
	print_addrs(out, "functions", p->functions, p->n_functions);
	fputc('\n', out);
}

static void print_vfio(FILE *out, const struct detect_input *in, const struct detect_proposal *p)
{
	fprintf(out, "[vfio]\n");
	fprintf(out, "# Bound to vfio-pci after each regroup, to wait there for the VM:\n");
	for (size_t i = 0; i < p->n_vfio; i++) {
		const struct pci_device *d = snapshot_find(in->snap, &p->vfio[i]);

		print_device(out, "#   ", d);
		if (d != p->igpu && d != p->audio)
			fprintf(out, "#     (a VM passes the iGPU with legacy-igd=1: it needs the LPC bridge)\n");
	}
	if (!p->igpu)
		fprintf(out, "# No Intel iGPU at 0000:00:02.0 on this host.\n");
	print_addrs(out, "devices", p->vfio, p->n_vfio);
	fputc('\n', out);
}

static void print_hook(FILE *out, const struct detect_input *in, const struct detect_proposal *p)
{
	fprintf(out, "[hook]\n");
	if (p->n_vmids == 0)
		fprintf(out, "# No VM of this node passes the iGPU or the audio function yet. Empty: every VM\n"
			     "# the hookscript is attached to.\n");
	else
		fprintf(out, "# The VMs of this node that pass the iGPU or the audio function:\n");
	for (size_t i = 0; i < in->n_vms; i++) {
		const struct detect_vm *v = &in->vms[i];

		if (v->igpu || v->audio)
			fprintf(out, "#   VM %" PRIu32 ": %s%s%s%s\n", v->vmid, v->igpu ? "the iGPU" : "",
				v->igpu && v->audio ? " and " : "", v->audio ? "the audio function" : "",
				v->legacy_igd ? " (legacy-igd=1)" : "");
	}
	fprintf(out, "vmids =");
	for (size_t i = 0; i < p->n_vmids; i++)
		fprintf(out, " %" PRIu32, p->vmids[i]);
	fprintf(out, "\n\n");
}

static void print_network(FILE *out, const struct detect_input *in, const struct detect_proposal *p)
{
	fprintf(out, "[network]\n");
	if (!p->nic) {
		fprintf(out, "# No listed function has a network interface: the host's network is never\n"
			     "# cycled, nothing needs bringing back.\n"
			     "units =\n"
			     "action = none\n");
		return;
	}
	if (p->bridge)
		fprintf(out, "# %s, the interface of a listed function, is a port of %s:\n", p->nic, p->bridge);
	else
		fprintf(out, "# %s, the interface of a listed function, is in no bridge:\n", p->nic);
	fprintf(out, "# when a regroup cycles it after boot, these units bring it back.\n");
	if (in->agents_unknown)
		fprintf(out, "# Running VPN agents were not looked up (not this host's systemd): add yours.\n");
	else if (in->n_agents > 0)
		fprintf(out, "# Running VPN agents that bind to interfaces come after networking.service.\n");
	fprintf(out, "units =");
	for (size_t i = 0; i < p->n_units; i++)
		fprintf(out, " %s", p->units[i]);
	fprintf(out, "\naction = reload\n");
	fprintf(out, "wait_interface = %s\n", p->bridge ? p->bridge : p->nic);
}

void detect_print(FILE *out, const struct detect_input *in, const struct detect_proposal *p)
{
	fprintf(out, "# /etc/igd-regroup.conf -- proposed by `igd-regroup detect` for this host.\n"
		     "# Check it with `igd-regroup check` and `igd-regroup apply --dry-run`;\n"
		     "# igd-regroup.conf(5) explains every key.\n\n");
	print_regroup(out, in, p);
	print_vfio(out, in, p);
	print_hook(out, in, p);
	print_network(out, in, p);
}
