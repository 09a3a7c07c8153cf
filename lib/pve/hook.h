/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Proxmox hookscript's work: `igd-regroup-hook VMID PHASE`.
 * pre-start works out the functions the VM takes as qemu-server will
 * (hostpci_choose), refuses a start that takes a device the host is using
 * or whose IOMMU group holds one (Proxmox would bind the whole group to
 * vfio-pci and take it from the host), binds the VM's [vfio] devices and
 * warns about iGPU setups that cannot work; the reset phase (post-stop by
 * default) repeats the regroup of the [regroup] functions the VM passed, so
 * the next start sees a freshly found PCH and the host network stays.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "pve/hostpci_choose.h"
#include "pve/vmconf.h"
#include "topology/snapshot.h"

/* The hook's own journal entries carry this MESSAGE_ID. */
#define HOOK_MESSAGE_ID "27545de4456749c4bee32be151a9cf0c"

enum hook_phase {
	HOOK_PRE_START,
	HOOK_POST_START,
	HOOK_PRE_STOP,
	HOOK_POST_STOP,
};

/* A VMID as Proxmox writes it: decimal, no sign, no leading zero, 100..999999999. 0 or -EINVAL. */
int hook_vmid_parse(const char *s, uint32_t *ret);
/* 0, or -EINVAL for a phase Proxmox does not have. */
int hook_phase_parse(const char *s, enum hook_phase *ret);
const char *hook_phase_name(enum hook_phase p);

/* The reset runs in this phase (config's reset_phase). */
bool hook_is_reset_phase(const struct igd_config *cfg, enum hook_phase p);

/*
 * The host is using a function the VM takes: a network interface that is
 * up or a bridge port, a disk that is mounted, swap or "/". Logs one error
 * per such function, naming it and the hostpci entry that takes it (a VM
 * that passes a whole slot takes every function of it). mdev= parents are
 * not taken. Returns how many.
 */
size_t hook_check_host_use(const struct igd_ctx *ctx, const struct snapshot *snap, uint32_t vmid,
			   const struct hostpci_choices *c);

/*
 * Isolation: every other member of each taken function's group must be a
 * bridge, also taken, or unused by the host (no driver, or vfio-pci /
 * pci-stub and not held by another running VM). Logs one error per group
 * that would take host devices, naming them, the group and the fix. Applies
 * to driver=keep entries too (QEMU needs the group), not to mdev= parents.
 * Returns the number of such groups.
 */
size_t hook_check_isolation(const struct igd_ctx *ctx, const struct snapshot *snap, uint32_t vmid,
			    const struct hostpci_choices *c);

/*
 * Warnings for iGPU setups that cannot start: qemu-server's legacy-igd rules
 * (vga none, not q35, the device at 02.0 alone, no x-vga, mdev, rombar=0 or
 * alternatives, one such device), QEMU's LPC bridge, pcie=1 without q35, a
 * romfile not in /usr/share/kvm, a mapping whose iommugroup= is not the
 * device's group any more (after a split). Returns how many.
 */
size_t hook_warn_setup(const struct igd_ctx *ctx, const struct vm_config *vm,
		       const struct snapshot *snap, const struct hostpci_choices *c);

/*
 * The checks that refuse a start, on the functions the VM takes: a device the
 * host is using (always), a group shared with host devices (check_isolation).
 * Returns how many problems (each logged).
 */
size_t hook_pre_start_refusals(const struct igd_ctx *ctx, const struct igd_config *cfg,
			       const struct snapshot *snap, uint32_t vmid,
			       const struct hostpci_choices *c);

enum hook_vfio_action {
	HOOK_VFIO_BIND, /* passed by the VM: bound to vfio-pci */
	HOOK_VFIO_MDEV, /* an mdev= parent: keeps its host driver, never bound */
	HOOK_VFIO_KEEP, /* driver=keep: Proxmox does not bind it, nor do we */
};
typedef int (*hook_vfio_fn)(void *userdata, const struct pci_addr *a, enum hook_vfio_action what);

/*
 * Calls fn for each [vfio] device the VM passes or makes mediated devices on, in
 * [vfio] order: what pre-start binds, and what `igd-regroup vm` shows. Stops at
 * and returns fn's first negative value; else 0.
 */
int hook_vfio_walk(const struct igd_config *cfg, const struct hostpci_choices *c,
		   hook_vfio_fn fn, void *userdata);

/*
 * The functions the reset phase resets for vmid, in *ret (free ret->v):
 * reset_functions, or the [regroup] functions the VM takes, chosen as for a
 * start with its own reservations first. 0; 1 when there is nothing to reset
 * (said when say), *ret empty; -errno (logged).
 */
int hook_reset_functions(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
			 bool say, struct addr_list *ret);

/* pre-start: 0 (start), -EPERM (refused: isolation), or another -errno (logged). */
int hook_pre_start(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid);

/*
 * The reset phase: the engine's regroup of the reset functions
 * (config_reset_functions_for the functions the VM takes; nothing for a
 * template). A reset that running VMs block is skipped with a warning (0).
 * 0 or -errno (logged).
 */
int hook_reset(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
	       enum hook_phase phase);
