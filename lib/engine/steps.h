/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's steps, for lib/engine/ only. A run is this list, in order:
 *
 *   lock       nothing configured: stop; else take the global lock
 *   prepare    snapshot, IOMMU requirement, plan, recovery rescan,
 *              refusals, the record of the NICs the removal takes down
 *   remove     each function, in the config's order
 *   rescan     once, when anything was removed
 *   wait       for the functions, for udev with them, for udev's queue
 *   bind       each [vfio] device to vfio-pci
 *   verify     a fresh snapshot against what was asked (engine.c)
 *   hand-over  the NICs to igd-regroup-netnotify.service
 *
 * Each step is one function, step_NAME(run), that walks its part of the
 * plan and, for each action, either writes or -- in a dry run (run->dry) --
 * prints what it would write. So `apply --dry-run` walks the very code that
 * acts, and the wording of each dry-run line sits next to the write it
 * stands for. The files split by what must happen together, one job each:
 * step_prepare.c (lock and prepare: everything before the first write,
 * where a failure still leaves the host as it was), step_remove.c,
 * step_rescan.c (the rescan and the waits that share its deadline),
 * step_bind.c, engine.c (verify, with the result it fills),
 * step_handover.c. steps.c runs the list and times each step.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/lock.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "topology/snapshot.h"

/* A step returns 0 (go on), STEP_STOP (stop: run->r says why) or -errno. */
#define STEP_STOP 1

struct engine_run {
	const struct igd_ctx *ctx;
	const struct igd_config *cfg; /* as given */
	struct igd_config view;	      /* cfg (shallow) with the functions this run cycles */
	const struct engine_options *opts;
	FILE *dry;	  /* a dry run prints here and writes nothing; NULL: a run */
	bool dry_said;	  /* the dry run's first line is out */
	const char *step; /* the step running (for the trace) */
	struct igd_lock lock;
	struct snapshot snap; /* before: the plan points into it */
	struct snapshot after;
	struct plan plan;
	struct engine_result r;
	bool have_result;	  /* r is the run's result from here on, even on a failure */
	struct pci_addr *removed; /* removed by this run (a dry run: those it would remove) */
	size_t n_removed;
	uint64_t deadline; /* the rescan's; the waits after it share it */
};

int step_lock(struct engine_run *run);
int step_prepare(struct engine_run *run);
int step_remove(struct engine_run *run);
int step_rescan(struct engine_run *run);
int step_wait(struct engine_run *run);
int step_bind(struct engine_run *run);
int step_verify(struct engine_run *run);
int step_hand_over(struct engine_run *run);

/* The step acts (or, in a dry run, would act) on a; a may be NULL. Tells opts->trace. */
void step_action(struct engine_run *run, const char *action, const struct pci_addr *a);

/*
 * A dry run's line (or part of one), on run->dry; nothing in a run. The
 * first one is preceded by "Dry run: nothing is written.", so a run that
 * cannot start (no IOMMU, no plan) prints nothing on stdout.
 */
void step_say(struct engine_run *run, const char *fmt, ...) _printf_(2, 3);
/* "[8086:a348] Cannon Lake PCH cAVS", through step_say. */
void step_say_device(struct engine_run *run, const struct pci_device *d);

/* Writes 1 to sys/bus/pci/rescan, retrying a failure until deadline. 0 or -errno (logged). */
int engine_rescan(const struct igd_ctx *ctx, uint64_t deadline);

/* Fills run->r's functions and binds from the plan (engine.c). 0 or -ENOMEM. */
int engine_result_start(struct engine_run *run);
