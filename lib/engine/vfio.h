/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding to vfio-pci the way the kernel documents it (and libvirt's
 * virpci.c does it): driver_override, unbind from the current driver,
 * drivers_probe, then check the driver link -- drivers_probe reports
 * success even when no driver took the device.
 */
#pragma once

#include <stdbool.h>

#include "core/context.h"
#include "core/pci_addr.h"

#define VFIO_DRIVER "vfio-pci"

/* vfio-pci is registered (sys/bus/pci/drivers/vfio-pci exists). */
bool vfio_driver_loaded(const struct igd_ctx *ctx);

/* Writes "vfio-pci" to a's driver_override. 0 or -errno (logged). */
int vfio_set_override(const struct igd_ctx *ctx, const struct pci_addr *a);

/* Asks the kernel to probe a driver for a (sys/bus/pci/drivers_probe). 0 or -errno (logged). */
int pci_probe(const struct igd_ctx *ctx, const struct pci_addr *a);

/*
 * Binds a to vfio-pci. Already bound is success. When a driver takes the
 * device while it is being bound (between the read of its driver link and
 * the override), it is unbound and probed once more (logged). On failure the
 * override is cleared and the device probed again, so the host driver gets
 * it back. Returns 0 or -errno (logged, naming the device and the step).
 * ret_was (may be NULL): on success, the driver that held the device before
 * (malloc'd; NULL for none or when it was already on vfio-pci).
 */
int vfio_bind(const struct igd_ctx *ctx, const struct pci_addr *a, char **ret_was);
