/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record of NICs the engine took down while the host network was up,
 * for igd-regroup-netnotify: <root>/run/igd-regroup/cycled-nics, one line
 * per NIC: "ADDR IFNAME BRIDGE|- REMOVED_USEC". Written before the first
 * removal, so a crash still leaves it behind, with REMOVED_USEC 0; just
 * before the write to the NIC's own remove attribute the engine sets it to
 * that moment, CLOCK_BOOTTIME in microseconds (time_util.h), where the
 * notifier's downtime starts. 0 at the end: the NIC was not removed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/pci_addr.h"

#define NETRECORD_UNIT "igd-regroup-netnotify.service"

struct netrecord_entry {
	struct pci_addr addr;
	char *ifname;
	char *bridge; /* NULL when it was not a bridge port */
	uint64_t removed_usec; /* CLOCK_BOOTTIME µs just before its removal; 0: not removed */
};

/* Replaces the record atomically (temp file + rename). 0 or -errno (logged). */
int netrecord_write(const struct igd_ctx *ctx, const struct netrecord_entry *v, size_t n);
/* Reads it; a missing record is 0 entries. Malformed lines: -EBADMSG (logged). */
int netrecord_read(const struct igd_ctx *ctx, struct netrecord_entry **ret, size_t *ret_n);
/*
 * The function at addr is about to be removed: when it is a recorded NIC,
 * notes the time in its entry and rewrites the record. Called just before
 * the write to its remove attribute. A failed rewrite is logged as a
 * warning and leaves the record as it was (the notifier then reports no
 * downtime for the NIC): the removal goes ahead either way.
 */
void netrecord_mark_removed(const struct igd_ctx *ctx, struct netrecord_entry *v, size_t n,
			    const struct pci_addr *addr);
void netrecord_free(struct netrecord_entry *v, size_t n);
