/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Step 2 of the network notifier: the [network] units reloaded or restarted over D-Bus. */
#include <string.h>
#include <systemd/sd-daemon.h>

#include "core/time_util.h"
#include "network/netnotify_internal.h"
#include "network/systemd_units.h"

static void log_job(const struct igd_ctx *ctx, const struct igd_config *cfg,
		    const struct netnotify_unit *u, const struct unit_job *j, int r)
{
	const char *verb = netnotify_action_verb(cfg->action);
	const char *why = j->error.message ? j->error.message : j->error.name;

	if (r == -ENOENT)
		log_error(ctx,
			  "%s does not exist on this host (systemd: %s). Check [network] units in "
			  "%s; `systemctl list-unit-files %s` shows whether it is installed.",
			  u->name, why ? why : "no such unit", igd_ctx_config_path(ctx), u->name);
	else if (r == -ERFKILL)
		log_error(ctx,
			  "%s is masked (systemd: %s): it cannot be %sed. `systemctl unmask %s`, "
			  "or remove it from [network] units in %s.",
			  u->name, why ? why : "masked", verb, u->name, igd_ctx_config_path(ctx));
	else if (r == -ETIMEDOUT && j->job)
		log_error(ctx,
			  "The %s of %s (job %s) had not ended after %llu ms, when [network] timeout_ms "
			  "ran out. Check `systemctl list-jobs` and `journalctl -u %s`.",
			  verb, u->name, j->job, (unsigned long long)u->ms, u->name);
	else if (r == -ETIMEDOUT)
		log_error(ctx,
			  "systemd had not answered the request to %s %s after %llu ms, when [network] "
			  "timeout_ms ran out. Check `systemctl list-jobs` and `journalctl -b -u init.scope`.",
			  verb, u->name, (unsigned long long)u->ms);
	else if (r < 0 && why)
		log_error(ctx, "systemd refused to %s %s: %s", verb, u->name, why);
	else if (r < 0)
		igd_log_errno(ctx, LOG_ERR, r,
			      "Cannot %s %s over D-Bus: %m. Is the system bus (dbus.service) running?",
			      verb, u->name);
	else if (j->gone)
		log_warning(ctx,
			    "The %s job of %s (%s) ended without its JobRemoved signal reaching us: "
			    "its result is unknown (the unit is %s). The check of the network decides.",
			    verb, u->name, j->job,
			    j->active_state ? j->active_state : "in an unknown state");
	else if (strcmp(j->result, "done") != 0)
		log_error(ctx,
			  "The %s of %s ended with result '%s', not 'done'. See `journalctl -u %s` "
			  "and `systemctl status %s`.",
			  verb, u->name, j->result, u->name, u->name);
	else
		log_info(ctx, "%s: %s done.", u->name, verb);
}

/* No unit is to be asked: action = none, no units, or --root is not this host. Logs why. */
static bool units_skipped(const struct igd_ctx *ctx, const struct igd_config *cfg,
			  struct netnotify_result *res)
{
	if (cfg->action == NET_ACTION_NONE || res->n_units == 0) {
		log_info(ctx,
			 "[network] %s: no unit is reloaded or restarted; the network has to come "
			 "back by itself.",
			 res->n_units ? "action = none" : "units is empty");
		return true;
	}
	if (!units_bus_allowed(ctx)) {
		for (size_t i = 0; i < res->n_units; i++)
			log_info(ctx, "not %sing %s: --root is not this host.",
				 netnotify_action_verb(cfg->action), res->units[i].name);
		res->bus_skipped = true;
		return true;
	}
	return false;
}

/* The job of unit i, waited for until deadline; its outcome in res->units[i]. */
static int bring_unit(const struct igd_ctx *ctx, const struct igd_config *cfg, sd_bus *bus,
		      struct netnotify_result *res, size_t i, uint64_t deadline)
{
	enum unit_verb verb = cfg->action == NET_ACTION_RESTART ? UNIT_VERB_RESTART
								: UNIT_VERB_RELOAD_OR_RESTART;
	struct netnotify_unit *u = &res->units[i];
	struct unit_job j = { .error = SD_BUS_ERROR_NULL };
	uint64_t t;
	int r;

	if (now_ms() >= deadline) {
		log_error(ctx, "%s was not %sed: [network] timeout_ms ran out before its turn.", u->name,
			  netnotify_action_verb(cfg->action));
		u->error = -ETIMEDOUT;
		return u->error;
	}
	sd_notifyf(0, "STATUS=%sing %s...", cfg->action == NET_ACTION_RESTART ? "Restart" : "Reload",
		   u->name);
	log_info(ctx, "%s %s (%s)...", cfg->action == NET_ACTION_RESTART ? "Restarting" : "Reloading",
		 u->name, unit_verb_method(verb));
	u->asked = true;
	t = now_ms();
	r = unit_job_run(ctx, bus, verb, u->name, deadline, &j);
	u->ms = now_ms() - t;
	if (r == -ETIMEDOUT && res->ran_out == NETNOTIFY_STEP_NONE) {
		res->ran_out = NETNOTIFY_STEP_UNIT;
		res->ran_out_unit = i;
	}
	log_job(ctx, cfg, u, &j, r);
	u->error = r < 0 ? r : 0;
	u->gone = r == 0 && j.gone;
	u->result = TAKE_PTR(j.result);
	if (r == 0 && u->result && strcmp(u->result, "done") != 0)
		u->error = -EIO;
	unit_job_done(&j);
	return u->error;
}

int netnotify_bring_units(const struct igd_ctx *ctx, const struct igd_config *cfg,
			  struct netnotify_result *res, uint64_t deadline)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int fail = 0, r;

	if (units_skipped(ctx, cfg, res))
		return 0;
	if (cfg->action == NET_ACTION_RESTART)
		log_notice(ctx, "[network] action = restart: restarting is disruptive (for "
				"networking.service: ifdown -a, which detaches the guests' ports).");
	r = units_bus_open(&bus);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r,
				     "Cannot connect to the system bus: %m. Is dbus.service running? "
				     "Bring the network back by hand: systemctl reload-or-restart %s.",
				     res->units[0].name);

	for (size_t i = 0; i < res->n_units; i++) {
		r = bring_unit(ctx, cfg, bus, res, i, deadline);
		if (r < 0 && !fail)
			fail = r;
	}
	return fail;
}
