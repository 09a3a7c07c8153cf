/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host functions a VM's hostpci entries take, chosen the way
 * qemu-server chooses them at start (PVE::QemuServer::PCI parse_hostpci,
 * choose_hostpci_devices):
 *
 * - every address of every alternative must name a present device (a slot
 *   names its present functions), or the start fails;
 * - an entry with one alternative takes it; a function taken twice fails
 *   the start ("assigned more than once");
 * - an entry with several (one per map line of a mapping for this node)
 *   takes, in hostpci order, the first alternative none of whose functions
 *   a lower entry took, another VM has reserved
 *   (/run/qemu-server/pci-id-reservations) or a running VM holds;
 * - an mdev= entry takes no function: a mediated device is made on one of
 *   its parents (the first function of each alternative), which keep their
 *   host driver.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pve/vmconf.h"
#include "topology/snapshot.h"

struct hostpci_choice {
	const struct vm_hostpci *h; /* points into the vm_config */
	size_t alt;                 /* the alternative taken */
	/*
	 * Its host functions, slots expanded, in address order; for an mdev= entry the
	 * possible parents instead, which the VM does not take.
	 */
	struct pci_addr *funcs;
	size_t n_funcs;
};

struct hostpci_choices {
	struct hostpci_choice *v; /* in hostpci order */
	size_t n;
};

enum {
	/*
	 * For a VM that ran: an alternative whose functions this VM reserved comes first
	 * (at pre-stop its reservations say what it took; at post-stop they are gone).
	 */
	HOSTPCI_CHOOSE_OWN_FIRST = 1 << 0,
};

/*
 * Chooses for every hostpci entry of vm. Returns 0; -ENODEV when an address
 * names no present device; -EBUSY when a function is taken twice, or no
 * alternative is free, or the one there is is reserved by another VM: each
 * logged, naming the entry, as the reason Proxmox will refuse the start.
 * -ENOMEM or a read error of the reservations otherwise (logged).
 */
int hostpci_choose(const struct igd_ctx *ctx, const struct vm_config *vm,
		   const struct snapshot *snap, unsigned flags, struct hostpci_choices *ret);
void hostpci_choices_done(struct hostpci_choices *c);

/* The entry that takes a (mdev= entries take nothing), or NULL. */
const struct hostpci_choice *hostpci_choices_taker(const struct hostpci_choices *c,
						   const struct pci_addr *a);
/* The functions taken, in hostpci order, each once. 0 or -ENOMEM. */
int hostpci_choices_taken(const struct hostpci_choices *c, struct pci_addr **ret, size_t *ret_n);
/* "hostpci1 (0000:00:1f)" or "hostpci1 (mapping 'pch')", malloc'd; NULL on ENOMEM. */
char *hostpci_choice_name(const struct hostpci_choice *c);
