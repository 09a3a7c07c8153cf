/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The only place that writes to sysfs. Every write is one write(2) of the
 * whole value, checked for a short count and for the errno of write and
 * close, and never creates a file: an attribute that does not exist is -ENOENT.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/context.h"
#include "core/pci_addr.h"

/* Writes value to path (absolute, already under the root). Returns 0 or -errno; logs nothing. */
int sysfs_write(const char *path, const char *value);

/*
 * The first line of a sysfs or procfs attribute: file_read_line() with
 * FILE_KERNEL, so the same rule (an empty file is -ENODATA, "\n" is "").
 */
int sysfs_read_line(const char *path, char **ret);

/* The basename of the symlink at path ("vfio-pci" for .../driver), or -ENOENT when absent. */
int sysfs_read_link_name(const char *path, char **ret);

/* <root>/sys/bus/pci/devices/<addr>/<attr> (attr may be NULL for the directory). NULL on ENOMEM. */
char *sysfs_dev_path(const struct igd_ctx *ctx, const struct pci_addr *a, const char *attr);

/* The device directory exists. */
bool sysfs_dev_present(const struct igd_ctx *ctx, const struct pci_addr *a);

/* The driver bound to a, or NULL in *ret when none. 0 or -errno (-ENOMEM). */
int sysfs_dev_driver(const struct igd_ctx *ctx, const struct pci_addr *a, char **ret);
