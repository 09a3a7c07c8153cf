/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `igd-regroup detect`: a complete config for this host, proposed from what
 * the host shows -- the PCH audio function's slot and IOMMU group, the iGPU,
 * the VMs that pass them, the bridge of a listed NIC, the VPN agents that
 * run -- with the split each function is predicted to get. Proposing is
 * pure (detect_propose); reading the VMs and the running units is apart.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "admin/leftovers.h"
#include "topology/snapshot.h"
#include "topology/split_predict.h"

/* What a VM of this node passes, as far as the proposal needs it. */
struct detect_vm {
	uint32_t vmid;
	bool igpu;       /* a hostpci entry holds the iGPU (or its slot) */
	bool audio;      /* ... the PCH audio function (or its slot) */
	bool legacy_igd; /* the iGPU's entry has legacy-igd=1: 00:1f.0 goes to vfio-pci too */
};

struct detect_input {
	const struct snapshot *snap;
	const struct detect_vm *vms;
	size_t n_vms;
	char *const *agents; /* running units of VPN agents (netbird, tailscaled, wg-quick@) */
	size_t n_agents;
	bool agents_unknown; /* the units could not be asked (not this host, no bus) */
	const struct leftovers *leftovers; /* the guides' @reboot jobs, a cross-check of the list; may be NULL */
};

struct detect_left_out {
	struct pci_addr addr;
	char *why; /* "it backs disk sda3 (mounted)" */
};

struct detect_proposal {
	const struct pci_device *audio; /* the PCH audio function, or NULL */
	const struct pci_device *igpu;  /* the Intel iGPU at 00:02.0, or NULL */
	struct pci_addr *functions;     /* [regroup] functions */
	size_t n_functions;
	struct detect_left_out *left_out;
	size_t n_left_out;
	struct pci_addr *vfio; /* [vfio] devices, address order */
	size_t n_vfio;
	uint32_t *vmids;
	size_t n_vmids;
	char *bridge;   /* the bridge of a listed function's NIC, or NULL */
	char *nic;      /* that NIC (or a listed NIC without a bridge), or NULL */
	char **units;   /* [network] units: networking.service, then the agents */
	size_t n_units;
	struct split_prediction prediction; /* of functions */
};

/* 0 or -ENOMEM. */
int detect_propose(const struct detect_input *in, struct detect_proposal *ret);
void detect_proposal_done(struct detect_proposal *p);

/* The commented INI text. */
void detect_print(FILE *out, const struct detect_input *in, const struct detect_proposal *p);

/*
 * The VMs of <root>/etc/pve/qemu-server/ (VMID.conf), each with what it
 * passes of the proposal's iGPU and audio function; templates are left out.
 * A config that cannot be read is skipped with a warning. 0 or -errno (logged).
 */
int detect_read_vms(const struct igd_ctx *ctx, const struct pci_device *igpu, const struct pci_device *audio,
		    struct detect_vm **ret, size_t *ret_n);

/* The PCH audio function (class 0x0403 on bus 0, slot 1f first) and the Intel iGPU at 00:02.0, or NULL. */
const struct pci_device *detect_audio(const struct snapshot *snap);
const struct pci_device *detect_igpu(const struct snapshot *snap);

/* conf/igd-regroup.conf as shipped (generated into the build). */
extern const char detect_shipped_config[];

/*
 * detect: prints the proposal on out. detect --write: writes it to the
 * context's config path when that file is absent or still the shipped
 * default (0); when it holds anything else, prints a unified diff from it
 * to the proposal on out and returns 1, writing nothing. -errno (logged).
 */
int detect_run(const struct igd_ctx *ctx, bool write, FILE *out);
