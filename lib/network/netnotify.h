/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network notifier (igd-regroup-netnotify): after the engine took the
 * host's NIC away while the network was up, under the global lock,
 *   1. waits until each recorded NIC is back, has its network interface and
 *      udev has initialized it (its final name): the NIC wait;
 *   2. reloads or restarts the [network] units over D-Bus and waits for
 *      each job's JobRemoved signal, which must say "done";
 *   3. checks that wait_interface is up and each NIC is a port of the
 *      bridge it was in before, with carrier (up, when it was in none);
 *   4. reports, per NIC, how long it was out of place: from the moment the
 *      engine removed its function (the record) to the first moment a
 *      watcher thread (netwatch.h), looking every 10 ms through steps 1-3,
 *      saw it back in place.
 * One deadline, [network] timeout_ms from when the lock is taken, bounds
 * steps 1-3 together: the longest the host waits for its network. Each
 * step's own time is kept; when the deadline passes, the step that was
 * running says how long it ran, and one line names the step that took the
 * longest. The record is removed once the network is back and kept
 * otherwise.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "network/netrecord.h"

/* The journal entry of each run carries this MESSAGE_ID. */
#define NETNOTIFY_MESSAGE_ID "8078dfad7e3647c7ad76ead2face1acd"

enum netnotify_outcome {
	NETNOTIFY_OK,      /* every NIC back in its bridge, wait_interface up */
	NETNOTIFY_NOTHING, /* no record, or an empty one */
	NETNOTIFY_FAILED,  /* a NIC or the network did not come back, or a unit failed */
};

struct netnotify_nic {
	struct pci_addr addr;
	char *ifname_recorded; /* its name when the engine took it away */
	char *ifname;          /* its name now; NULL until it is back */
	char *bridge;          /* the bridge it was a port of, or NULL */
	uint64_t removed_usec; /* CLOCK_BOOTTIME just before its removal; 0: not recorded */
	uint64_t back_usec;    /* CLOCK_BOOTTIME when first seen back in place; 0: never */
	bool back;             /* present, with its interface, initialized by udev */
	bool verified;         /* in place at the check: a port of its bridge with carrier (up, for one in no bridge) */
	bool downtime_known;   /* removed_usec and back_usec both known */
	uint64_t downtime_ms;  /* removal -> first seen back in place, when downtime_known */
};

struct netnotify_unit {
	const char *name; /* the config's */
	char *result;     /* the job's JobRemoved result, or NULL */
	int error;        /* 0, or -ENOENT (no such unit), -ERFKILL (masked), -ETIMEDOUT, -errno */
	bool asked;       /* a job was requested */
	bool gone;        /* its job ended without a JobRemoved being seen */
	uint64_t ms;      /* its own time: the request and the wait for its job */
};

/* The steps that share [network] timeout_ms. */
enum netnotify_step {
	NETNOTIFY_STEP_NONE,
	NETNOTIFY_STEP_WAIT,  /* waiting for the NICs (and udev) */
	NETNOTIFY_STEP_UNIT,  /* a unit's job (ran_out_unit) */
	NETNOTIFY_STEP_CHECK, /* waiting for wait_interface and the bridges */
};

struct netnotify_result {
	enum netnotify_outcome outcome;
	int error;                 /* first -errno behind NETNOTIFY_FAILED */
	enum net_action action;
	bool bus_skipped;          /* the root is not this host and no bus was given */
	struct netnotify_nic *nics;
	size_t n_nics;
	struct netnotify_unit *units;
	size_t n_units;
	const char *wait_interface; /* the config's */
	bool interface_up;
	unsigned timeout_ms;        /* the config's [network] timeout_ms */
	enum netnotify_step ran_out; /* the step running when the deadline passed, or NONE */
	size_t ran_out_unit;        /* with NETNOTIFY_STEP_UNIT: which */
	uint64_t ms_lock, ms_wait, ms_units, ms_verify, ms_total;
};

struct netnotify_options {
	unsigned lock_timeout_ms; /* 0: LOCK_TIMEOUT_MS_DEFAULT */
};

/*
 * Runs steps 1-4. Returns 0 when it ran to a result (res->outcome; every
 * problem logged with what to check) or -errno when it could not start
 * (the lock, an unreadable record: logged). res points into cfg: keep cfg
 * until netnotify_result_done().
 */
int netnotify_run(const struct igd_ctx *ctx, const struct igd_config *cfg,
		  const struct netnotify_options *opts, struct netnotify_result *res);
void netnotify_result_done(struct netnotify_result *res);

/* 0 when the network is back or there was nothing to do, 1 otherwise. */
int netnotify_exit_status(const struct netnotify_result *res);

/* Per unit its job's result and time, per NIC its downtime, then one result line. */
void netnotify_result_print(FILE *out, const struct netnotify_result *res);

/* One structured journal entry (MESSAGE_ID above): units, job results, downtime, step times. */
int netnotify_result_journal(const struct netnotify_result *res, const char *program);
