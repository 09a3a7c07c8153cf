/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record of NICs the engine took down while the host network was up,
 * for igd-regroup-netnotify: <root>/run/igd-regroup/cycled-nics, one line
 * per NIC: "ADDR IFNAME BRIDGE|- REMOVED_REALTIME_USEC". Written before the
 * first removal, so a crash still leaves it behind.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "pci_addr.h"

#define NETRECORD_UNIT "igd-regroup-netnotify.service"

struct netrecord_entry {
	struct pci_addr addr;
	char *ifname;
	char *bridge; /* NULL when it was not a bridge port */
	uint64_t removed_usec;
};

/* Replaces the record atomically (temp file + rename). 0 or -errno (logged). */
int netrecord_write(const struct igd_ctx *ctx, const struct netrecord_entry *v, size_t n);
/* Reads it; a missing record is 0 entries. Malformed lines: -EBADMSG (logged). */
int netrecord_read(const struct igd_ctx *ctx, struct netrecord_entry **ret, size_t *ret_n);
void netrecord_free(struct netrecord_entry *v, size_t n);
