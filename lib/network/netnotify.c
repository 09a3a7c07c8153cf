/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network notifier's run (netnotify.h): the lock, the engine's record, then steps 1-4 in order. */
#include <string.h>
#include <systemd/sd-daemon.h>

#include "core/lock.h"
#include "core/time_util.h"
#include "network/netnotify_internal.h"
#include "network/netwatch.h"

static int result_init(const struct igd_config *cfg, struct netrecord_entry *rec, size_t n,
		       struct netnotify_result *res)
{
	res->action = cfg->action;
	res->wait_interface = cfg->wait_interface;
	res->timeout_ms = cfg->network_timeout_ms;
	res->nics = calloc(n ? n : 1, sizeof(*res->nics));
	res->units = calloc(cfg->n_units ? cfg->n_units : 1, sizeof(*res->units));
	if (!res->nics || !res->units)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		res->nics[i] = (struct netnotify_nic){
			.addr = rec[i].addr,
			.ifname_recorded = TAKE_PTR(rec[i].ifname),
			.bridge = TAKE_PTR(rec[i].bridge),
			.removed_usec = rec[i].removed_usec,
		};
		res->n_nics++;
	}
	for (size_t i = 0; i < cfg->n_units; i++)
		res->units[res->n_units++] = (struct netnotify_unit){ .name = cfg->units[i] };
	return 0;
}

static int watch_start(const struct igd_ctx *ctx, const struct netnotify_result *res, struct netwatch **ret)
{
	_cleanup_(freep) struct netwatch_nic *v = calloc(res->n_nics, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < res->n_nics; i++)
		v[i] = (struct netwatch_nic){ .addr = res->nics[i].addr,
					      .ifname_recorded = res->nics[i].ifname_recorded,
					      .bridge = res->nics[i].bridge };
	r = netwatch_start(ctx, v, res->n_nics, ret);
	if (r < 0 && *ret) {
		/* the check's own sightings still end the downtime, 10 ms late at most */
		igd_log_errno(ctx, LOG_DEBUG, r, "Cannot start the watcher thread: %m");
		return 0;
	}
	return r;
}

static void describe_nics(const struct igd_ctx *ctx, const struct netnotify_result *res)
{
	for (size_t i = 0; i < res->n_nics; i++) {
		const struct netnotify_nic *n = &res->nics[i];

		log_info(ctx, "%s (%s%s%s) was taken away by igd-regroup: bringing the host network back.",
			 n->ifname_recorded, PCI_ADDR_STR(&n->addr), n->bridge ? ", a port of " : "",
			 n->bridge ? n->bridge : "");
	}
}

static void remove_record(const struct igd_ctx *ctx)
{
	_cleanup_(freep) char *p = igd_path(ctx, NETNOTIFY_RECORD);

	if (p && unlink(p) < 0 && errno != ENOENT)
		igd_log_errno(ctx, LOG_WARNING, errno,
			      "Cannot remove %s: %m; the next run will check the network again.", p);
}

/* The record's NICs into res, and the watcher started: 0, 1 when there is nothing to do, or -errno (logged). */
static int run_prepare(const struct igd_ctx *ctx, const struct igd_config *cfg, const char *record,
		       struct netnotify_result *res, struct netwatch **ret_watch)
{
	struct netrecord_entry *rec = NULL;
	size_t n = 0;
	int r;

	r = netrecord_read(ctx, &rec, &n);
	if (r < 0)
		return r == -ENOMEM ? igd_log_errno(ctx, LOG_ERR, r, "Cannot read %s: %m", record) : r;
	if (n == 0) {
		log_info(ctx, "Nothing to do: %s names no NIC (igd-regroup took no host network away).",
			 record);
		netrecord_free(rec, n);
		return 1;
	}
	r = result_init(cfg, rec, n, res);
	netrecord_free(rec, n);
	if (r >= 0)
		r = watch_start(ctx, res, ret_watch);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "Cannot start: %m");
	return 0;
}

/* 1: the NICs come back. */
static int step_wait(const struct igd_ctx *ctx, const struct igd_config *cfg,
		     struct netnotify_result *res, uint64_t deadline)
{
	uint64_t t;
	int r;

	sd_notifyf(0, "STATUS=Waiting for %s (%s) to come back...", res->nics[0].ifname_recorded,
		   PCI_ADDR_STR(&res->nics[0].addr));
	t = now_ms();
	r = netnotify_wait_nics(ctx, cfg, res, deadline);
	res->ms_wait = now_ms() - t;
	if (r == -ETIMEDOUT)
		res->ran_out = NETNOTIFY_STEP_WAIT;
	return r;
}

/* 2: the units, once the NICs are back. Returns fail, or the units' first error. */
static int step_units(const struct igd_ctx *ctx, const struct igd_config *cfg,
		      struct netnotify_result *res, uint64_t deadline, int fail)
{
	uint64_t t = now_ms();

