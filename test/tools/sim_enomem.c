/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linked only into build/test/igd-regroup-sim, with -Wl,--wrap=plan_build:
 * $IGD_SIM_ENOMEM=plan_build makes plan_build return -ENOMEM, as it does
 * when an allocation fails, so that a test sees what the program says then.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"

int __real_plan_build(const struct igd_config *cfg, const struct snapshot *snap, struct plan *ret);
int __wrap_plan_build(const struct igd_config *cfg, const struct snapshot *snap, struct plan *ret);

int __wrap_plan_build(const struct igd_config *cfg, const struct snapshot *snap, struct plan *ret)
{
	const char *e = getenv("IGD_SIM_ENOMEM");

	if (e && strcmp(e, "plan_build") == 0)
		return -ENOMEM;
	return __real_plan_build(cfg, snap, ret);
}
