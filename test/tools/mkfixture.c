/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mkfixture ROOT TOPOLOGY: builds a fixture tree (for `make demo`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

int main(int argc, char **argv)
{
	int r;

	if (argc != 3) {
		fprintf(stderr, "Usage: mkfixture ROOT TOPOLOGY\n");
		return 2;
	}
	r = fixture_build_file(argv[1], argv[2]);
	if (r < 0) {
		fprintf(stderr, "mkfixture: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	return 0;
}
