/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PCI mapping resolver: the input's first line is the mapping's name,
 * the rest is /etc/pve/mapping/pci.cfg; resolved for node "pve".
 */
#include <stdlib.h>

#include "core/macro.h"
#include "fuzz-util.h"
#include "pve/vmconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *name = NULL, *path = NULL;
	const uint8_t *cfg;
	size_t cfg_size;
	struct pci_addr *addrs = NULL;
	size_t n = 0, *ends = NULL, n_alts = 0;
	int *groups = NULL;

	fuzz_split(data, size, &name, &cfg, &cfg_size);
	fuzz_write("/etc/pve/mapping/pci.cfg", cfg, cfg_size);
	if (asprintf(&path, "%s/etc/pve/mapping/pci.cfg", fuzz_root()) < 0)
		abort();
	if (vm_mapping_resolve_alts(fuzz_ctx(), path, "pve", name, &addrs, &n, &ends, &groups, &n_alts) == 0) {
		/* the alternatives end where the addresses end */
		if (n_alts > 0 && ends[n_alts - 1] != n)
			abort();
		free(addrs);
		free(ends);
		free(groups);
	}
	return 0;
}
