/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "core/lock.h"
#include "core/sysfs.h"
#include "core/time_util.h"
#include "network/netnotify.h"
#include "network/netwatch.h"
#include "network/systemd_units.h"
#include "topology/devwait.h"

#define POLL_MS 10
#define RECORD "/run/igd-regroup/cycled-nics"

static const char *action_verb(enum net_action a)
{
	return a == NET_ACTION_RESTART ? "restart" : "reload";
}

/* ---- step 1: the NICs come back ---- */

static int nic_current_name(const struct igd_ctx *ctx, const struct netnotify_nic *n, char **ret)
{
	return netwatch_ifname(ctx, &n->addr, n->ifname_recorded, ret);
}

static int wait_nics(const struct igd_ctx *ctx, const struct igd_config *cfg,
		     struct netnotify_result *res, uint64_t deadline)
{
	_cleanup_(freep) struct pci_addr *addrs = calloc(res->n_nics, sizeof(*addrs));
	_cleanup_(freep) bool *present = calloc(res->n_nics, sizeof(*present));
	int r;

	if (!addrs || !present)
		return -ENOMEM;
	for (size_t i = 0; i < res->n_nics; i++)
		addrs[i] = res->nics[i].addr;

	r = devwait_present(ctx, addrs, res->n_nics, deadline, present);
	if (r < 0) {
		for (size_t i = 0; i < res->n_nics; i++)
			if (!present[i])
				log_error(ctx,
					  "%s (%s) did not come back within %u ms ([network] timeout_ms): "
					  "it is missing from %s/sys/bus/pci/devices. Check dmesg and "
					  "`lspci -s %s`; `igd-regroup apply` rescans the PCI bus.",
					  PCI_ADDR_STR(&addrs[i]), res->nics[i].ifname_recorded,
					  cfg->network_timeout_ms, igd_ctx_root(ctx), PCI_ADDR_STR(&addrs[i]));
		return r;
	}

	/* The driver registers the interface once it has probed the function. */
	for (;;) {
		size_t named = 0;

		for (size_t i = 0; i < res->n_nics; i++) {
			struct netnotify_nic *n = &res->nics[i];

			free(n->ifname);
			r = nic_current_name(ctx, n, &n->ifname);
			if (r < 0)
				return r;
			named += n->ifname != NULL;
		}
		if (named == res->n_nics)
			break;
		if (now_ms() >= deadline) {
			for (size_t i = 0; i < res->n_nics; i++)
				if (!res->nics[i].ifname)
					log_error(ctx,
						  "%s is back but has no network interface after %u ms: "
						  "is its driver loaded? Check `lspci -k -s %s` and dmesg.",
						  PCI_ADDR_STR(&addrs[i]), cfg->network_timeout_ms,
						  PCI_ADDR_STR(&addrs[i]));
			return -ETIMEDOUT;
		}
		sleep_ms(POLL_MS);
	}

	r = devwait_udev(ctx, addrs, res->n_nics, deadline);
	if (r < 0) {
		log_error(ctx,
			  "udev did not finish with %s (%s)%s within %u ms: check `udevadm info "
			  "/sys/class/net/%s` and `journalctl -u systemd-udevd`.",
			  PCI_ADDR_STR(&addrs[0]), res->nics[0].ifname,
			  res->n_nics > 1 ? " or another recorded NIC" : "", cfg->network_timeout_ms,
			  res->nics[0].ifname);
		return r;
	}

	/* udev has given each its final name */
	for (size_t i = 0; i < res->n_nics; i++) {
		struct netnotify_nic *n = &res->nics[i];

		free(n->ifname);
		r = nic_current_name(ctx, n, &n->ifname);
		if (r < 0)
			return r;
		if (!n->ifname) {
			log_error(ctx, "%s lost its network interface while udev set it up: check dmesg.",
				  PCI_ADDR_STR(&n->addr));
			return -ENODEV;
		}
		n->back = true;
		if (strcmp(n->ifname, n->ifname_recorded) != 0)
			log_info(ctx, "%s came back as %s, not %s (udev named it so): using %s.",
				 PCI_ADDR_STR(&n->addr), n->ifname, n->ifname_recorded, n->ifname);
		else
			log_info(ctx, "%s is back as %s.", PCI_ADDR_STR(&n->addr), n->ifname);
	}
	return 0;
}

