/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One global lock serializes the boot program, the hooks and the notifier:
 * flock(2) on <root>/run/lock/igd-regroup.lock. The kernel drops a flock
 * when its holder dies, so a lock file left by a dead process blocks nothing.
 */
#pragma once

#include "context.h"

#define LOCK_TIMEOUT_MS_DEFAULT 30000u

/*
 * Takes the lock, waiting at most timeout_ms. Returns the lock fd (>= 0; close
 * it to release) or -errno: -ETIMEDOUT when another process kept it (logged
 * with its pid when known), or the errno of opening the file (logged).
 */
int igd_lock_take(const struct igd_ctx *ctx, unsigned timeout_ms);

static inline void igd_lock_releasep(int *fd)
{
	closep(fd);
}
