/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI addresses: every flag combination; what parses must format and parse back to itself. */
#include <stdlib.h>

#include "core/macro.h"
#include "core/pci_addr.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *s = fuzz_str(data, size);
	const unsigned all = PCI_ADDR_ALLOW_SLOT | PCI_ADDR_LONG_DOMAIN;

	for (unsigned flags = 0; flags <= all; flags++) {
		struct pci_addr a, b;
		char buf[PCI_ADDR_STRLEN];

		if (pci_addr_parse(s, flags, &a) < 0)
			continue;
		/* the formatted form is the canonical one: it parses with the same flags to the same address */
		if (pci_addr_parse(pci_addr_format(&a, buf), flags, &b) < 0 || !pci_addr_equal(&a, &b) ||
		    pci_addr_cmp(&a, &b) != 0)
			abort();
	}
	return 0;
}
