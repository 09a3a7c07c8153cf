/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the IOMMU groups will be after the regroup: the listed functions are
 * removed, then found again by one rescan, in address order. Pure: it works
 * on the snapshot (groups, header types) and writes nothing.
 *
 * The kernel's rule for a function found again on a root bus (iommu.c,
 * pci_device_group): it shares a group only through its aliases. With the
 * multi-function bit (bit 7 of its own header type, config byte 0x0e) set,
 * the alias search looks at the functions of its slot that are present at
 * that moment and joins the group of the first one; without the bit it gets
 * a group of its own (the kernel marks a function of a multi-function slot
 * only after the IOMMU core grouped it). PCH functions have no ACS, which
 * would end the alias search; this model assumes none. DMA alias quirks are
 * not modelled. Functions behind a bridge are not predicted.
 */
#pragma once

#include "topology/snapshot.h"

enum split_fate {
	SPLIT_OWN_GROUP,  /* will get a group of its own */
	SPLIT_SHARED,     /* will stay grouped: multi-function header, a slot sibling was present */
	SPLIT_UNKNOWN,    /* not predicted: absent, behind a bridge, header type unreadable, no IOMMU */
};

struct split_outcome {
	struct pci_addr addr;
	enum split_fate fate;
	/* SPLIT_SHARED: the devices predicted in its group (address order), and the
	 * sibling whose group it joins when found again */
	struct pci_addr *with;
	size_t n_with;
	struct pci_addr joins; /* has_func false: it joined none (others may have joined it) */
	const char *why_unknown; /* SPLIT_UNKNOWN: a short reason ("not present", ...) */
};

struct split_prediction {
	struct split_outcome *v; /* one per listed function, in list order */
	size_t n;
};

/* 0 or -ENOMEM. */
int split_predict(const struct snapshot *snap, const struct pci_addr *functions, size_t n,
		  struct split_prediction *ret);
void split_prediction_done(struct split_prediction *p);

/* The function's multi-function bit, from its header type: 1 set, 0 clear, -1 unknown. */
int pci_device_multifunction(const struct pci_device *d);

/*
 * The rule above for one function d that is removed and found again while
 * the functions listed in removed[] (d among them) are gone: when d's
 * multi-function bit is set and a function of its slot stays (is not
 * listed), the first such function in address order, whose IOMMU group d
 * joins; else NULL. split_predict() uses it; so does the hook's reset, to
 * leave out a function that would join a sibling's group.
 */
const struct pci_device *split_staying_sibling(const struct snapshot *snap, const struct pci_device *d,
					       const struct pci_addr *removed, size_t n);
