/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <systemd/sd-journal.h>

#include "core/lock.h"
#include "core/parse.h"
#include "core/sysfs.h"
#include "engine/engine.h"
#include "engine/vfio.h"
#include "pve/hook.h"
#include "topology/iommu.h"
#include "topology/split_predict.h"

static const char *const phase_names[] = {
	[HOOK_PRE_START] = "pre-start",
	[HOOK_POST_START] = "post-start",
	[HOOK_PRE_STOP] = "pre-stop",
	[HOOK_POST_STOP] = "post-stop",
};

int hook_vmid_parse(const char *s, uint32_t *ret)
{
	unsigned v;

	/* no leading zero: Proxmox never writes one, and "0100" is not VM 100 */
	if (!s || s[0] < '1' || s[0] > '9' || safe_atou(s, &v) < 0 || v < VMID_MIN || v > VMID_MAX)
		return -EINVAL;
	*ret = v;
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

/* Why a [vfio] device the VM lists stays on its driver: an mdev= parent or driver=keep; NULL: bind it. */
static const char *vfio_skip_reason(const struct hostpci_choices *c, const struct pci_addr *a)
{
	const struct hostpci_choice *t = hostpci_choices_taker(c, a);

	if (t)
		return t->h->driver_keep ? "driver=keep" : NULL;
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; c->v[i].h->mdev && j < c->v[i].n_funcs; j++)
			if (pci_addr_equal(&c->v[i].funcs[j], a))
				return "mdev";
	return "";
}

int hook_vfio_walk(const struct igd_config *cfg, const struct hostpci_choices *c,
		   hook_vfio_fn fn, void *userdata)
{
	int r;

	for (size_t i = 0; i < cfg->vfio_devices.n; i++) {
		const char *skip = vfio_skip_reason(c, &cfg->vfio_devices.v[i]);

		if (skip && !*skip)
			continue; /* not passed by this VM */
		r = fn(userdata, &cfg->vfio_devices.v[i], skip ? strcmp(skip, "mdev") == 0 ? HOOK_VFIO_MDEV : HOOK_VFIO_KEEP : HOOK_VFIO_BIND);
		if (r < 0)
			return r;
	}
	return 0;
}

/* pre-start's action on each [vfio] device the VM passes. */
static int bind_one(void *userdata, const struct pci_addr *a, enum hook_vfio_action what)
{
	const struct igd_ctx *ctx = userdata;

	switch (what) {
	case HOOK_VFIO_MDEV:
		log_notice(ctx, "%s is in [vfio] devices, but this VM makes mediated devices on it "
				"(mdev=): it keeps its host driver and is not bound.",
			   PCI_ADDR_STR(a));
		return 0;
	case HOOK_VFIO_KEEP:
		log_notice(ctx, "%s is in [vfio] devices, but its hostpci entry has driver=keep: "
				"Proxmox leaves its driver as it is, and so does igd-regroup.",
			   PCI_ADDR_STR(a));
		return 0;
	default:
		return vfio_bind(ctx, a, NULL);
	}
}

size_t hook_pre_start_refusals(const struct igd_ctx *ctx, const struct igd_config *cfg,
			       const struct snapshot *snap, uint32_t vmid,
			       const struct hostpci_choices *c)
{
	/* a device the host is using is refused even with check_isolation = no */
	size_t n = hook_check_host_use(ctx, snap, vmid, c);

	if (cfg->check_isolation)
		n += hook_check_isolation(ctx, snap, vmid, c);
	return n;
}

int hook_pre_start(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid)
{
	_cleanup_(vm_config_done) struct vm_config vm = {};
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(hostpci_choices_done) struct hostpci_choices chosen = {};
	_cleanup_(freep) struct pci_addr *taken = NULL;
	_cleanup_(igd_lock_release) struct igd_lock lock = IGD_LOCK_NULL;
	size_t n = 0;
	int r;

	r = vm_config_read(ctx, vmid, &vm);
	if (r < 0)
		return r;
	if (vm.is_template) {
		/* Proxmox starts a template only for a backup, with its hostpci entries removed */
		log_info(ctx, "VM %u is a template: Proxmox starts it without its PCI devices; nothing to check.",
			 vmid);
		return 0;
	}
	if (vm.n_hostpci == 0) {
		log_info(ctx, "VM %u passes no PCI device: nothing to check.", vmid);
		return 0;
	}
	/* the lock keeps a concurrent regroup from changing groups under the check */
	r = igd_lock_take(ctx, LOCK_TIMEOUT_MS_DEFAULT, &lock);
	if (r < 0)
		return r;
	r = snapshot_read(ctx, &snap);
	if (r < 0)
		return r;
	/* else the start fails later, at vfio-pci or in qemu, with a less useful message */
	r = iommu_require(ctx, &snap);
	if (r < 0) {
		journal(ctx, vmid, HOOK_PRE_START, "failed", "the IOMMU is off");
		return r;
	}
	r = hostpci_choose(ctx, &vm, &snap, 0, &chosen);
	if (r < 0) {
		journal(ctx, vmid, HOOK_PRE_START, "failed",
			r == -ENODEV ? "a passed device is missing" : "Proxmox cannot choose the devices");
		return r;
	}
	(void)hook_warn_setup(ctx, &vm, &snap, &chosen);

	if (hook_pre_start_refusals(ctx, cfg, &snap, vmid, &chosen)) {
		journal(ctx, vmid, HOOK_PRE_START, "refused", "a passed device is used by the host or shares its group with host devices");
		return -EPERM;
	}
	r = hook_vfio_walk(cfg, &chosen, bind_one, (void *)ctx);
	if (r < 0) {
		journal(ctx, vmid, HOOK_PRE_START, "failed", "binding to vfio-pci failed");
		return r;
	}
	r = hostpci_choices_taken(&chosen, &taken, &n);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, -r, "Out of memory");
	log_info(ctx, "VM %u: %zu passed device(s) checked; none takes a device from the host.", vmid, n);
	journal(ctx, vmid, HOOK_PRE_START, "ok", NULL);
	return 0;
}

