/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `igd-regroup vm VMID`: what the hookscript would do for a VM, without
 * doing it. The hostpci entries resolved (the alternative, the functions),
 * each taken function's IOMMU group and what else is in it, what pre-start
 * would bind or refuse (its own checks: the refusals and warnings are
 * logged as pre-start logs them), what the reset phase would reset and
 * whether the host network would go with it.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

/*
 * Prints the report to out. Returns 0 when pre-start would accept the start, 1
 * when it would refuse it (or fail: an unreadable config, a missing device),
 * or -errno for a failure to look (logged).
 */
int vm_report(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid, FILE *out);
