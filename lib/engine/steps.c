/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The step runner: the engine's steps in order, each timed once (steps.h). */
#include <stdarg.h>
#include <stddef.h>

#include "core/time_util.h"
#include "engine/steps.h"

/* A step that is not one of the report's figures. */
#define NO_FIGURE SIZE_MAX
#define FIGURE(field) offsetof(struct engine_result, field)

static const struct engine_step {
	const char *name;
	int (*run)(struct engine_run *run);
	size_t figure; /* where its milliseconds go in the result ("lock 0, remove 5, ...") */
	bool stops;    /* its failure stops the run */
} steps[] = {
	/* Until the first write, a failing step stops the run. The lock is a
	   step of its own so that the report's lock figure is the wait for it. */
	{ "lock", step_lock, FIGURE(ms_lock), true },
	{ "prepare", step_prepare, NO_FIGURE, true },
	/* From the first removal on, every step runs whatever failed before it:
	   a removed function only comes back with the rescan, and the bind,
	   verify and hand-over report and repair what state that left. The
	   run's error is the first failure. */
	{ "remove", step_remove, FIGURE(ms_remove), false },
	{ "rescan", step_rescan, FIGURE(ms_rescan), false },
	{ "wait", step_wait, FIGURE(ms_wait), false },
	{ "bind", step_bind, FIGURE(ms_bind), false },
	{ "verify", step_verify, NO_FIGURE, false },
	{ "hand-over", step_hand_over, NO_FIGURE, false },
};

void step_action(struct engine_run *run, const char *action, const struct pci_addr *a)
{
	if (run->opts->trace)
		run->opts->trace(run->opts->trace_userdata, run->step, action, a);
}

void step_say(struct engine_run *run, const char *fmt, ...)
{
	va_list ap;

	if (!run->dry)
		return;
	if (!run->dry_said)
		fputs("Dry run: nothing is written.\n", run->dry);
	run->dry_said = true;
	va_start(ap, fmt);
	vfprintf(run->dry, fmt, ap);
	va_end(ap);
}

void step_say_device(struct engine_run *run, const struct pci_device *d)
{
	step_say(run, "[%04x:%04x] %s", d->vendor_id, d->device_id, d->device_name);
}

static void engine_run_done(struct engine_run *run)
{
	igd_lock_release(&run->lock);
	plan_done(&run->plan);
	snapshot_done(&run->snap);
	snapshot_done(&run->after);
	free(run->removed);
	engine_result_done(&run->r);
}

int engine_run(const struct igd_ctx *ctx, const struct igd_config *cfg,
	       const struct engine_options *opts, struct engine_result *res)
{
	_cleanup_(engine_run_done) struct engine_run run = {
		.ctx = ctx,
		.cfg = cfg,
		.view = *cfg,
		.opts = opts,
		.dry = opts->dry_run,
		.lock = IGD_LOCK_NULL,
		.r = { .outcome = ENGINE_OK },
	};
	uint64_t t0 = now_ms();
	int fail = 0;

	run.view.functions = *opts->functions;
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		const struct engine_step *s = &steps[i];
		uint64_t t = now_ms();
		int k;

		run.step = s->name;
		k = s->run(&run);
		if (s->figure != NO_FIGURE)
			*(uint64_t *)((char *)&run.r + s->figure) = now_ms() - t;
		if (k < 0 && !run.have_result)
			return k; /* it could not even start: logged */
		if (k < 0 && !fail)
			fail = k;
		if (k == STEP_STOP || (k < 0 && s->stops))
			break;
	}
	run.r.ms_total = now_ms() - t0;
	if (fail && run.r.outcome == ENGINE_OK) {
		run.r.outcome = ENGINE_FAILED;
		run.r.error = fail;
	}
	*res = run.r;
	run.r = (struct engine_result){};
	return 0;
}
