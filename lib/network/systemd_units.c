/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "core/time_util.h"
#include "network/systemd_units.h"

/* How soon a question about the job that could not be answered is asked again. */
#define PROBE_RETRY_MS 1000u
/* Bounds the one blocking question, the unit's ActiveState once its job is gone. */
#define STATE_TIMEOUT_USEC (1000u * 1000u)

bool units_bus_allowed(const struct igd_ctx *ctx)
{
	const char *addr = getenv("DBUS_SYSTEM_BUS_ADDRESS");

	return igd_ctx_root_is_host(ctx) || (addr && *addr);
}

int units_bus_open(sd_bus **ret)
{
	return sd_bus_open_system_with_description(ret, "igd-regroup");
}

int units_error_errno(const sd_bus_error *e, int r)
{
	if (sd_bus_error_has_name(e, SYSTEMD_ERROR_NO_SUCH_UNIT))
		return -ENOENT;
	if (sd_bus_error_has_name(e, SYSTEMD_ERROR_UNIT_MASKED))
		return -ERFKILL;
	if (r < 0)
		return r;
	r = sd_bus_error_get_errno(e);
	return r > 0 ? -r : -EIO;
}

const char *unit_verb_method(enum unit_verb v)
{
	return v == UNIT_VERB_RESTART ? "RestartUnit" : "ReloadOrRestartUnit";
}

int unit_start_nowait(sd_bus *bus, const char *unit, sd_bus_error *error, char **ret_job)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	int r;

	r = sd_bus_call_method(bus, SYSTEMD_BUS_NAME, SYSTEMD_BUS_PATH, SYSTEMD_MANAGER_IFACE,
			       "StartUnit", error, &reply, "ss", unit, "replace");
	if (r < 0)
		return units_error_errno(error, r);
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	if (ret_job) {
		*ret_job = strdup(path);
		if (!*ret_job)
			return -ENOMEM;
	}
	return 0;
}

void unit_job_done(struct unit_job *j)
{
	free(j->job);
	free(j->result);
	free(j->active_state);
	sd_bus_error_free(&j->error);
	*j = (struct unit_job){ .error = SD_BUS_ERROR_NULL };
}

/* Every JobRemoved seen while waiting: the one we want may come before we know its path. */
struct job_seen {
	char *job;
	char *result;
};

struct job_watch {
	struct job_seen *v;
	size_t n;
	bool oom;
};

static void job_watch_done(struct job_watch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].job);
		free(w->v[i].result);
	}
	free(w->v);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error _unused_)
{
	struct job_watch *w = userdata;
	const char *job, *unit, *result;
	struct job_seen *nv;
	uint32_t id;

	if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
		return 0; /* not systemd's signature: not ours */
	nv = reallocarray(w->v, w->n + 1, sizeof(*nv));
	if (!nv) {
		w->oom = true;
		return 0;
	}
	w->v = nv;
	w->v[w->n] = (struct job_seen){ .job = strdup(job), .result = strdup(result) };
	if (!w->v[w->n].job || !w->v[w->n].result) {
		free(w->v[w->n].job);
		free(w->v[w->n].result);
		w->oom = true;
		return 0;
	}
	w->n++;
	return 0;
}

static const char *job_watch_find(const struct job_watch *w, const char *job)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i].job, job) == 0)
			return w->v[i].result;
	return NULL;
}

/* Dispatches everything already received (the match callbacks run here). */
static int drain(sd_bus *bus)
{
	int r;

	while ((r = sd_bus_process(bus, NULL)) > 0)
		;
	return r;
}

