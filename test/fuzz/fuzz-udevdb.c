/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A udev database record (run/udev/data/bMAJ:MIN), not NUL-terminated, as the storage check reads it. */
#include <stdlib.h>

#include "fuzz-util.h"
#include "topology/udevdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udev_props p = {};

	/* the exact input, no terminator: the parser must stay within size */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		abort();
	for (size_t i = 0; i < size; i++)
		copy[i] = data[i];
	if (udevdb_parse((const char *)copy, size, &p) == 0)
		udev_props_done(&p);
	free(copy);
	return 0;
}
