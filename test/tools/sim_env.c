/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linked only into build/test/igd-regroup-sim: the real igd-regroup main and
 * library with the sysfs model (test/sim.c) started from the environment
 * before main runs -- $IGD_SIM_ROOT (the tree), $IGD_SIM_TOPO (its
 * hardware) and $IGD_SIM_FAULTS.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

__attribute__((constructor)) static void sim_env_start(void)
{
	const char *root = getenv("IGD_SIM_ROOT");
	const char *topo = getenv("IGD_SIM_TOPO");
	const char *faults = getenv("IGD_SIM_FAULTS");

	if (!root || !topo)
		return;
	if (sim_start(root, topo) < 0 || sim_set_faults(faults) < 0) {
		fprintf(stderr, "igd-regroup-sim: cannot start the sysfs model (root %s, topology %s, faults %s)\n",
			root, topo, faults ? faults : "");
		exit(125);
	}
}

__attribute__((destructor)) static void sim_env_stop(void)
{
	sim_stop();
}
