/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Our directory under /run: <root>/run/igd-regroup, where every file we
 * create at run time lives (the lock, the notifier's record). /run/lock and
 * /tmp are writable by every local user, who could create or hold our files
 * there first; this directory is ours alone.
 */
#pragma once

#include <sys/types.h>

#include "core/context.h"

#define RUN_DIR "/run/igd-regroup"

/*
 * Creates <root>/run/igd-regroup with mode 0755 when it is missing (and
 * <root>/run in a bare test root). An existing one is used only when it is
 * a real directory (lstat: not a symlink) owned by root, or by our own euid
 * (under a test root made by an unprivileged user; for root that is root
 * again), and writable by nobody else (no group or other write bit).
 * Returns 0 with the malloc'd path in *ret, or -errno after logging why at
 * level (-EPERM for a directory we refuse).
 */
int run_dir_prepare(const struct igd_ctx *ctx, int level, char **ret);

/* The owner rule of run_dir_prepare, also for the files in it: root or our euid. */
bool run_owner_ok(uid_t uid);
