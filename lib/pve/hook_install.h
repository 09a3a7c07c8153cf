/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `igd-regroup install-hook [STORAGE]`: links the installed hookscript into
 * a Proxmox storage's snippets/ folder, where `qm set --hookscript
 * STORAGE:snippets/igd-regroup-hook` finds it (Proxmox accepts a symlink: it
 * checks that the volume is snippets/<name>, a file, executable).
 */
#pragma once

#include <stdbool.h>

#include "core/context.h"

#define HOOK_SNIPPET_NAME "igd-regroup-hook"

/*
 * The path of STORAGE in <root>/etc/pve/storage.cfg and whether its content
 * types include snippets. -ENOENT (no such storage; logged), -ENOTDIR (a
 * storage without a path, like lvmthin; logged), or another -errno.
 */
int pve_storage_path(const struct igd_ctx *ctx, const char *storage, char **ret_path,
		     bool *ret_snippets);

/*
 * Creates <root><path>/snippets/igd-regroup-hook -> target (target as seen
 * on the host). An existing link to target is fine; anything else in its
 * place is -EEXIST (logged). Returns 0 and the link's path (without root).
 */
int hook_install(const struct igd_ctx *ctx, const char *storage, const char *target, char **ret_link);
