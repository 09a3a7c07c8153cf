/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The regroup engine: under the global lock, safety checks, recovery
 * rescan, remove in order, one rescan (always, once anything was removed),
 * wait for the functions and udev, then for udev's event queue to empty,
 * bind the [vfio] devices (saying which host driver the rescan gave them
 * to), verify with a fresh snapshot, hand the network over. Used by
 * `igd-regroup apply`, its dry run and the hook's reset. The steps are
 * listed in steps.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "network/netrecord.h"

/* The journal entry of each run carries this MESSAGE_ID. */
#define ENGINE_MESSAGE_ID "c6f7690cb9e54b66af2cbd9e4258b201"

enum engine_outcome {
	ENGINE_OK,          /* every function present, every [vfio] device bound and isolated */
	ENGINE_NOTHING,     /* nothing configured */
	ENGINE_REFUSED,     /* a safety check refused: nothing was written */
	ENGINE_FAILED,      /* something went wrong; the rescan still ran */
};

struct engine_function {
	struct pci_addr addr;
	int group_before, group_after; /* IOMMU_GROUP_NONE when absent or without IOMMU */
	/* the others of its group (snapshot_group_others: bridges never count) */
	size_t shared_before, shared_after;
	bool removed;                  /* this run removed it */
	bool present_after;
};

struct engine_bind {
	struct pci_addr addr;
	bool bound;    /* driver is vfio-pci after the run */
	/* no other device of its group is used by the host, [vfio] devices aside (bridges never count) */
	bool isolated;
	int group;
};

struct engine_result {
	enum engine_outcome outcome;
	int error;                 /* first -errno behind ENGINE_FAILED/REFUSED, else 0 */
	bool recovery_rescan;      /* functions were missing at start: rescanned first */
	bool refused_held;         /* REFUSED only because running VMs hold functions (vfio) */
	bool untouched;            /* stopped before its first write: every function as it was */
	struct engine_function *functions;
	size_t n_functions;
	struct engine_bind *binds;
	size_t n_binds;
	struct netrecord_entry *nics; /* up NICs taken down: the notifier brings them back */
	size_t n_nics;
	/* milliseconds spent in each phase */
	uint64_t ms_lock, ms_remove, ms_rescan, ms_wait, ms_bind, ms_total;
};

/*
 * Called for each action a step takes, in a run and in a dry run alike
 * (which is how the tests show that both walk the same steps): the step
 * ("remove"), the action ("remove") and the device it acts on, or NULL.
 */
typedef void (*engine_trace_fn)(void *userdata, const char *step, const char *action,
				const struct pci_addr *a);

struct engine_options {
	const struct addr_list *functions; /* what to cycle: [regroup] functions or the hook's reset list */
	unsigned lock_timeout_ms;          /* 0: LOCK_TIMEOUT_MS_DEFAULT */
	/* A dry run: the same steps, each printing here what it would write
	   instead of writing it (no lock either); NULL: a run. */
	FILE *dry_run;
	engine_trace_fn trace; /* may be NULL */
	void *trace_userdata;
};

/*
 * Runs the engine. Returns 0 when it ran to a result (look at res->outcome;
 * messages logged) or -errno for a failure to even start (lock, snapshot,
 * IOMMU, plan). A dry run's outcome is the one the run would have before
 * its first write: ok, nothing, refused, or failed for a missing [vfio] device.
 */
int engine_run(const struct igd_ctx *ctx, const struct igd_config *cfg,
	       const struct engine_options *opts, struct engine_result *res);
void engine_result_done(struct engine_result *res);

/* Exit status for a program: 0 ok/nothing, 1 otherwise. */
int engine_exit_status(const struct engine_result *res);

/* One structured journal entry (MESSAGE_ID above). */
int engine_result_journal(const struct engine_result *res, const char *program);
/* The human summary: per function old group -> new group, alone or shared. */
void engine_result_print(FILE *out, const struct engine_result *res);
