/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network notifier's steps (netnotify.h describes the run), one file each:
 *   netnotify_wait.c   1. the NICs come back (the NIC wait)
 *   netnotify_units.c  2. the [network] units' jobs
 *   netnotify_check.c  3. the check of the network, 4. the downtime
 *   netnotify_time.c   where the time went, once [network] timeout_ms ran out
 *   netnotify_report.c the result printed and sent to the journal
 *   netnotify.c        the run: the lock, the record, the steps in order
 * Each step logs its own failures with what to check and returns 0 or -errno.
 */
#pragma once

#include <stdint.h>

#include "network/netnotify.h"
#include "network/netwatch.h"

/* How often the waits look again. */
#define NETNOTIFY_POLL_MS 10
/* The engine's record of the NICs it took away (netrecord.h), under the root. */
#define NETNOTIFY_RECORD "/run/igd-regroup/cycled-nics"

static inline const char *netnotify_action_verb(enum net_action a)
{
	return a == NET_ACTION_RESTART ? "restart" : "reload";
}

/*
 * Step 1: waits until each NIC of res is present, has its network interface
 * and udev has initialized it; sets ifname and back. -ETIMEDOUT when the
 * deadline passes first.
 */
int netnotify_wait_nics(const struct igd_ctx *ctx, const struct igd_config *cfg,
			struct netnotify_result *res, uint64_t deadline);

/*
 * Step 2: reloads or restarts each unit of res in order, each waited for;
 * sets each unit's result, error, time and ran_out. Returns the first unit's
 * error, 0 when all were done (or none was asked: action = none, no units,
 * not this host).
 */
int netnotify_bring_units(const struct igd_ctx *ctx, const struct igd_config *cfg,
			  struct netnotify_result *res, uint64_t deadline);

/*
 * Step 3: waits until wait_interface is up and each NIC that is back is in
 * place (netwatch_in_place), noting the moment to w; sets interface_up and
 * verified. -ETIMEDOUT, logged with "after" ("after the units' jobs"), when
 * the deadline passes first.
 */
int netnotify_verify(const struct igd_ctx *ctx, struct netnotify_result *res, struct netwatch *w,
		     uint64_t deadline, const char *after);

/* Step 4: each NIC's downtime from its removal to the watcher's first sighting in place. */
void netnotify_downtimes(const struct igd_ctx *ctx, struct netnotify_result *res, struct netwatch *w);

/* The step that ran longest (the NIC wait on a tie), its unit and its time. */
enum netnotify_step netnotify_longest_step(const struct netnotify_result *res, size_t *ret_unit,
					   uint64_t *ret_ms);

/* "the NIC wait", "the reload of networking.service", "the check of the network"; NULL: no memory. */
char *netnotify_step_name(const struct netnotify_result *res, enum netnotify_step s, size_t unit);

/* The deadline passed: one line with each step's own time, naming the longest. */
void netnotify_log_time_spent(const struct igd_ctx *ctx, const struct netnotify_result *res);

/* The host network is back: wait_interface up (or none) and every NIC in place. */
bool netnotify_network_back(const struct netnotify_result *res);
