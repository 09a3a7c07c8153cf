/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private D-Bus bus and a fake systemd on it, for the tests: the
 * notifier and the engine talk to them exactly as to the host's.
 *
 * fake_bus_start() runs dbus-daemon with a config of its own (a socket in
 * the test's directory, everything allowed) and exports its address as
 * DBUS_SYSTEM_BUS_ADDRESS, which sd_bus_open_system() connects to.
 *
 * fake_systemd_start() runs, in a thread of the test process, an
 * org.freedesktop.systemd1 written with sd-bus's server side:
 * Manager.StartUnit, RestartUnit and ReloadOrRestartUnit return a job path
 * and emit JobRemoved with the result the test chose; a unit it does not
 * know gets org.freedesktop.systemd1.NoSuchUnit ("Unit %s not found.", as
 * systemd 252 answers); job objects answer Job.State while they run, and
 * unit objects (/org/freedesktop/systemd1/unit/<escaped name>) answer
 * Unit.ActiveState and Service.Result/ExecMainStatus; Manager.GetUnit,
 * GetUnitFileState and ListUnitsByPatterns answer from the same units. A busy or failing PID 1 is modelled per unit: its job's
 * Properties.Get (the "does the job still exist?" question) answered late,
 * or with an error, while the job itself runs and ends as chosen.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct fake_bus;

/* Starts dbus-daemon with its socket in dir (an existing directory). Aborts the test on failure. */
struct fake_bus *fake_bus_start(const char *dir);
/* Stops it and unsets DBUS_SYSTEM_BUS_ADDRESS. NULL is fine. */
void fake_bus_stop(struct fake_bus *b);
const char *fake_bus_address(const struct fake_bus *b);

struct fake_unit {
	const char *name;
	const char *result;       /* JobRemoved's result ("done", "failed", ...); NULL: none is sent */
	bool vanish;              /* with result NULL: the job ends at once, without a JobRemoved */
	unsigned delay_ms;        /* JobRemoved this long after the reply */
	const char *active_state; /* Unit.ActiveState; NULL: "active" */
	unsigned probe_delay_ms;  /* its job's Properties.Get is answered this late (what is true then) */
	const char *probe_error;  /* its job's Properties.Get gets this D-Bus error at once */
	const char *file_state;   /* Manager.GetUnitFileState ("enabled", ...); NULL: "static" */
	const char *service_result; /* Service.Result of its last run; NULL: "success" */
	int exec_main_status;     /* Service.ExecMainStatus */
};

/*
 * Called in the fake's thread when a job has done its work: before its
 * JobRemoved, or at once for a job that vanishes (never for one that never
 * ends). Tests bring the network back here (rewrite the fixture tree).
 */
typedef void (*fake_job_fn)(void *userdata, const char *method, const char *unit);

struct fake_systemd;

/* Connects to address, owns org.freedesktop.systemd1, serves units[0..n). Aborts the test on failure. */
struct fake_systemd *fake_systemd_start(const char *address, const struct fake_unit *units, size_t n,
					fake_job_fn fn, void *userdata);
/* Stops the thread and disconnects. NULL is fine. */
void fake_systemd_stop(struct fake_systemd *f);
/* How many Properties.Get its jobs were asked (answered or not), for assertions. */
unsigned fake_systemd_probes(struct fake_systemd *f);
/* Every request so far, one line each, as "METHOD UNIT MODE\n" (malloc'd, "" when none). */
char *fake_systemd_calls(struct fake_systemd *f);
