/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proc/self/mountinfo, line by line, as the storage check reads it (escapes, optional fields, " - "). */
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "fuzz-util.h"
#include "topology/blk_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *text = fuzz_str(data, size);
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct blk_mount m = {};

		if (blk_parse_mountinfo_line(line, &m) == 1) {
			/* what parsed is whole: each field a string */
			if (!m.mountpoint || !m.fstype || !m.source)
				abort();
			blk_mount_done(&m);
		}
	}
	return 0;
}
