/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "engine.h"
#include "hook.h"
#include "lock.h"
#include "vfio.h"

static const char *const phase_names[] = {
	[HOOK_PRE_START] = "pre-start",
	[HOOK_POST_START] = "post-start",
	[HOOK_PRE_STOP] = "pre-stop",
	[HOOK_POST_STOP] = "post-stop",
};

int hook_vmid_parse(const char *s, uint32_t *ret)
{
	unsigned long v = 0;

	if (!s || s[0] < '1' || s[0] > '9' || strlen(s) > 9)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < VMID_MIN || v > VMID_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int hook_phase_parse(const char *s, enum hook_phase *ret)
{
	for (size_t i = 0; s && i < ELEMENTSOF(phase_names); i++)
		if (strcmp(s, phase_names[i]) == 0) {
			*ret = (enum hook_phase)i;
			return 0;
		}
	return -EINVAL;
}

const char *hook_phase_name(enum hook_phase p)
{
	return (size_t)p < ELEMENTSOF(phase_names) ? phase_names[p] : "unknown";
}

bool hook_is_reset_phase(const struct igd_config *cfg, enum hook_phase p)
{
	return (p == HOOK_POST_STOP && cfg->reset_phase == RESET_PHASE_POST_STOP) ||
	       (p == HOOK_PRE_STOP && cfg->reset_phase == RESET_PHASE_PRE_STOP);
}

static int push_addr(struct pci_addr **v, size_t *n, const struct pci_addr *a)
{
	struct pci_addr *nv;

	for (size_t i = 0; i < *n; i++)
		if (pci_addr_equal(&(*v)[i], a))
			return 0;
	nv = reallocarray(*v, *n + 1, sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = *a;
	return 0;
}

/* The functions of one address: itself, or every present function of a slot. */
static int expand(const struct snapshot *snap, const struct pci_addr *a, struct pci_addr **v, size_t *n,
		  size_t *found)
{
	int r;

	*found = 0;
	for (size_t i = 0; i < snap->n_devices; i++)
		if (pci_addr_in_slot(&snap->devices[i].addr, a)) {
			r = push_addr(v, n, &snap->devices[i].addr);
			if (r < 0)
				return r;
			(*found)++;
		}
	return 0;
}

int hook_passed_devices(const struct igd_ctx *ctx, const struct vm_config *vm,
			const struct snapshot *snap, struct pci_addr **ret, size_t *ret_n)
{
	_cleanup_(freep) struct pci_addr *v = NULL;
	size_t n = 0, found;
	int r, missing = 0;

	for (size_t i = 0; i < vm->n_hostpci; i++) {
		const struct vm_hostpci *h = &vm->hostpci[i];
		size_t before = n;

		/*
		 * host= lists are all passed. A mapping's addresses may be alternatives (several
		 * map lines for this node) or one list passed together: check every present one.
		 */
		for (size_t j = 0; j < h->n_addrs; j++) {
			r = expand(snap, &h->addrs[j], &v, &n, &found);
			if (r < 0)
				return r;
			if (!h->mapping && !found) {
				log_error(ctx, "hostpci%u: %s is not present on this host.", h->index,
					  PCI_ADDR_STR(&h->addrs[j]));
				missing++;
			}
		}
		if (h->mapping && n == before) {
			log_error(ctx, "hostpci%u: no device of mapping '%s' is present on this host.",
				  h->index, h->mapping);
			missing++;
		}
	}
	if (missing)
		return -ENODEV;
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static bool is_passed(const struct pci_addr *a, const struct pci_addr *passed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pci_addr_equal(a, &passed[i]))
			return true;
	return false;
}

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

size_t hook_check_isolation(const struct igd_ctx *ctx, const struct snapshot *snap, uint32_t vmid,
			    const struct pci_addr *passed, size_t n)
{
	size_t problems = 0;

	/* one message per group: the passed devices in it and the host devices they would take */
	for (size_t i = 0; i < n; i++) {
		const struct pci_device *d = snapshot_find(snap, &passed[i]);
		_cleanup_(freep) char *mine = NULL, *others = NULL;
		size_t len_m = 0, len_o = 0, n_mine = 0, count = 0;
		bool seen = false;
		FILE *m, *o;

		if (!d || d->iommu_group == IOMMU_GROUP_NONE)
			continue;
		for (size_t k = 0; k < i; k++) {
			const struct pci_device *e = snapshot_find(snap, &passed[k]);
			seen |= e && e->iommu_group == d->iommu_group;
		}
		if (seen)
			continue;
		m = open_memstream(&mine, &len_m);
		o = open_memstream(&others, &len_o);
		if (!m || !o) {
			if (m)
				fclose(m);
			if (o)
				fclose(o);
			return problems + 1;
		}
		for (size_t j = 0; j < snap->n_devices; j++) {
			const struct pci_device *x = &snap->devices[j];

			if (x->iommu_group != d->iommu_group)
				continue;
			if (is_passed(&x->addr, passed, n)) {
				fprintf(m, "%s%s (%s)", n_mine++ ? " and " : "", PCI_ADDR_STR(&x->addr),
					x->device_name);
				continue;
			}
			if (x->is_bridge || !pci_device_used_by_host(x, vmid))
				continue;
			if (count++)
				fputs(", ", o);
			describe(o, x, vmid);
		}
		fclose(m);
		fclose(o);
		if (!count)
			continue;
		problems++;
		log_error(ctx,
			  "refusing to start VM %u: %s %s IOMMU group %d with %s, which the host uses; "
			  "Proxmox would bind %s to vfio-pci and take %s from the host. Run "
			  "'igd-regroup apply' (or enable igd-regroup.service) to split the group.",
			  vmid, mine, n_mine == 1 ? "shares" : "share", d->iommu_group, others,
			  count == 1 ? "it" : "them", count == 1 ? "it" : "them");
	}
	return problems;
}

static bool file_exists(const char *p)
{
	struct stat st;

	return p && stat(p, &st) == 0;
}

size_t hook_warn_setup(const struct igd_ctx *ctx, const struct vm_config *vm,
		       const struct pci_addr *passed, size_t n)
{
	const struct pci_addr lpc = { .domain = 0, .bus = 0, .dev = 0x1f, .func = 0, .has_func = true };
	size_t warnings = 0;

	for (size_t i = 0; i < vm->n_hostpci; i++) {
		const struct vm_hostpci *h = &vm->hostpci[i];

		if (h->legacy_igd) {
			if (!is_passed(&lpc, passed, n)) {
				log_warning(ctx, "hostpci%u has legacy-igd=1 but 0000:00:1f.0 (the LPC bridge) "
						 "is not passed to the VM: QEMU will fail with \"IGD device "
						 "... does not support LPC bridge access, legacy mode "
						 "disabled\". Add hostpciN: 0000:00:1f.0.",
					    h->index);
				warnings++;
			}
			if (vm_machine_is_q35(vm->machine)) {
				log_warning(ctx, "hostpci%u has legacy-igd=1 on machine %s: legacy IGD mode "
						 "needs an i440fx machine (machine: pc-i440fx-...).",
					    h->index, vm->machine);
				warnings++;
			}
			if (!vm->vga || strcmp(vm->vga, "none") != 0) {
				log_warning(ctx, "hostpci%u has legacy-igd=1 but vga is %s: legacy IGD mode "
						 "needs vga: none.",
					    h->index, vm->vga ? vm->vga : "the default");
				warnings++;
			}
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

static void journal(const struct igd_ctx *ctx, uint32_t vmid, enum hook_phase phase,
		    const char *result, const char *what)
{
	/* the journal belongs to the host: not for a run on another root */
	if (!igd_ctx_root_is_host(ctx))
		return;
	(void)sd_journal_send("MESSAGE_ID=" HOOK_MESSAGE_ID,
			      "MESSAGE=igd-regroup-hook: VM %u %s: %s%s%s", vmid, hook_phase_name(phase),
			      result, what ? ": " : "", what ? what : "",
			      "PRIORITY=%d", strcmp(result, "ok") == 0 || strcmp(result, "skipped") == 0 ? LOG_INFO : LOG_ERR,
			      "IGD_VMID=%u", vmid, "IGD_PHASE=%s", hook_phase_name(phase),
			      "IGD_RESULT=%s", result, "SYSLOG_IDENTIFIER=igd-regroup-hook", NULL);
}

int hook_pre_start(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid)
{
	_cleanup_(vm_config_done) struct vm_config vm = {};
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(freep) struct pci_addr *passed = NULL;
	_cleanup_(igd_lock_releasep) int lock = -1;
	size_t n = 0, refused;
	int r;

	r = vm_config_read(ctx, vmid, &vm);
	if (r < 0)
		return r;
	if (vm.n_hostpci == 0) {
		log_info(ctx, "VM %u passes no PCI device: nothing to check.", vmid);
		return 0;
	}
	/* the lock keeps a concurrent regroup from changing groups under the check */
	lock = igd_lock_take(ctx, LOCK_TIMEOUT_MS_DEFAULT);
	if (lock < 0)
		return lock;
	r = snapshot_read(ctx, &snap);
	if (r < 0)
		return r;
	r = hook_passed_devices(ctx, &vm, &snap, &passed, &n);
	if (r < 0) {
		journal(ctx, vmid, HOOK_PRE_START, "failed", "a passed device is missing");
		return r;
	}
	(void)hook_warn_setup(ctx, &vm, passed, n);

	if (cfg->check_isolation) {
		refused = hook_check_isolation(ctx, &snap, vmid, passed, n);
		if (refused) {
			journal(ctx, vmid, HOOK_PRE_START, "refused", "a passed device shares its group with host devices");
			return -EPERM;
		}
	}

	for (size_t i = 0; i < cfg->vfio_devices.n; i++) {
		if (!is_passed(&cfg->vfio_devices.v[i], passed, n))
			continue;
		r = vfio_bind(ctx, &cfg->vfio_devices.v[i], NULL);
		if (r < 0) {
			journal(ctx, vmid, HOOK_PRE_START, "failed", "binding to vfio-pci failed");
			return r;
		}
	}
	log_info(ctx, "VM %u: %zu passed device(s) checked; none takes a device from the host.", vmid, n);
	journal(ctx, vmid, HOOK_PRE_START, "ok", NULL);
	return 0;
}

int hook_reset(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
	       enum hook_phase phase)
{
	struct engine_options opts = { .functions = config_reset_functions(cfg) };
	_cleanup_(engine_result_done) struct engine_result res = {};
	int r;

	if (opts.functions->n == 0) {
		log_info(ctx, "No reset functions configured: nothing to reset.");
		return 0;
	}
	log_info(ctx, "VM %u %s: resetting %zu function(s).", vmid, hook_phase_name(phase),
		 opts.functions->n);
	r = engine_run(ctx, cfg, &opts, &res);
	if (r < 0) {
		journal(ctx, vmid, phase, "failed", "the reset could not start");
		return r;
	}
	if (res.outcome == ENGINE_REFUSED && res.refused_held) {
		log_warning(ctx, "Reset skipped: a running VM holds one of the functions; they are "
				 "reset when it stops.");
		journal(ctx, vmid, phase, "skipped", "a running VM holds a function");
		return 0;
	}
	for (size_t i = 0; i < res.n_functions; i++) {
		const struct engine_function *f = &res.functions[i];

		if (f->present_after)
			log_info(ctx, "%s: group %d -> %d%s", PCI_ADDR_STR(&f->addr), f->group_before,
				 f->group_after, f->shared_after ? " (still shared)" : "");
	}
	if (res.outcome != ENGINE_OK && res.outcome != ENGINE_NOTHING) {
		journal(ctx, vmid, phase, "failed", "the reset did not complete");
		return res.error ? res.error : -EIO;
	}
	journal(ctx, vmid, phase, "ok", NULL);
	return 0;
}
