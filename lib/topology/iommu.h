/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether this host has IOMMU groups, and what to do when it has none:
 * apply, its dry run and the hook's pre-start stop without them; check
 * reports the same sentence.
 */
#pragma once

#include "topology/snapshot.h"

/* The words that enable an IOMMU on the kernel command line, or NULL. Pure. */
const char *iommu_cmdline_word(const char *cmdline);

/* The first line of /proc/cmdline (under ctx's root), malloc'd; NULL when missing, unreadable or empty. */
char *iommu_read_cmdline(const struct igd_ctx *ctx);

/*
 * What to do about a missing IOMMU: firmware when the command line already
 * asks for it, else the command line where this host's boot loader reads it.
 * Returns a malloc'd sentence, or NULL when out of memory.
 */
char *iommu_fix(const struct igd_ctx *ctx);

/*
 * Without IOMMU groups, logs that the IOMMU is off and how to turn it on for
 * this host's boot loader, and returns -ENODEV; else 0.
 */
int iommu_require(const struct igd_ctx *ctx, const struct snapshot *snap);
