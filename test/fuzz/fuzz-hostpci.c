/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One hostpciN value of a VM config ("0000:00:02.0,legacy-igd=1,romfile=x.rom"), and its alternatives. */
#include <stdlib.h>

#include "core/macro.h"
#include "fuzz-util.h"
#include "pve/vmconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *s = fuzz_str(data, size);
	struct vm_hostpci h = {};
	size_t total = 0;

	if (vm_hostpci_parse(s, &h) == 0) {
		for (size_t k = 0; k < h.n_alts; k++) {
			size_t n;
			const struct pci_addr *a = vm_hostpci_alt(&h, k, &n);

			/* the alternatives partition the addresses */
			if (n > 0 && (a < h.addrs || a + n > h.addrs + h.n_addrs))
				abort();
			total += n;
		}
		if (total != h.n_addrs)
			abort();
	}
	vm_hostpci_done(&h);
	return 0;
}
