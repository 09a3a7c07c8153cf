/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `igd-regroup status`: the devices grouped by IOMMU group, readable like `lspci -nnk`. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "topology/snapshot.h"

/* cfg may be NULL (no marks). color: ANSI colour; the caller decides (a terminal, no NO_COLOR). */
void status_print(FILE *out, const struct snapshot *snap, const struct igd_config *cfg, bool color);
