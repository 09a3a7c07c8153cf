/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When a NIC the engine took away is back in place, as anyone reading
 * sysfs sees it: a port of its bridge again (/sys/class/net/BRIDGE/brif/
 * IFNAME exists) with carrier, or, for a NIC that was in no bridge,
 * configured up with its link up. A watcher thread looks every 10 ms from
 * the start of the notifier's run to its end and notes, per NIC, the first
 * moment it is in place (CLOCK_BOOTTIME), whatever the notifier itself is
 * waiting for at that moment (udev, a unit's job): that moment ends the
 * NIC's downtime, not the end of the units' jobs.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/context.h"
#include "core/pci_addr.h"

struct netwatch_nic {
	struct pci_addr addr;
	const char *ifname_recorded; /* its name when it was taken away */
	const char *bridge;          /* NULL: it was in no bridge */
};

/*
 * The NIC's interface now: its recorded name if the function still has it,
 * else the first of the function's net/ entries; *ret NULL when it has none.
 * 0 or -ENOMEM.
 */
int netwatch_ifname(const struct igd_ctx *ctx, const struct pci_addr *addr, const char *recorded,
		    char **ret);

/* Configured up (IFF_UP) and its link up ("unknown" operstate counts with carrier 1). *ret_state: its operstate, or "configured down". */
bool netwatch_iface_up(const struct igd_ctx *ctx, const char *ifname, char **ret_state);

/* ifname has carrier (its carrier attribute reads 1). */
bool netwatch_has_carrier(const struct igd_ctx *ctx, const char *ifname);

/* ifname is a port of bridge (bridge's brif/ has it). */
bool netwatch_is_port(const struct igd_ctx *ctx, const char *ifname, const char *bridge);

/* In place: a port of bridge with carrier; with bridge NULL, up. */
bool netwatch_in_place(const struct igd_ctx *ctx, const char *ifname, const char *bridge);

struct netwatch;

/*
 * Starts watching nics[0..n) (copied). Returns 0, or -errno when no thread
 * could be started: then *ret still works, and only netwatch_note() (the
 * caller's own sightings) fills it.
 */
int netwatch_start(const struct igd_ctx *ctx, const struct netwatch_nic *nics, size_t n,
		   struct netwatch **ret);
/* The caller saw NIC i in place at usec: kept unless an earlier sighting is. */
void netwatch_note(struct netwatch *w, size_t i, uint64_t usec);
/* The first sighting of NIC i in place (CLOCK_BOOTTIME µs), 0: none yet. */
uint64_t netwatch_back_usec(struct netwatch *w, size_t i);
/* Stops the thread and frees. NULL is fine. */
void netwatch_free(struct netwatch *w);
static inline void netwatch_freep(struct netwatch **w)
{
	netwatch_free(*w);
}