static char *unit_active_state(sd_bus *bus, const char *unit, uint64_t deadline_ms)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(freep) char *path = NULL;
	uint64_t now = now_ms(), usec = STATE_TIMEOUT_USEC;
	const char *s;

	if (now < deadline_ms && (deadline_ms - now) * 1000u < usec)
		usec = (deadline_ms - now) * 1000u;
	if (sd_bus_path_encode(SYSTEMD_BUS_PATH "/unit", unit, &path) < 0 ||
	    sd_bus_message_new_method_call(bus, &m, SYSTEMD_BUS_NAME, path,
					   "org.freedesktop.DBus.Properties", "Get") < 0 ||
	    sd_bus_message_append(m, "ss", "org.freedesktop.systemd1.Unit", "ActiveState") < 0 ||
	    sd_bus_call(bus, m, usec, &e, &reply) < 0 || sd_bus_message_read(reply, "v", "s", &s) < 0)
		return NULL;
	return strdup(s);
}

/*
 * Does the job still exist? Asked once the request is answered, without
 * blocking: a job that ended before our match saw it (merged into one that
 * was already running, say) sends nothing more, and only this question
 * tells. The answer never decides alone: JobRemoved does. A question that
 * fails or is not answered in time (a busy PID 1) is asked again later and
 * is never taken for the job's end.
 */
enum probe_state {
	PROBE_NONE,    /* not asked yet */
	PROBE_PENDING, /* asked, no answer yet */
	PROBE_FAILED,  /* the question failed: ask again at retry_ms */
	PROBE_EXISTS,  /* it existed after our match: its JobRemoved will come */
	PROBE_GONE,    /* no such job */
};

struct job_probe {
	const struct igd_ctx *ctx;
	enum probe_state state;
	uint64_t retry_ms;
};

static int on_probe_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error _unused_)
{
	struct job_probe *p = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (!e)
		p->state = PROBE_EXISTS;
	else if (sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_INTERFACE,
					"org.freedesktop.systemd1.NoSuchJob"))
		p->state = PROBE_GONE;
	else {
		log_debug(p->ctx, "Asking systemd about the job failed (%s: %s); asking again later.",
			  e->name, strna(e->message));
		p->state = PROBE_FAILED;
		p->retry_ms = now_ms() + PROBE_RETRY_MS;
	}
	return 0;
}

static int probe_send(sd_bus *bus, const char *job, uint64_t deadline_ms, struct job_probe *p,
		      sd_bus_slot **slot)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	uint64_t now = now_ms();
	int r;

	*slot = sd_bus_slot_unref(*slot);
	r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_BUS_NAME, job,
					   "org.freedesktop.DBus.Properties", "Get");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", "org.freedesktop.systemd1.Job", "State");
	if (r >= 0)
		r = sd_bus_call_async(bus, slot, m, on_probe_reply, p,
				      now < deadline_ms ? (deadline_ms - now) * 1000u : 1);
	if (r < 0)
		return r;
	p->state = PROBE_PENDING;
	return 0;
}

/* Asks systemd for the job: j->job its path. The JobRemoved match is already in place. */
static int job_request(const struct igd_ctx *ctx, sd_bus *bus, enum unit_verb verb, const char *unit,
		       uint64_t deadline_ms, struct unit_job *j)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	const char *path;
	uint64_t now;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_BUS_NAME, SYSTEMD_BUS_PATH,
					   SYSTEMD_MANAGER_IFACE, unit_verb_method(verb));
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", unit, "replace");
	if (r < 0)
		return r;
	now = now_ms();
	if (now >= deadline_ms)
		return -ETIMEDOUT;
	r = sd_bus_call(bus, m, (deadline_ms - now) * 1000u, &j->error, &reply);
	if (r < 0)
		return units_error_errno(&j->error, r);
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	j->job = strdup(path);
	if (!j->job)
		return -ENOMEM;
	log_debug(ctx, "%s(%s, replace): job %s.", unit_verb_method(verb), unit, j->job);
	return 0;
}

