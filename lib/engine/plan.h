/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan: what an apply would do, computed from (config, snapshot) by
 * pure functions -- no I/O. The engine's steps (steps.h) carry it out, or,
 * for `apply --dry-run`, print it. A plan points into the snapshot it was built from, which
 * must outlive it.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "topology/snapshot.h"
#include "topology/split_predict.h"

enum refusal {
	REFUSE_NONE,
	REFUSE_ROOT_FS,    /* backs the root filesystem */
	REFUSE_MOUNTED,    /* backs a mounted filesystem */
	REFUSE_SWAP,       /* backs active swap */
	REFUSE_STORAGE,    /* a block device is used otherwise: a holder stack, a pool, a running VM */
	REFUSE_STORAGE_UNKNOWN, /* the use of a block device cannot be read */
	REFUSE_VFIO_IN_USE /* bound to vfio-pci and its /dev/vfio/N is open (a running VM) */
};

struct plan_function {
	struct pci_addr addr;
	const struct pci_device *dev; /* NULL: missing now (an earlier run died before its rescan) */
	enum refusal refusal;
	const struct blockdev_info *blockdev; /* the block device behind a storage refusal */
	size_t group_size;                    /* members of its IOMMU group now */
};

struct plan_bind {
	struct pci_addr addr;
	const struct pci_device *dev; /* as it is now; NULL when missing */
	bool cycled;                  /* also removed and rescanned: bound after the rescan */
};

struct plan_netdev {
	struct pci_addr addr;
	const struct netdev_info *netdev; /* admin-up: the host configured it */
};

struct plan {
	struct plan_function *functions; /* config order = removal order */
	size_t n_functions;
	struct plan_bind *binds;
	size_t n_binds;
	struct plan_netdev *netdevs; /* up netdevs that the removal takes down */
	size_t n_netdevs;
	size_t n_missing;    /* configured functions absent now: a recovery rescan comes first */
	size_t n_refused;    /* functions that must not be removed: nothing is done */
	size_t n_missing_binds; /* vfio devices absent now and not among the functions */
	struct split_prediction prediction; /* the groups the functions will get, in their order */
};

/* Returns 0 or -ENOMEM. */
int plan_build(const struct igd_config *cfg, const struct snapshot *snap, struct plan *ret);
void plan_done(struct plan *plan);

static inline bool plan_is_empty(const struct plan *p)
{
	return p->n_functions == 0 && p->n_binds == 0;
}

const char *refusal_to_string(enum refusal r);
/*
 * Why f must not be removed, as one phrase with its details: "disk sda3 is
 * used (zfs pool rpool, /)", "it is bound to vfio-pci and held by a running VM
 * (VM 100, pid 4242)". malloc'd; NULL on ENOMEM.
 */
char *plan_refusal_reason(const struct plan_function *f);
