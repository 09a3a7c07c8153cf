/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The processes under the context's root and the files they hold open
 * (<root>/proc/PID/fd/N links), and the running Proxmox VMs
 * (<root>/run/qemu-server/VMID.pid, the QEMU process of VM VMID). Shared by
 * the vfio holder check and the block device check.
 */
#pragma once

#include "core/context.h"

/*
 * Calls fn(target) for the target of each fd link of process pid (a
 * decimal string). 0, or fn's negative return, or -ENOMEM; -errno when the
 * process's fd directory cannot be read (-ENOENT: it is gone).
 */
int proc_fds_foreach(const struct igd_ctx *ctx, const char *pid, int (*fn)(const char *target, void *userdata),
		     void *userdata);

/* Calls fn(pid) for each process of <root>/proc. 0, fn's negative return or -ENOMEM; no proc/ is 0. */
int proc_pids_foreach(const struct igd_ctx *ctx, int (*fn)(const char *pid, void *userdata), void *userdata);

/*
 * Calls fn(vmid, pid) for each <root>/run/qemu-server/VMID.pid that names a
 * process present in <root>/proc. 0, fn's negative return or -ENOMEM.
 */
int qemu_vms_foreach(const struct igd_ctx *ctx, int (*fn)(unsigned vmid, int pid, void *userdata),
		     void *userdata);

/* The VMID whose pid file names pid, or 0. */
unsigned qemu_vmid_of_pid(const struct igd_ctx *ctx, int pid);
