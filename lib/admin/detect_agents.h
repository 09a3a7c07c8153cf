/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "core/context.h"

/*
 * The running (active, activating, reloading) units of VPN agents --
 * netbird, tailscaled, wg-quick@*, zerotier-one -- sorted by name, in a
 * malloc'd vector. -EOPNOTSUPP when the root is not this host (no bus to
 * ask), another -errno when systemd could not be asked (logged at debug).
 */
int detect_running_agents(const struct igd_ctx *ctx, char ***ret, size_t *ret_n);
