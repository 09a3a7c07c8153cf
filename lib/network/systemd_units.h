/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd's units over D-Bus (sd-bus), as systemctl does it, without a
 * systemctl subprocess: start a unit without waiting, and reload-or-restart
 * or restart one and wait for its job's JobRemoved signal.
 *
 * The host rule: a run whose root is not this host (tests, --root) never
 * talks to the system bus, unless DBUS_SYSTEM_BUS_ADDRESS points it at a
 * bus of its own (the tests' private dbus-daemon).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "core/context.h"

#define SYSTEMD_BUS_NAME "org.freedesktop.systemd1"
#define SYSTEMD_BUS_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define SYSTEMD_ERROR_NO_SUCH_UNIT "org.freedesktop.systemd1.NoSuchUnit"
#define SYSTEMD_ERROR_UNIT_MASKED "org.freedesktop.systemd1.UnitMasked"

/* The root is this host, or DBUS_SYSTEM_BUS_ADDRESS is set. */
bool units_bus_allowed(const struct igd_ctx *ctx);

/* A new connection to the system bus (sd-bus honours DBUS_SYSTEM_BUS_ADDRESS). 0 or -errno; logs nothing. */
int units_bus_open(sd_bus **ret);

/*
 * The errno for a failed call: -ENOENT for NoSuchUnit (systemd 252 answers a
 * job request for a unit without a unit file so: "Unit foo.service not
 * found."), -ERFKILL for UnitMasked, else what sd-bus maps the error to.
 */
int units_error_errno(const sd_bus_error *e, int r);

/*
 * StartUnit(unit, "replace"), not waiting for the job. Returns 0 (the job's
 * path in *ret_job when ret_job is not NULL) or -errno (see
 * units_error_errno) with the D-Bus error in *error. Logs nothing.
 */
int unit_start_nowait(sd_bus *bus, const char *unit, sd_bus_error *error, char **ret_job);

enum unit_verb {
	UNIT_VERB_RELOAD_OR_RESTART, /* ReloadOrRestartUnit */
	UNIT_VERB_RESTART,           /* RestartUnit */
};

const char *unit_verb_method(enum unit_verb v);

struct unit_job {
	char *job;          /* the job's object path, once queued */
	char *result;       /* JobRemoved's result ("done", "failed", "canceled", "timeout",
			       "dependency", "skipped", ...); NULL when none was seen */
	bool gone;          /* no JobRemoved was seen and the job no longer exists */
	char *active_state; /* when gone: the unit's ActiveState, if it could be read */
	sd_bus_error error; /* the request's D-Bus error, when it failed */
};

void unit_job_done(struct unit_job *j);

/*
 * Queues verb for unit (mode "replace") and waits, until deadline_ms
 * (CLOCK_MONOTONIC ms, time_util.h), for the job's JobRemoved signal: that
 * signal alone says how the job ended. The match is installed before the
 * request. Whether the job still exists is asked once, without blocking, so
 * that a job that ended before the match could see it (no signal will
 * come) is recognized as gone (j->gone, with the unit's ActiveState) instead
 * of being waited for; a failed or late answer to that question (a busy
 * PID 1) is asked again and never ends the wait. Returns:
 *   0           JobRemoved came (j->result), or the job is gone (j->gone);
 *   -ENOENT     the unit does not exist (j->error), -ERFKILL it is masked;
 *   -ETIMEDOUT  the deadline passed: before systemd answered the request
 *               (j->job NULL), or before the job's JobRemoved (j->job);
 *   -errno      the bus failed (j->error when the request was refused).
 * Logs nothing but debug messages.
 */
int unit_job_run(const struct igd_ctx *ctx, sd_bus *bus, enum unit_verb verb, const char *unit,
		 uint64_t deadline_ms, struct unit_job *j);

/*
 * The engine's hand-over to the notifier: StartUnit(unit, "replace") on the
 * system bus without waiting, under the host rule. Logs what it did; a
 * failure is logged as an error naming the unit and what to run by hand.
 * Returns 0 when the job was queued, 1 when the host rule kept it from the
 * bus, or -errno (logged).
 */
int units_start_handover(const struct igd_ctx *ctx, const char *unit);