/* ---- step 2: the units ---- */

static void log_job(const struct igd_ctx *ctx, const struct igd_config *cfg,
		    const struct netnotify_unit *u, const struct unit_job *j, int r)
{
	const char *verb = action_verb(cfg->action);
	const char *why = j->error.message ? j->error.message : j->error.name;

	if (r == -ENOENT)
		log_error(ctx,
			  "%s does not exist on this host (systemd: %s). Check [network] units in "
			  "%s; `systemctl list-unit-files %s` shows whether it is installed.",
			  u->name, why ? why : "no such unit", igd_ctx_config_path(ctx), u->name);
	else if (r == -ERFKILL)
		log_error(ctx, "%s is masked (systemd: %s): it cannot be %sed. `systemctl unmask %s`, "
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
			    verb, u->name, j->job, j->active_state ? j->active_state : "in an unknown state");
	else if (strcmp(j->result, "done") != 0)
		log_error(ctx,
			  "The %s of %s ended with result '%s', not 'done'. See `journalctl -u %s` "
			  "and `systemctl status %s`.",
			  verb, u->name, j->result, u->name, u->name);
	else
		log_info(ctx, "%s: %s done.", u->name, verb);
}

static int bring_units(const struct igd_ctx *ctx, const struct igd_config *cfg,
		       struct netnotify_result *res, uint64_t deadline)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	enum unit_verb verb = cfg->action == NET_ACTION_RESTART ? UNIT_VERB_RESTART
								 : UNIT_VERB_RELOAD_OR_RESTART;
	int fail = 0, r;

	if (cfg->action == NET_ACTION_NONE || res->n_units == 0) {
		log_info(ctx, "[network] %s: no unit is reloaded or restarted; the network has to come "
			      "back by itself.",
			 res->n_units ? "action = none" : "units is empty");
		return 0;
	}
	if (!units_bus_allowed(ctx)) {
		for (size_t i = 0; i < res->n_units; i++)
			log_info(ctx, "not %sing %s: --root is not this host.", action_verb(cfg->action),
				 res->units[i].name);
		res->bus_skipped = true;
		return 0;
	}
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
		struct netnotify_unit *u = &res->units[i];
		struct unit_job j = { .error = SD_BUS_ERROR_NULL };
		uint64_t t;

		if (now_ms() >= deadline) {
			log_error(ctx, "%s was not %sed: [network] timeout_ms ran out before its turn.",
				  u->name, action_verb(cfg->action));
			u->error = -ETIMEDOUT;
			fail = fail ? fail : -ETIMEDOUT;
			continue;
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
		if (u->error && !fail)
			fail = u->error;
		unit_job_done(&j);
	}
	return fail;
}

/* ---- step 3: the check ---- */

static char *iface_master(const struct igd_ctx *ctx, const char *ifname)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/class/net/%s/master", ifname);
	char *m = NULL;

	if (!p || sysfs_read_link_name(p, &m) < 0)
		return NULL;
	return m;
}

