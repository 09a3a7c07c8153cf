/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `igd-regroup check`: the prerequisites, one line each with ok/WARN/FAIL and the reason. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "snapshot.h"

enum check_status {
	CHECK_OK,
	CHECK_WARN, /* reported, does not fail */
	CHECK_FAIL,
};

struct check_item {
	enum check_status status;
	char *name;
	char *message;
};

struct check_report {
	struct check_item *items;
	size_t n;
};

/*
 * Runs every check against an already valid config and a snapshot; reads
 * <root>/proc/cmdline and <root>/sys/bus/pci/drivers/vfio-pci. Returns 0 or -ENOMEM.
 */
int check_run(const struct igd_ctx *ctx, const struct igd_config *cfg, const struct snapshot *snap,
	      struct check_report *ret);
void check_report_done(struct check_report *r);
bool check_report_failed(const struct check_report *r);
void check_report_print(FILE *out, const struct check_report *r, bool color);

/* The words that enable an IOMMU on the kernel command line, or NULL. Exposed for tests. */
const char *check_cmdline_iommu(const char *cmdline);
