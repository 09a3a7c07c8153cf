/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Proxmox hookscript's work: `igd-regroup-hook VMID PHASE`.
 * pre-start refuses a start whose passed devices share an IOMMU group with
 * a device the host still uses (Proxmox would bind the whole group to
 * vfio-pci and take it from the host), binds the VM's [vfio] devices and
 * warns about iGPU setups that cannot work; the reset phase (post-stop by
 * default) repeats the regroup so the next start sees a freshly found PCH.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "snapshot.h"
#include "vmconf.h"

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
 * The host addresses the VM's hostpci entries pass: a slot is every
 * function of it present in snap; of a mapping, every present address (at
 * least one must be). Missing devices are logged and make it -ENODEV.
 */
int hook_passed_devices(const struct igd_ctx *ctx, const struct vm_config *vm,
			const struct snapshot *snap, struct pci_addr **ret, size_t *ret_n);

/*
 * Isolation: every other member of each passed device's group must be a
 * bridge, also passed, or unused by the host (no driver, or vfio-pci /
 * pci-stub and not held by another running VM). Logs one error per passed
 * device that would take host devices, naming them, the group and the fix.
 * Returns the number of such passed devices.
 */
size_t hook_check_isolation(const struct igd_ctx *ctx, const struct snapshot *snap, uint32_t vmid,
			    const struct pci_addr *passed, size_t n);

/* Warnings for iGPU setups the seeds describe (legacy-igd, romfile). Returns how many. */
size_t hook_warn_setup(const struct igd_ctx *ctx, const struct vm_config *vm,
		       const struct pci_addr *passed, size_t n);

/* pre-start: 0 (start), -EPERM (refused: isolation), or another -errno (logged). */
int hook_pre_start(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid);

/*
 * The reset phase: the engine's regroup of the reset functions. A reset
 * that running VMs block is skipped with a warning (0). 0 or -errno (logged).
 */
int hook_reset(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
	       enum hook_phase phase);
