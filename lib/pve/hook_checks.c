/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pre-start's checks on the functions a VM takes: the host must not be
 * using them, their IOMMU groups must hold nothing else the host uses, and
 * the iGPU setup must be one qemu-server and QEMU accept.
 */
#include <string.h>
#include <sys/stat.h>

#include "pve/hook.h"

static void describe(FILE *m, const struct pci_device *o, uint32_t vmid)
{
	fprintf(m, "%s (%s, driver %s", PCI_ADDR_STR(&o->addr), o->device_name,
		o->driver ? o->driver : "none");
	for (size_t k = 0; k < o->n_netdevs; k++)
		fprintf(m, ", %s%s%s", o->netdevs[k].name, o->netdevs[k].master ? " in " : "",
			o->netdevs[k].master ? o->netdevs[k].master : "");
	if (o->vfio_holder_pid && o->vfio_holder_vmid && o->vfio_holder_vmid != vmid)
		fprintf(m, ", held by VM %u", o->vfio_holder_vmid);
	else if (o->vfio_holder_pid && o->vfio_holder_vmid != vmid)
		fprintf(m, ", held by pid %d", o->vfio_holder_pid);
	fputc(')', m);
}

/* How the host uses d, as words ("eno1 is up, a port of vmbr0"), or NULL when it does not. */
static char *host_use(const struct pci_device *d)
{
	_cleanup_(freep) char *s = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	for (size_t k = 0; k < d->n_netdevs; k++) {
		const struct netdev_info *nd = &d->netdevs[k];

		if (!nd->admin_up && !nd->master)
			continue;
		fprintf(m, "%snetwork interface %s is %s", n++ ? "; " : "", nd->name,
			nd->admin_up ? "up" : "down");
		if (nd->master)
			fprintf(m, ", a port of %s", nd->master);
	}
	/* the first disk in use says enough: its partitions follow it */
	for (size_t k = 0; k < d->n_blockdevs; k++) {
		const struct blockdev_info *b = &d->blockdevs[k];

		if (b->used)
			fprintf(m, "%sdisk %s is used (%s)", n++ ? "; " : "", b->name, b->use ? b->use : "?");
		else if (b->doubt)
			fprintf(m, "%sthe use of disk %s cannot be read (%s)", n++ ? "; " : "", b->name, b->doubt);
		else
			continue;
		break;
	}
	if (fclose(m) != 0 || n == 0)
		return NULL;
	return TAKE_PTR(s);
}

size_t hook_check_host_use(const struct igd_ctx *ctx, const struct snapshot *snap, uint32_t vmid,
			   const struct hostpci_choices *c)
{
	size_t problems = 0;

	for (size_t i = 0; i < c->n; i++) {
		_cleanup_(freep) char *name = NULL;

		if (c->v[i].h->mdev)
			continue;
		for (size_t j = 0; j < c->v[i].n_funcs; j++) {
			const struct pci_device *d = snapshot_find(snap, &c->v[i].funcs[j]);
			_cleanup_(freep) char *how = d ? host_use(d) : NULL;

			if (!how)
				continue;
			if (!name)
				name = hostpci_choice_name(&c->v[i]);
			log_error(ctx,
				  "refusing to start VM %u: %s takes %s (%s), which the host is using: %s. "
				  "Release it on the host first, or pass only the functions the VM needs.",
				  vmid, name ? name : "a hostpci entry", PCI_ADDR_STR(&d->addr),
				  d->device_name, how);
			problems++;
		}
	}
	return problems;
}

/* A passed function of the group belongs to an entry Proxmox binds (not driver=keep). */
static bool group_gets_bound(const struct snapshot *snap, const struct hostpci_choices *c, int group)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].h->mdev || c->v[i].h->driver_keep)
			continue;
		for (size_t j = 0; j < c->v[i].n_funcs; j++) {
			const struct pci_device *d = snapshot_find(snap, &c->v[i].funcs[j]);

			if (d && d->iommu_group == group)
				return true;
		}
	}
	return false;
}

static void refuse_group(const struct igd_ctx *ctx, uint32_t vmid, const char *mine, size_t n_mine,
			 int group, const char *others, size_t count, bool bound)
{
	const char *them = count == 1 ? "it" : "them";

	if (bound)
		log_error(ctx,
			  "refusing to start VM %u: %s %s IOMMU group %d with %s, which the host uses; "
			  "Proxmox would bind %s to vfio-pci and take %s from the host. Run "
			  "'igd-regroup apply' (or enable igd-regroup.service) to split the group.",
			  vmid, mine, n_mine == 1 ? "shares" : "share", group, others, them, them);
	else
		log_error(ctx,
			  "refusing to start VM %u: %s %s IOMMU group %d with %s, which the host uses; "
			  "with driver=keep Proxmox binds nothing, but QEMU needs every device of the "
			  "group free of host drivers. Run 'igd-regroup apply' (or enable "
			  "igd-regroup.service) to split the group.",
			  vmid, mine, n_mine == 1 ? "shares" : "share", group, others);
}