static void log_not_back(const struct igd_ctx *ctx, const struct netnotify_result *res,
			 const char *after)
{
	if (!res->interface_up) {
		_cleanup_(freep) char *state = NULL;

		netwatch_iface_up(ctx, res->wait_interface, &state);
		log_error(ctx,
			  "%s is not up (%s) %s: check `ip link show %s` and its stanza in "
			  "/etc/network/interfaces.",
			  res->wait_interface, state ? state : "it does not exist", after,
			  res->wait_interface);
	}
	for (size_t i = 0; i < res->n_nics; i++) {
		const struct netnotify_nic *n = &res->nics[i];
		_cleanup_(freep) char *master = NULL;

		if (!n->back || n->verified)
			continue;
		if (!n->bridge) {
			log_error(ctx, "%s (%s) is not up %s: check `ip link show %s` and its stanza in "
				       "/etc/network/interfaces.",
				  n->ifname, PCI_ADDR_STR(&n->addr), after, n->ifname);
			continue;
		}
		if (netwatch_is_port(ctx, n->ifname, n->bridge)) {
			log_error(ctx,
				  "%s (%s) is a port of %s again but has no carrier %s: its link is down. "
				  "Check the cable and `ip link show %s`.",
				  n->ifname, PCI_ADDR_STR(&n->addr), n->bridge, after, n->ifname);
			continue;
		}
		master = iface_master(ctx, n->ifname);
		log_error(ctx,
			  "%s (%s) is not a port of %s %s (it was before the removal; now %s%s). "
			  "Check the bridge-ports line of %s in /etc/network/interfaces and "
			  "`journalctl -u %s`.",
			  n->ifname, PCI_ADDR_STR(&n->addr), n->bridge, after, master ? "in " : "in no bridge",
			  master ? master : "", n->bridge,
			  res->n_units ? res->units[0].name : "networking.service");
	}
}

static int verify(const struct igd_ctx *ctx, struct netnotify_result *res, struct netwatch *w,
		  uint64_t deadline, const char *after)
{
	for (;;) {
		bool all;

		res->interface_up = !res->wait_interface ||
				    netwatch_iface_up(ctx, res->wait_interface, NULL);
		all = res->interface_up;
		for (size_t i = 0; i < res->n_nics; i++) {
			struct netnotify_nic *n = &res->nics[i];

			if (!n->back)
				all = false;
			else if (!n->verified && netwatch_in_place(ctx, n->ifname, n->bridge)) {
				n->verified = true;
				/* the watcher may not have looked since */
				netwatch_note(w, i, boottime_usec());
			}
			all = all && n->verified;
		}
		if (all)
			return 0;
		if (now_ms() >= deadline)
			break;
		sleep_ms(POLL_MS);
	}
	log_not_back(ctx, res, after);
	return -ETIMEDOUT;
}

/* ---- step 4: the downtime ---- */

static void downtimes(const struct igd_ctx *ctx, struct netnotify_result *res, struct netwatch *w)
{
	for (size_t i = 0; i < res->n_nics; i++) {
		struct netnotify_nic *n = &res->nics[i];

		n->back_usec = netwatch_back_usec(w, i);
		/* 0, or a time after this boot's clock (a record of another kind): unknown */
		n->downtime_known = n->removed_usec && n->back_usec > n->removed_usec;
		n->downtime_ms = n->downtime_known ? (n->back_usec - n->removed_usec) / 1000u : 0;
		if (!n->verified)
			continue;
		if (n->downtime_known)
			log_info(ctx, "%s (%s) is back%s%s: the host network was away for %llu.%03llu s.",
				 n->ifname, PCI_ADDR_STR(&n->addr), n->bridge ? " in " : "",
				 n->bridge ? n->bridge : "", (unsigned long long)(n->downtime_ms / 1000),
				 (unsigned long long)(n->downtime_ms % 1000));
		else
			log_info(ctx, "%s (%s) is back%s%s; %s has no time of its removal, so no downtime is "
				      "reported (igd-regroup stopped before removing it, or could not "
				      "note the time).",
				 n->ifname, PCI_ADDR_STR(&n->addr), n->bridge ? " in " : "",
				 n->bridge ? n->bridge : "", RECORD);
	}
}

/* ---- where the time went ---- */

