/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Waiting for re-added PCI functions: first until their sysfs directories
 * are back (the kernel re-adds them during the rescan write, but a slow or
 * absent function must not hang us), then until udev has processed them
 * and their netdevs (a NIC's final name); and, before binding, until udev's
 * event queue is empty. Short, bounded polls against a deadline; no fixed
 * sleeps.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/context.h"
#include "core/pci_addr.h"

/*
 * Waits until every address in v[0..n) is present, or deadline_ms
 * (CLOCK_MONOTONIC ms, see time_util.h) passes. Returns 0, or -ETIMEDOUT
 * with present[i] telling which came back (present may be NULL).
 */
int devwait_present(const struct igd_ctx *ctx, const struct pci_addr *v, size_t n,
		    uint64_t deadline_ms, bool *present);

/*
 * Waits until udev has initialized every present address in v[0..n) and
 * each of its netdevs. On the host this asks sd-device; under another root
 * it looks for the udev database entries (<root>/run/udev/data/+pci:ADDR,
 * n<ifindex>) that sd-device itself reads. Without a running udev
 * (no <root>/run/udev/control) there is nothing to wait for. 0 or -ETIMEDOUT.
 */
int devwait_udev(const struct igd_ctx *ctx, const struct pci_addr *v, size_t n, uint64_t deadline_ms);

/*
 * Waits until udev's event queue is empty: what `udevadm settle` waits for.
 * systemd-udevd creates <root>/run/udev/queue when an event is queued on an
 * empty queue and removes it when the last one is done (systemd 252's
 * udevd.c and 257's udev-manager.c alike; libudev's
 * udev_queue_get_queue_is_empty() tests it). An event stays queued while its
 * rules run, a module load (kmod builtin) or a RUN program included, so an
 * empty queue means the drivers udev loads for coldplugged devices are in.
 * Without a running udev (no <root>/run/udev/control) there is nothing to
 * wait for. 0 (*ret_waited_ms: how long it waited, may be NULL), -ETIMEDOUT
 * when the queue is still there at deadline_ms, or -errno.
 */
int devwait_udev_queue(const struct igd_ctx *ctx, uint64_t deadline_ms, uint64_t *ret_waited_ms);