/* The passed devices of d's group, d among them, in address order: "00:1f.3 (Audio) and ...". */
static char *describe_mine(const struct snapshot *snap, const struct pci_device *d,
			   const struct pci_addr *passed, size_t n, size_t *ret_n)
{
	_cleanup_(freep) char *mine = NULL;
	size_t len = 0, n_mine = 0;
	FILE *m = open_memstream(&mine, &len);

	if (!m)
		return NULL;
	for (size_t j = 0; j < snap->n_devices; j++) {
		const struct pci_device *x = &snap->devices[j];

		if (x->iommu_group == d->iommu_group && pci_addr_in(&x->addr, passed, n))
			fprintf(m, "%s%s (%s)", n_mine++ ? " and " : "", PCI_ADDR_STR(&x->addr),
				x->device_name);
	}
	if (fclose(m) != 0)
		return NULL;
	*ret_n = n_mine;
	return TAKE_PTR(mine);
}

/* d's group refused (1), or not (0); -ENOMEM. */
static int check_group(const struct igd_ctx *ctx, const struct snapshot *snap, uint32_t vmid,
		       const struct hostpci_choices *c, const struct pci_device *d,
		       const struct pci_addr *passed, size_t n)
{
	/* what Proxmox would take from the host: the others it uses, this VM's devices aside */
	const struct group_filter host = { .except = passed, .n_except = n, .host_used = true, .vmid = vmid };
	_cleanup_(freep) char *mine = NULL, *list = NULL;
	size_t len = 0, n_mine = 0, count = 0;
	FILE *o;

	if (snapshot_group_others(snap, d, &host) == 0)
		return 0;
	o = open_memstream(&list, &len);
	if (!o)
		return -ENOMEM;
	for (const struct pci_device *x = NULL; (x = snapshot_group_next_other(snap, d, &host, x));) {
		if (count++)
			fputs(", ", o);
		describe(o, x, vmid);
	}
	if (fclose(o) != 0)
		return -ENOMEM;
	mine = describe_mine(snap, d, passed, n, &n_mine);
	if (!mine)
		return -ENOMEM;
	refuse_group(ctx, vmid, mine, n_mine, d->iommu_group, list, count,
		     group_gets_bound(snap, c, d->iommu_group));
	return 1;
}

size_t hook_check_isolation(const struct igd_ctx *ctx, const struct snapshot *snap, uint32_t vmid,
			    const struct hostpci_choices *c)
{
	_cleanup_(freep) struct pci_addr *passed = NULL;
	size_t n = 0, problems = 0;

	if (hostpci_choices_taken(c, &passed, &n) < 0)
		return 1;
	/* one message per group: the passed devices in it and the host devices they would take */
	for (size_t i = 0; i < n; i++) {
		const struct pci_device *d = snapshot_find(snap, &passed[i]);
		bool seen = false;
		int r;

		if (!d || d->iommu_group == IOMMU_GROUP_NONE)
			continue;
		for (size_t k = 0; k < i; k++) {
			const struct pci_device *e = snapshot_find(snap, &passed[k]);
			seen |= e && e->iommu_group == d->iommu_group;
		}
		if (seen)
			continue;
		r = check_group(ctx, snap, vmid, c, d, passed, n);
		if (r < 0)
			return problems + 1;
		problems += (size_t)r;
	}
	return problems;
}

static bool file_exists(const char *p)
{
	struct stat st;

	return p && stat(p, &st) == 0;
}

/* QEMU's own rule: legacy IGD mode reads the LPC bridge's ids. */
static size_t warn_lpc(const struct igd_ctx *ctx, const struct vm_hostpci *h,
		       const struct hostpci_choices *c)
{
	const struct pci_addr lpc = { .domain = 0, .bus = 0, .dev = 0x1f, .func = 0, .has_func = true };

	if (hostpci_choices_taker(c, &lpc))
		return 0;
	log_warning(ctx, "hostpci%u has legacy-igd=1 but 0000:00:1f.0 (the LPC bridge) is not "
			 "passed to the VM: QEMU will fail with \"IGD device ... does not support LPC "
			 "bridge access, legacy mode disabled\". Add hostpciN: 0000:00:1f.0.",
		    h->index);
	return 1;
}

/*
 * qemu-server's parse_hostpci_devices refuses these; say so before, with the reason.
 * Returns the number of warnings.
 */
