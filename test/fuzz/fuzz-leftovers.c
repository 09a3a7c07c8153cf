/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guides' leftovers: one shell line of a crontab or a script (PCI
 * remove/rescan writes, networking restarts), then the whole input as root's
 * crontab with the line's script beside it.
 */
#include <stdlib.h>

#include "admin/leftovers.h"
#include "core/macro.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *line = fuzz_str(data, size);
	_cleanup_(freep) struct pci_addr *v = NULL;
	struct leftovers l = {};
	bool pci = false, network = false;
	size_t n = 0;

	if (leftovers_scan_line(line, &pci, &network, &v, &n) == 0 && n > 0 && !pci)
		abort(); /* a removed function is a PCI write */
	fuzz_write("/var/spool/cron/crontabs/root", data, size);
	fuzz_write("/root/passthrough-tweak.sh", data, size);
	if (leftovers_cron(fuzz_ctx(), &l) == 0)
		leftovers_done(&l);
	return 0;
}