	if (fail) {
		if (res->n_units && cfg->action != NET_ACTION_NONE)
			log_error(ctx, "Not %sing %s: the NIC is not back.",
				  netnotify_action_verb(cfg->action), res->units[0].name);
	} else
		fail = netnotify_bring_units(ctx, cfg, res, deadline);
	res->ms_units = now_ms() - t;
	return fail;
}

/* 3, once the NICs are back; after a unit failed, one look without waiting. Returns fail, or the check's. */
static int step_check(const struct igd_ctx *ctx, const struct igd_config *cfg,
		      struct netnotify_result *res, struct netwatch *watch, uint64_t deadline, int fail)
{
	uint64_t t = now_ms();

	if (res->n_nics && res->nics[res->n_nics - 1].back) {
		const char *after = res->n_units && cfg->action != NET_ACTION_NONE && !res->bus_skipped
					? "after the units' jobs"
					: "within [network] timeout_ms";
		int r;

		sd_notifyf(0, "STATUS=Checking %s and the NIC's bridge...", strna(res->wait_interface));
		r = netnotify_verify(ctx, res, watch, fail ? now_ms() : deadline, after);
		if (r < 0 && !fail) {
			fail = r;
			res->ran_out = NETNOTIFY_STEP_CHECK;
		}
	}
	res->ms_verify = now_ms() - t;
	return fail;
}

/* The outcome: the record is removed once the network is back, and kept for the next run otherwise. */
static void run_finish(const struct igd_ctx *ctx, struct netnotify_result *res, int fail, const char *record)
{
	if (!fail) {
		remove_record(ctx);
		sd_notifyf(0, "STATUS=The host network is back (%s).", res->nics[0].ifname);
		return;
	}
	res->outcome = NETNOTIFY_FAILED;
	res->error = fail;
	log_error(ctx,
		  "%s; %s is kept for the next run (systemctl start "
		  "igd-regroup-netnotify.service).",
		  netnotify_network_back(res) ? "The host network is back, but a unit failed"
					      : "The host network is not back",
		  record);
	sd_notify(0, "STATUS=Failed: the host network is not back.");
}

int netnotify_run(const struct igd_ctx *ctx, const struct igd_config *cfg,
		  const struct netnotify_options *opts, struct netnotify_result *ret)
{
	_cleanup_(igd_lock_release) struct igd_lock lock = IGD_LOCK_NULL;
	_cleanup_(freep) char *record = igd_path(ctx, NETNOTIFY_RECORD);
	_cleanup_(netnotify_result_done) struct netnotify_result res = { .outcome = NETNOTIFY_OK };
	_cleanup_(netwatch_freep) struct netwatch *watch = NULL;
	uint64_t t0 = now_ms(), t, deadline;
	int r, fail;

	if (!record)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot start: %m");
	/* The engine or the hook that started us may still hold it. */
	sd_notify(0, "STATUS=Waiting for the igd-regroup lock...");
	r = igd_lock_take(ctx,
			  opts && opts->lock_timeout_ms ? opts->lock_timeout_ms : LOCK_TIMEOUT_MS_DEFAULT,
			  &lock);
	if (r < 0)
		return r;
	t = now_ms();
	res.ms_lock = t - t0;
	deadline = t + cfg->network_timeout_ms; /* steps 1-3 together */

	r = run_prepare(ctx, cfg, record, &res, &watch);
	if (r < 0)
		return r;
	if (r > 0) {
		*ret = (struct netnotify_result){ .outcome = NETNOTIFY_NOTHING,
						  .action = cfg->action,
						  .wait_interface = cfg->wait_interface,
						  .timeout_ms = cfg->network_timeout_ms };
		return 0;
	}
	describe_nics(ctx, &res);

	fail = step_wait(ctx, cfg, &res, deadline);
	fail = step_units(ctx, cfg, &res, deadline, fail);
	fail = step_check(ctx, cfg, &res, watch, deadline, fail);
	/* 4: the watcher's sightings end each downtime; then it stops */
	netnotify_downtimes(ctx, &res, watch);
	netwatch_free(TAKE_PTR(watch));
	if (res.ran_out != NETNOTIFY_STEP_NONE)
		netnotify_log_time_spent(ctx, &res);
	res.ms_total = now_ms() - t0;
	run_finish(ctx, &res, fail, record);

	/* handed to the caller */
	*ret = res;
	res = (struct netnotify_result){};
	return 0;
}

void netnotify_result_done(struct netnotify_result *res)
{
	for (size_t i = 0; res->nics && i < res->n_nics; i++) {
		free(res->nics[i].ifname_recorded);
		free(res->nics[i].ifname);
		free(res->nics[i].bridge);
	}
	for (size_t i = 0; res->units && i < res->n_units; i++)
		free(res->units[i].result);
	free(res->nics);
	free(res->units);
	*res = (struct netnotify_result){};
}

int netnotify_exit_status(const struct netnotify_result *res)
{
	return res->outcome == NETNOTIFY_FAILED ? 1 : 0;
}