/* "the NIC wait", "the reload of networking.service", "the check" */
static char *step_name(const struct netnotify_result *res, enum netnotify_step s, size_t unit)
{
	char *p = NULL;

	switch (s) {
	case NETNOTIFY_STEP_WAIT:
		return strdup("the NIC wait");
	case NETNOTIFY_STEP_UNIT:
		if (asprintf(&p, "the %s of %s", action_verb(res->action), res->units[unit].name) < 0)
			return NULL;
		return p;
	case NETNOTIFY_STEP_CHECK:
		return strdup("the check of the network");
	case NETNOTIFY_STEP_NONE:
		break;
	}
	return strdup("nothing");
}

/*
 * The deadline passed: one line with each step's own time, naming the step
 * that took the longest (the one to look at, or to give more time), which
 * need not be the one that was running when the time ran out.
 */
static void log_time_spent(const struct igd_ctx *ctx, const struct netnotify_result *res)
{
	_cleanup_(freep) char *steps = NULL, *longest = NULL, *running = NULL, *hint = NULL;
	enum netnotify_step ls = NETNOTIFY_STEP_WAIT;
	size_t lu = 0, len = 0;
	uint64_t lms = res->ms_wait;
	FILE *m = open_memstream(&steps, &len);
	int r;

	if (!m)
		return;
	fprintf(m, "NIC wait %llu ms", (unsigned long long)res->ms_wait);
	for (size_t i = 0; i < res->n_units; i++) {
		const struct netnotify_unit *u = &res->units[i];

		if (!u->asked) {
			if (u->error == -ETIMEDOUT)
				fprintf(m, ", %s of %s not started", action_verb(res->action), u->name);
			continue;
		}
		fprintf(m, ", %s of %s %llu ms%s", action_verb(res->action), u->name,
			(unsigned long long)u->ms, u->error == -ETIMEDOUT ? " (cut off)" : "");
		if (u->ms > lms) {
			ls = NETNOTIFY_STEP_UNIT, lu = i, lms = u->ms;
		}
	}
	fprintf(m, ", check %llu ms", (unsigned long long)res->ms_verify);
	if (res->ms_verify > lms)
		ls = NETNOTIFY_STEP_CHECK, lms = res->ms_verify;
	if (fclose(m) != 0)
		return;

	longest = step_name(res, ls, lu);
	running = step_name(res, res->ran_out, res->ran_out_unit);
	if (ls == NETNOTIFY_STEP_WAIT)
		r = asprintf(&hint, "Check why %s (%s) was slow to come back (dmesg, `journalctl -u "
				    "systemd-udevd`)",
			     PCI_ADDR_STR(&res->nics[0].addr), res->nics[0].ifname_recorded);
	else if (ls == NETNOTIFY_STEP_UNIT)
		r = asprintf(&hint, "Check `journalctl -u %s`", res->units[lu].name);
	else
		r = asprintf(&hint, "Check `ip link show %s` and the bridge-ports line of %s",
			     strna(res->wait_interface), strna(res->nics[0].bridge));
	if (r < 0 || !longest || !running)
		return;
	log_error(ctx,
		  "[network] timeout_ms (%u ms, for the whole run) ran out during %s; %s took the "
		  "longest (%llu ms). Time per step: %s. %s, or raise [network] timeout_ms in %s.",
		  res->timeout_ms, running, longest, (unsigned long long)lms, steps, hint,
		  igd_ctx_config_path(ctx));
}

/* ---- the run ---- */

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

static int watch_start(const struct igd_ctx *ctx, const struct netnotify_result *res,
		       struct netwatch **ret)
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
	_cleanup_(freep) char *p = igd_path(ctx, RECORD);

	if (p && unlink(p) < 0 && errno != ENOENT)
		igd_log_errno(ctx, LOG_WARNING, errno,
			      "Cannot remove %s: %m; the next run will check the network again.", p);
}