/* The [regroup] functions that an address of a hostpci entry (not mdev=) names, in any alternative. */
static int named_functions(const struct igd_config *cfg, const struct vm_config *vm,
			   struct pci_addr **ret, size_t *ret_n)
{
	struct pci_addr *v = calloc(cfg->functions.n ? cfg->functions.n : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->functions.n; i++) {
		bool named = false;

		for (size_t j = 0; j < vm->n_hostpci && !named; j++)
			for (size_t k = 0; !vm->hostpci[j].mdev && k < vm->hostpci[j].n_addrs && !named; k++)
				named = pci_addr_in_slot(&cfg->functions.v[i], &vm->hostpci[j].addrs[k]);
		if (named)
			v[n++] = cfg->functions.v[i];
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/*
 * A function re-added while another function of its slot is present joins
 * that function's IOMMU group when its own header type has the
 * multi-function bit (the kernel's multi-function alias search looks at
 * the re-added function's bit only, and the slot's functions have no ACS):
 * resetting the LPC bridge 1f.0 alone after the boot split puts it in one
 * group with the SMBus 1f.4, and the VM's next start is refused. The boot
 * split works because 1f.0 comes back first, before its siblings. So the
 * default reset leaves out such a function while a function of its slot
 * stays; an explicit reset_functions is taken as written.
 */
static size_t keep_multifunction_with_slot(const struct igd_ctx *ctx, const struct snapshot *snap,
					   struct addr_list *l, bool say)
{
	size_t n = l->n;
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct pci_addr *a = &l->v[i];
		const struct pci_device *self = snapshot_find(snap, a), *stays = NULL;

		/* split_predict's rule, on the header type the snapshot read with libpci */
		if (self)
			stays = split_staying_sibling(snap, self, l->v, l->n);
		if (!stays) {
			l->v[kept++] = *a;
			continue;
		}
		if (say)
			log_notice(ctx,
				   "%s is not reset: it is a multi-function device (header type 0x%02x) "
				   "and %s of its slot stays, so found again alone it would join that "
				   "function's IOMMU group. It keeps the group the boot split gave it; "
				   "[hook] reset_functions resets the whole slot if that is wanted.",
				   PCI_ADDR_STR(a), (unsigned)self->header_type,
				   PCI_ADDR_STR(&stays->addr));
	}
	l->n = kept;
	return n - kept;
}

int hook_reset_functions(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
			 bool say, struct addr_list *ret)
{
	_cleanup_(vm_config_done) struct vm_config vm = {};
	_cleanup_(snapshot_done) struct snapshot snap = {};
	_cleanup_(hostpci_choices_done) struct hostpci_choices chosen = {};
	_cleanup_(freep) struct pci_addr *taken = NULL;
	size_t n = 0, left_out = 0;
	int r;

	*ret = (struct addr_list){};
	if (cfg->reset_functions.n == 0 && cfg->functions.n == 0) {
		if (say)
			log_info(ctx, "No reset functions configured: nothing to reset.");
		return 1;
	}
	if (cfg->reset_functions.n == 0) {
		r = vm_config_read(ctx, vmid, &vm);
		if (r < 0)
			return r;
		if (vm.is_template) {
			if (say)
				log_info(ctx, "VM %u is a template: it ran without its PCI devices; nothing to reset.",
					 vmid);
			return 1;
		}
		r = snapshot_read(ctx, &snap);
		if (r < 0)
			return r;
		r = hostpci_choose(ctx, &vm, &snap, HOSTPCI_CHOOSE_OWN_FIRST, &chosen);
		if (r == -ENODEV || r == -EBUSY) {
			/*
			 * A function the VM had is missing (an earlier reset died between remove
			 * and rescan) or taken since: every address it names still counts, so the
			 * engine's recovery rescan brings a missing one back.
			 */
			log_warning(ctx, "VM %u: resetting every [regroup] function its hostpci entries name.",
				    vmid);
			r = named_functions(cfg, &vm, &taken, &n);
		} else if (r == 0)
			r = hostpci_choices_taken(&chosen, &taken, &n);
		if (r < 0)
			return r == -ENOMEM ? igd_log_errno(ctx, LOG_ERR, ENOMEM, "Out of memory") : r;
	}
	r = config_reset_functions_for(cfg, taken, n, ret);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, -r, "Out of memory");
	if (cfg->reset_functions.n == 0)
		left_out = keep_multifunction_with_slot(ctx, &snap, ret, say);
	if (ret->n == 0) {
		if (say && left_out)
			log_info(ctx, "VM %u: nothing else to reset.", vmid);
		else if (say)
			log_info(ctx, "VM %u passes no [regroup] function: nothing to reset.", vmid);
		free(ret->v);
		*ret = (struct addr_list){};
		return 1;
	}
	return 0;
}

int hook_reset(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
	       enum hook_phase phase)
{
	_cleanup_(engine_result_done) struct engine_result res = {};
	struct addr_list functions = {};
	struct engine_options opts = { .functions = &functions };
	int r;

	r = hook_reset_functions(ctx, cfg, vmid, true, &functions);
	if (r < 0) {
		journal(ctx, vmid, phase, "failed", "the VM's devices could not be worked out");
		return r;
	}
	if (r > 0)
		return 0;
	log_info(ctx, "VM %u %s: resetting %zu function(s).", vmid, hook_phase_name(phase),
		 functions.n);
	r = engine_run(ctx, cfg, &opts, &res);
	free(functions.v);
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
