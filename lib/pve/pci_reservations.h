/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu-server's PCI reservations (<root>/run/qemu-server/pci-id-reservations):
 * one line per host function, "ID VMID pid:PID" for a started VM or
 * "ID VMID time:EXPIRY" for the window between choosing and the QEMU
 * process. qemu-server skips a device reserved by another VM while the
 * reservation is in force: a time in the future, or a pid that is still
 * that VM's running QEMU.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/context.h"
#include "core/pci_addr.h"

struct pci_reservation {
	struct pci_addr addr;
	uint32_t vmid;
	bool by_pid;     /* pid:PID, else time:EXPIRY */
	uint64_t value;  /* the PID or the expiry (seconds since the epoch) */
	bool in_force;   /* filled in by pci_reservations_read */
};

struct pci_reservations {
	struct pci_reservation *v;
	size_t n;
};

/*
 * Reads the file; a missing file is no reservation. Lines that qemu-server
 * would not match are skipped. now: the time compared with time: entries.
 * Returns 0 or -errno (logged).
 */
int pci_reservations_read(const struct igd_ctx *ctx, time_t now, struct pci_reservations *ret);
void pci_reservations_done(struct pci_reservations *r);

/* The VM other than vmid whose reservation of a is in force, or 0. */
uint32_t pci_reservations_other(const struct pci_reservations *r, const struct pci_addr *a,
				uint32_t vmid);
/* a is reserved by vmid itself (in force or not). */
bool pci_reservations_own(const struct pci_reservations *r, const struct pci_addr *a, uint32_t vmid);

/*
 * qemu-server's "VM vmid runs here with this pid": <root>/run/qemu-server/VMID.pid
 * holds pid, and /proc/PID/cmdline is a kvm or qemu-* process whose -pidfile is
 * that file (as Proxmox names it, /var/run/qemu-server/VMID.pid).
 */
bool pci_reservations_vm_runs(const struct igd_ctx *ctx, uint32_t vmid, uint64_t pid);
