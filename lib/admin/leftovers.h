/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the guides' set-up left behind that undoes igd-regroup's work: an
 * @reboot job in root's crontab (/var/spool/cron/crontabs/root, /etc/crontab,
 * /etc/cron.d/) that writes a PCI remove or rescan -- itself, or through a
 * script it runs (read one level deep, like the guides' passthrough-tweak.sh)
 * -- or restarts networking. It runs after the network is up, on top of the
 * boot unit, and cycles the NIC again. The same test applies to a VM's own
 * hookscript snippet.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/context.h"
#include "core/pci_addr.h"

struct leftover {
	char *where;   /* "/var/spool/cron/crontabs/root:3" (without the root) */
	char *command; /* the job's command */
	char *script;  /* the script it runs, read for the test, or NULL */
	bool pci;      /* writes a PCI remove or rescan */
	bool network;  /* restarts or reloads networking */
	struct pci_addr *removes; /* the functions it removes, in its order */
	size_t n_removes;
};

struct leftovers {
	struct leftover *v;
	size_t n;
};

/* Scans root's crontabs for @reboot jobs doing either. 0 or -ENOMEM; unreadable files count as none. */
int leftovers_cron(const struct igd_ctx *ctx, struct leftovers *ret);
/*
 * Appends the test of one script (path without the root, its command) as
 * found at where, and of the first script it runs (script): a VM's own
 * hookscript snippet that sources the guides' passthrough-tweak.sh. Nothing
 * when neither does either. 0 or -ENOMEM.
 */
int leftovers_script(const struct igd_ctx *ctx, const char *where, const char *path, struct leftovers *l);
void leftovers_done(struct leftovers *l);
/* "removes 0000:00:1f.0, 0000:00:1f.3 and rescans the PCI bus, and restarts networking"; NULL on ENOMEM. */
char *leftover_describe(const struct leftover *x);

/*
 * Exposed for tests and the fuzzer: what one shell line does -- *pci, *network
 * set when it does, each removed function appended to *v (*n of them). 0 or -ENOMEM.
 */
int leftovers_scan_line(const char *line, bool *pci, bool *network, struct pci_addr **v, size_t *n);
