/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The INI config (/etc/igd-regroup.conf) from any text, then what the hook derives from it. */
#include <stdlib.h>

#include "config/config.h"
#include "core/macro.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *text = fuzz_str(data, size);
	struct igd_config cfg;
	struct addr_list reset = {};

	if (config_parse_string(fuzz_ctx(), "fuzz.conf", text, &cfg) == 0) {
		/* a VM passing every [regroup] function */
		if (config_reset_functions_for(&cfg, cfg.functions.v, cfg.functions.n, &reset) == 0)
			free(reset.v);
		for (uint32_t vmid = 100; vmid < 103; vmid++)
			(void)config_vmid_selected(&cfg, vmid);
	}
	config_done(&cfg);
	return 0;
}
