/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/context.h"
#include "topology/snapshot.h"

/*
 * Sets vfio_holder_pid/vmid on every device bound to vfio-pci whose
 * /dev/vfio/<group> a process has open. Reads <root>/proc/<pid>/fd/ and
 * <root>/run/qemu-server/<vmid>.pid. 0 or -ENOMEM; unreadable processes are skipped.
 */
int vfio_holders_fill(const struct igd_ctx *ctx, struct snapshot *snap);
