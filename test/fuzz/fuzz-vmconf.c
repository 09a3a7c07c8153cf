/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A whole VM config (/etc/pve/qemu-server/100.conf: sections, snapshots,
 * hostpci lines, mappings resolved from the scratch root's pci.cfg).
 */
#include <stdlib.h>

#include "fuzz-util.h"
#include "pve/vmconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pci_cfg[] = "igpu\n"
			      "\tmap id=8086:3e92,node=pve,path=0000:00:02.0,iommugroup=1\n"
			      "\n"
			      "audio\n"
			      "\tmap id=8086:a348,node=pve,path=0000:00:1f.3;0000:00:1f.0\n"
			      "\tmap id=8086:a348,node=other,path=0000:00:1f.3\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	struct vm_config c = {};

	if (!once) {
		fuzz_write("/etc/pve/mapping/pci.cfg", (const uint8_t *)pci_cfg, sizeof(pci_cfg) - 1);
		once = true;
	}
	fuzz_write("/etc/pve/qemu-server/100.conf", data, size);
	(void)vm_config_read(fuzz_ctx(), 100, &c);
	vm_config_done(&c);
	return 0;
}