/* Waits for j->job's JobRemoved among w's, asking meanwhile whether the job still exists. */
static int job_wait(const struct igd_ctx *ctx, sd_bus *bus, const char *unit, uint64_t deadline_ms,
		    const struct job_watch *w, struct unit_job *j)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *probe_slot = NULL;
	struct job_probe probe = { .ctx = ctx };
	const char *res;
	uint64_t now;
	int r;

	for (;;) {
		uint64_t wait_ms;

		/* Runs the match's and the probe's callbacks, in the order systemd sent them:
		   a JobRemoved sent before the probe's answer is seen before it. */
		r = drain(bus);
		if (r < 0)
			return r;
		if (w->oom)
			return -ENOMEM;
		res = job_watch_find(w, j->job);
		if (res) {
			j->result = strdup(res);
			return j->result ? 0 : -ENOMEM;
		}
		if (probe.state == PROBE_GONE) {
			j->gone = true;
			j->active_state = unit_active_state(bus, unit, deadline_ms);
			return 0;
		}
		now = now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		if (probe.state == PROBE_NONE || (probe.state == PROBE_FAILED && now >= probe.retry_ms)) {
			r = probe_send(bus, j->job, deadline_ms, &probe, &probe_slot);
			if (r < 0)
				return r;
			continue;
		}
		wait_ms = deadline_ms - now;
		if (probe.state == PROBE_FAILED && probe.retry_ms - now < wait_ms)
			wait_ms = probe.retry_ms - now;
		r = sd_bus_wait(bus, wait_ms * 1000u);
		if (r < 0 && r != -EINTR)
			return r;
	}
}

int unit_job_run(const struct igd_ctx *ctx, sd_bus *bus, enum unit_verb verb, const char *unit,
		 uint64_t deadline_ms, struct unit_job *j)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_(job_watch_done) struct job_watch w = {};
	int r;

	*j = (struct unit_job){ .error = SD_BUS_ERROR_NULL };

	/* Before the request, so that no JobRemoved can pass unseen. */
	r = sd_bus_match_signal(bus, &slot, SYSTEMD_BUS_NAME, SYSTEMD_BUS_PATH, SYSTEMD_MANAGER_IFACE,
				"JobRemoved", on_job_removed, &w);
	if (r < 0)
		return r;
	r = job_request(ctx, bus, verb, unit, deadline_ms, j);
	if (r < 0)
		return r;
	return job_wait(ctx, bus, unit, deadline_ms, &w, j);
}

int units_start_handover(const struct igd_ctx *ctx, const char *unit)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(freep) char *job = NULL;
	int r;

	if (!units_bus_allowed(ctx)) {
		log_info(ctx, "not starting %s: --root is not this host.", unit);
		return 1;
	}
	r = units_bus_open(&bus);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		/* early boot (networking.service, which starts after us, configures the NIC
		   anyway), or a host without dbus (never a Proxmox node) */
		log_warning(ctx, "not starting %s: the system bus is not available (early boot, or "
				 "dbus is not running). Once it is: systemctl start %s (or run "
				 "%s/igd-regroup-netnotify).",
			    unit, unit, IGD_LIBEXECDIR);
		return 1;
	}
	if (r >= 0)
		r = unit_start_nowait(bus, unit, &e, &job);
	if (r < 0) {
		if (sd_bus_error_is_set(&e))
			log_error(ctx,
				  "Cannot start %s over D-Bus: %s The host network stays as it is; bring "
				  "it back by hand: systemctl start %s (or run %s/igd-regroup-netnotify).",
				  unit, e.message ? e.message : e.name, unit, IGD_LIBEXECDIR);
		else
			igd_log_errno(ctx, LOG_ERR, r,
				      "Cannot start %s over D-Bus: %m. The host network stays as it is; "
				      "bring it back by hand: systemctl start %s (or run "
				      "%s/igd-regroup-netnotify).",
				      unit, unit, IGD_LIBEXECDIR);
		return r;
	}
	log_info(ctx, "Started %s (job %s): it brings the host network back once this run is done.",
		 unit, job);
	return 0;
}