static size_t warn_legacy_igd(const struct igd_ctx *ctx, const struct vm_config *vm,
			      const struct hostpci_choices *c, const struct hostpci_choice *ch,
			      unsigned *first_igd)
{
	const struct vm_hostpci *h = ch->h;
	size_t w = warn_lpc(ctx, h, c), n_first;
	const char *refuse = "Proxmox will refuse to start the VM";

#define WARN(...) (log_warning(ctx, __VA_ARGS__), w++)
	if (*first_igd != UINT32_MAX)
		WARN("hostpci%u has legacy-igd=1 as does hostpci%u: only one device can be in legacy "
		     "IGD mode; %s.", h->index, *first_igd, refuse);
	else
		*first_igd = h->index;
	if (vm_machine_is_q35(vm->machine))
		WARN("hostpci%u has legacy-igd=1 on machine %s: legacy IGD mode needs an i440fx "
		     "machine (machine: pc-i440fx-...).", h->index, vm->machine);
	if (!vm->vga_raw || strcmp(vm->vga_raw, "none") != 0)
		WARN("hostpci%u has legacy-igd=1 but vga is %s: legacy IGD mode needs vga: none.",
		     h->index, !vm->vga ? "the default" : strcmp(vm->vga, "none") ? vm->vga : vm->vga_raw);
	if (h->rombar == 0)
		WARN("hostpci%u has legacy-igd=1 and rombar=0: legacy IGD mode needs the ROM BAR; %s.",
		     h->index, refuse);
	if (h->x_vga)
		WARN("hostpci%u has legacy-igd=1 and x-vga=1, which legacy IGD mode does not allow; %s.",
		     h->index, refuse);
	if (h->mdev)
		WARN("hostpci%u has legacy-igd=1 and mdev=%s, which legacy IGD mode does not allow; %s.",
		     h->index, h->mdev, refuse);
	if (h->n_alts > 1)
		WARN("hostpci%u has legacy-igd=1 and mapping '%s' has %zu devices for this node: "
		     "legacy IGD mode does not allow alternatives; %s.",
		     h->index, h->mapping ? h->mapping : "?", h->n_alts, refuse);
	else if (!h->mdev && ch->n_funcs > 1)
		WARN("hostpci%u has legacy-igd=1 and passes %zu functions together: legacy IGD mode "
		     "does not allow a multifunction device; %s.", h->index, ch->n_funcs, refuse);
	/* qemu-server's rule: the first device's address ends in "02.0" */
	n_first = ch->n_funcs;
	if (n_first && !(ch->funcs[0].dev == 2 && ch->funcs[0].func == 0))
		WARN("hostpci%u has legacy-igd=1 on %s: legacy IGD mode works only for the device at "
		     "00:02.0; %s.", h->index, PCI_ADDR_STR(&ch->funcs[0]), refuse);
#undef WARN
	return w;
}

/*
 * pve-guest-common's assert_valid: each map line's iommugroup= must be the group
 * its first device is in now, or qemu-server refuses the start. A split moves
 * functions to new groups: a mapping made before it no longer matches.
 */
static size_t warn_mapping_groups(const struct igd_ctx *ctx, const struct snapshot *snap,
				  const struct vm_hostpci *h)
{
	size_t w = 0, n;

	for (size_t k = 0; h->alt_iommugroup && k < h->n_alts; k++) {
		const struct pci_addr *a = vm_hostpci_alt(h, k, &n);
		struct pci_addr first;
		const struct pci_device *d;

		if (h->alt_iommugroup[k] < 0 || n == 0)
			continue;
		/* a path without a function: its function 0, as assert_valid looks it up */
		first = a[0];
		if (!first.has_func)
			first = (struct pci_addr){ .domain = a->domain, .bus = a->bus, .dev = a->dev,
						   .func = 0, .has_func = true };
		d = snapshot_find(snap, &first);
		if (!d || d->iommu_group == IOMMU_GROUP_NONE || d->iommu_group == h->alt_iommugroup[k])
			continue;
		log_warning(ctx, "hostpci%u: mapping '%s' expects %s in IOMMU group %d, but it is in group "
				 "%d now: Proxmox will refuse to start the VM (\"'iommugroup' does not "
				 "match\"). The split moved it: set the mapping's device again (Datacenter, "
				 "Resource Mappings) once the split is in place.",
			    h->index, h->mapping, PCI_ADDR_STR(&first), h->alt_iommugroup[k], d->iommu_group);
		w++;
	}
	return w;
}

size_t hook_warn_setup(const struct igd_ctx *ctx, const struct vm_config *vm,
		       const struct snapshot *snap, const struct hostpci_choices *c)
{
	unsigned first_igd = UINT32_MAX;
	size_t warnings = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct vm_hostpci *h = c->v[i].h;

		if (h->mapping)
			warnings += warn_mapping_groups(ctx, snap, h);
		if (h->legacy_igd)
			warnings += warn_legacy_igd(ctx, vm, c, &c->v[i], &first_igd);
		if (h->pcie && !vm_machine_is_q35(vm->machine)) {
			log_warning(ctx, "hostpci%u has pcie=1 but the machine is not q35: Proxmox will "
					 "refuse to start the VM.", h->index);
			warnings++;
		}
		if (h->romfile) {
			_cleanup_(freep) char *p = igd_path(ctx, "/usr/share/kvm/%s", h->romfile);

			if (!strchr(h->romfile, '/') && !file_exists(p)) {
				log_warning(ctx, "hostpci%u: romfile %s is not in /usr/share/kvm/: QEMU will "
						 "not find it.",
					    h->index, h->romfile);
				warnings++;
			}
		}
	}
	return warnings;
}
