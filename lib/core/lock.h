/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One global lock serializes the boot program, the hooks and the notifier:
 * flock(2) on <root>/run/igd-regroup/lock, in our own root-only directory
 * (rundir.h), so no local user can create or hold it first. The kernel
 * drops a flock when its holder dies, so a lock file left by a dead process
 * blocks nothing.
 */
#pragma once

#include "core/context.h"

#define LOCK_TIMEOUT_MS_DEFAULT 30000u
#define LOCK_FILE "/run/igd-regroup/lock"
/* Where versions up to 0.1.0 took it; see lock.c for why it is still taken. */
#define LOCK_FILE_LEGACY "/run/lock/igd-regroup.lock"

struct igd_lock {
	int fd;
	int legacy_fd; /* -1 unless the old lock file was there and ours */
};

#define IGD_LOCK_NULL ((struct igd_lock){ .fd = -1, .legacy_fd = -1 })

/*
 * Takes the lock, waiting at most timeout_ms. Returns 0 with the lock in
 * *ret (release it with igd_lock_release), or -errno, logged: -ETIMEDOUT when
 * another process kept it (with its pid when known), -EPERM when our
 * directory or the lock path is not ours (a symlink, a FIFO, another owner),
 * or the errno of creating or opening it.
 */
int igd_lock_take(const struct igd_ctx *ctx, unsigned timeout_ms, struct igd_lock *ret);

/* Releases the lock (safe on IGD_LOCK_NULL and twice). */
void igd_lock_release(struct igd_lock *l);