int netnotify_run(const struct igd_ctx *ctx, const struct igd_config *cfg,
		  const struct netnotify_options *opts, struct netnotify_result *ret)
{
	_cleanup_(igd_lock_release) struct igd_lock lock = IGD_LOCK_NULL;
	_cleanup_(freep) char *record = igd_path(ctx, RECORD);
	struct netnotify_result res = { .outcome = NETNOTIFY_OK };
	struct netrecord_entry *rec = NULL;
	struct netwatch *watch = NULL;
	size_t n = 0;
	uint64_t t0 = now_ms(), t, deadline;
	int r, fail = 0;
	const char *after;

	if (!record)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot start: %m");
	/* The engine or the hook that started us may still hold it. */
	sd_notify(0, "STATUS=Waiting for the igd-regroup lock...");
	r = igd_lock_take(ctx, opts && opts->lock_timeout_ms ? opts->lock_timeout_ms : LOCK_TIMEOUT_MS_DEFAULT,
			  &lock);
	if (r < 0)
		return r;
	t = now_ms();
	res.ms_lock = t - t0;
	deadline = t + cfg->network_timeout_ms;

	r = netrecord_read(ctx, &rec, &n);
	if (r < 0)
		return r == -ENOMEM ? igd_log_errno(ctx, LOG_ERR, r, "Cannot read %s: %m", record) : r;
	if (n == 0) {
		log_info(ctx, "Nothing to do: %s names no NIC (igd-regroup took no host network away).",
			 record);
		netrecord_free(rec, n);
		*ret = (struct netnotify_result){ .outcome = NETNOTIFY_NOTHING, .action = cfg->action,
						  .wait_interface = cfg->wait_interface,
						  .timeout_ms = cfg->network_timeout_ms };
		return 0;
	}
	r = result_init(cfg, rec, n, &res);
	netrecord_free(rec, n);
	if (r >= 0)
		r = watch_start(ctx, &res, &watch);
	if (r < 0) {
		netwatch_free(watch);
		netnotify_result_done(&res);
		return igd_log_errno(ctx, LOG_ERR, r, "Cannot start: %m");
	}
	describe_nics(ctx, &res);

	/* 1 */
	sd_notifyf(0, "STATUS=Waiting for %s (%s) to come back...", res.nics[0].ifname_recorded,
		   PCI_ADDR_STR(&res.nics[0].addr));
	t = now_ms();
	fail = wait_nics(ctx, cfg, &res, deadline);
	res.ms_wait = now_ms() - t;
	if (fail == -ETIMEDOUT)
		res.ran_out = NETNOTIFY_STEP_WAIT;

	/* 2 */
	t = now_ms();
	if (fail) {
		if (res.n_units && cfg->action != NET_ACTION_NONE)
			log_error(ctx, "Not %sing %s: the NIC is not back.", action_verb(cfg->action),
				  res.units[0].name);
	} else
		fail = bring_units(ctx, cfg, &res, deadline);
	res.ms_units = now_ms() - t;

	/* 3, once the NICs are back; after a unit failed, one look without waiting */
	t = now_ms();
	if (res.n_nics && res.nics[res.n_nics - 1].back) {
		sd_notifyf(0, "STATUS=Checking %s and the NIC's bridge...", strna(res.wait_interface));
		after = res.n_units && cfg->action != NET_ACTION_NONE && !res.bus_skipped
				? "after the units' jobs"
				: "within [network] timeout_ms";
		r = verify(ctx, &res, watch, fail ? now_ms() : deadline, after);
		if (r < 0 && !fail) {
			fail = r;
			res.ran_out = NETNOTIFY_STEP_CHECK;
		}
	}
	res.ms_verify = now_ms() - t;

	/* 4 */
	downtimes(ctx, &res, watch);
	netwatch_free(TAKE_PTR(watch));
	if (res.ran_out != NETNOTIFY_STEP_NONE)
		log_time_spent(ctx, &res);

	res.ms_total = now_ms() - t0;
	if (fail) {
		res.outcome = NETNOTIFY_FAILED;
		res.error = fail;
		bool back = res.interface_up || !res.wait_interface;

		for (size_t i = 0; i < res.n_nics; i++)
			back = back && res.nics[i].verified;
		log_error(ctx, "%s; %s is kept for the next run (systemctl start "
			       "igd-regroup-netnotify.service).",
			  back ? "The host network is back, but a unit failed"
			       : "The host network is not back",
			  record);
		sd_notify(0, "STATUS=Failed: the host network is not back.");
	} else {
		remove_record(ctx);
		sd_notifyf(0, "STATUS=The host network is back (%s).", res.nics[0].ifname);
	}
	*ret = res;
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

/* ---- report ---- */

static const char *outcome_word(enum netnotify_outcome o)
{
	switch (o) {
	case NETNOTIFY_OK:
		return "back";
	case NETNOTIFY_NOTHING:
		return "nothing-to-do";
	case NETNOTIFY_FAILED:
		return "failed";
	}
	return "unknown";
}

static const char *unit_word(const struct netnotify_unit *u)
{
	if (u->result)
		return u->result;
	if (u->error == -ENOENT)
		return "not-found";
	if (u->error == -ERFKILL)
		return "masked";
	if (u->error == -ETIMEDOUT)
		return "timeout";
	if (u->gone)
		return "unknown";
	if (u->error)
		return "error";
	return "not-run";
}

void netnotify_result_print(FILE *out, const struct netnotify_result *res)
{
	if (res->outcome == NETNOTIFY_NOTHING) {
		fputs("Nothing to do: no NIC was taken away.\n", out);
		return;
	}
	for (size_t i = 0; i < res->n_units; i++) {
		const struct netnotify_unit *u = &res->units[i];

		fprintf(out, "%s: %s %s", u->name, net_action_to_string(res->action), unit_word(u));
		if (u->asked)
			fprintf(out, " (%llu ms)", (unsigned long long)u->ms);
		fputc('\n', out);
	}
	for (size_t i = 0; i < res->n_nics; i++) {
		const struct netnotify_nic *n = &res->nics[i];

		fprintf(out, "%s (%s)%s%s: ", n->ifname ? n->ifname : n->ifname_recorded,
			PCI_ADDR_STR(&n->addr), n->bridge ? " in " : "", n->bridge ? n->bridge : "");
		if (n->verified && n->downtime_known)
			fprintf(out, "back after %llu.%03llu s\n", (unsigned long long)(n->downtime_ms / 1000),
				(unsigned long long)(n->downtime_ms % 1000));
		else if (n->verified)
			fputs("back (no removal time recorded)\n", out);
		else
			fputs(n->back ? "NOT back in place\n" : "did NOT come back\n", out);
	}
	if (res->wait_interface)
		fprintf(out, "%s: %s\n", res->wait_interface, res->interface_up ? "up" : "NOT up");
	if (res->ran_out != NETNOTIFY_STEP_NONE) {
		_cleanup_(freep) char *step = step_name(res, res->ran_out, res->ran_out_unit);

		fprintf(out, "[network] timeout_ms (%u ms) ran out during %s.\n", res->timeout_ms,
			step ? step : "a step");
	}
	fprintf(out, "Result: network %s in %llu ms (lock %llu, NIC wait %llu, units %llu, check %llu).\n",
		outcome_word(res->outcome), (unsigned long long)res->ms_total,
		(unsigned long long)res->ms_lock, (unsigned long long)res->ms_wait,
		(unsigned long long)res->ms_units, (unsigned long long)res->ms_verify);
}

/*
 * The journal's fields: 'u' "networking.service ...", 'j' "networking.service=done ...",
 * 'd' "eno1=12345 ...", 's' "nic-wait=800 networking.service=200 check=0",
 * 'n' "0000:00:1f.6=eno1>vmbr0 ..."
 */
static char *field(const struct netnotify_result *res, char kind)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	if (kind == 'u')
		for (size_t i = 0; i < res->n_units; i++)
			fprintf(m, "%s%s", i ? " " : "", res->units[i].name);
	else if (kind == 'j')
		for (size_t i = 0; i < res->n_units; i++)
			fprintf(m, "%s%s=%s", i ? " " : "", res->units[i].name, unit_word(&res->units[i]));
	else if (kind == 'd') {
		bool first = true;

		for (size_t i = 0; i < res->n_nics; i++)
			if (res->nics[i].verified && res->nics[i].downtime_known) {
				fprintf(m, "%s%s=%llu", first ? "" : " ", res->nics[i].ifname,
					(unsigned long long)res->nics[i].downtime_ms);
				first = false;
			}
	} else if (kind == 's') {
		fprintf(m, "nic-wait=%llu", (unsigned long long)res->ms_wait);
		for (size_t i = 0; i < res->n_units; i++)
			if (res->units[i].asked)
				fprintf(m, " %s=%llu", res->units[i].name, (unsigned long long)res->units[i].ms);
		fprintf(m, " check=%llu", (unsigned long long)res->ms_verify);
	} else
		for (size_t i = 0; i < res->n_nics; i++) {
			const struct netnotify_nic *n = &res->nics[i];

			fprintf(m, "%s%s=%s>%s", i ? " " : "", PCI_ADDR_STR(&n->addr),
				n->ifname ? n->ifname : n->ifname_recorded, n->bridge ? n->bridge : "-");
		}
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

int netnotify_result_journal(const struct netnotify_result *res, const char *program)
{
	_cleanup_(freep) char *units = field(res, 'u'), *jobs = field(res, 'j');
	_cleanup_(freep) char *downtime = field(res, 'd'), *nics = field(res, 'n');
	_cleanup_(freep) char *steps = field(res, 's'), *ran_out = NULL;
	uint64_t max_ms = 0;

	for (size_t i = 0; i < res->n_nics; i++)
		if (res->nics[i].verified && res->nics[i].downtime_known &&
		    res->nics[i].downtime_ms > max_ms)
			max_ms = res->nics[i].downtime_ms;
	if (res->ran_out == NETNOTIFY_STEP_WAIT)
		ran_out = strdup("nic-wait");
	else if (res->ran_out == NETNOTIFY_STEP_UNIT)
		ran_out = strdup(res->units[res->ran_out_unit].name);
	else if (res->ran_out == NETNOTIFY_STEP_CHECK)
		ran_out = strdup("check");
	return sd_journal_send("MESSAGE_ID=" NETNOTIFY_MESSAGE_ID,
			       "MESSAGE=%s: host network %s (%s %s: %s; away %llu ms)", program,
			       outcome_word(res->outcome), net_action_to_string(res->action),
			       units && *units ? units : "no units", jobs && *jobs ? jobs : "-",
			       (unsigned long long)max_ms,
			       "PRIORITY=%d", res->outcome == NETNOTIFY_FAILED ? LOG_ERR : LOG_INFO,
			       "IGD_RESULT=%s", outcome_word(res->outcome),
			       "IGD_ERRNO=%d", -res->error,
			       "IGD_ACTION=%s", net_action_to_string(res->action),
			       "IGD_UNITS=%s", units ? units : "",
			       "IGD_JOB_RESULTS=%s", jobs ? jobs : "",
			       "IGD_NICS=%s", nics ? nics : "",
			       "IGD_DOWNTIME_MS=%s", downtime ? downtime : "",
			       "IGD_DURATION_MS=%llu", (unsigned long long)res->ms_total,
			       "IGD_STEP_MS=%s", steps ? steps : "",
			       "IGD_TIMEOUT_IN=%s", ran_out ? ran_out : "",
			       "SYSLOG_IDENTIFIER=%s", program,
			       NULL);
}
