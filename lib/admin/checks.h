/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `igd-regroup check`: the prerequisites, one line each with ok/WARN/FAIL and the reason. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "topology/snapshot.h"

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
/* Every line; with quiet only the WARN and FAIL lines. */
void check_report_print(FILE *out, const struct check_report *r, bool color, bool quiet);

/* Appends one line to r. Returns 0 or -ENOMEM. For the checks in checks_*.c. */
int check_report_add(struct check_report *r, enum check_status st, const char *name, const char *fmt, ...)
	_printf_(4, 5);

/*
 * One line per [vfio] device: the host driver modules that claim it and
 * whether module configuration keeps them off; then the modprobe.d lines
 * that would (checks_driver.c). Returns 0 or -ENOMEM.
 */
int check_drivers(const struct igd_ctx *ctx, const struct igd_config *cfg, const struct snapshot *snap,
		  struct check_report *r);

/*
 * The split predicted from the header types (checks_split.c): a WARN for each
 * [regroup] function that will stay grouped, else one ok line. 0 or -ENOMEM.
 */
int check_split(const struct igd_config *cfg, const struct snapshot *snap, struct check_report *r);

/*
 * Per VM of [hook] vmids (checks_vms.c): pre-start's verdict as `igd-regroup
 * vm` finds it, and the hookscript attached (ours, its snippet there; or
 * another snippet doing the guides' reset). 0 or -ENOMEM.
 */
int check_vms(const struct igd_ctx *ctx, const struct igd_config *cfg, struct check_report *r);

/*
 * The guides' leftovers: a WARN per @reboot job in root's crontabs that
 * removes PCI functions, rescans or restarts networking (checks_leftovers.c);
 * one ok line when there is none. Returns 0 or -ENOMEM.
 */
int check_leftovers(const struct igd_ctx *ctx, struct check_report *r);

/*
 * A vfio-pci line per host boot step (checks_boot.c): with [vfio] devices,
 * vfio-pci listed in /etc/modules or a modules-load.d file. 0 or -ENOMEM.
 */
int check_boot_modules(const struct igd_ctx *ctx, const struct igd_config *cfg, struct check_report *r);
/* igd-regroup.service enabled and its run at this boot, asked over sd-bus (checks_units.c). 0 or -ENOMEM. */
int check_boot_unit(const struct igd_ctx *ctx, struct check_report *r);
