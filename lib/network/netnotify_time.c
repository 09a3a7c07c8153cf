/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the network notifier's time went: each step's own time, once [network] timeout_ms ran out. */
#include <string.h>

#include "network/netnotify_internal.h"

/* "the NIC wait", "the reload of networking.service", "the check" */
char *netnotify_step_name(const struct netnotify_result *res, enum netnotify_step s, size_t unit)
{
	char *p = NULL;

	switch (s) {
	case NETNOTIFY_STEP_WAIT:
		return strdup("the NIC wait");
	case NETNOTIFY_STEP_UNIT:
		if (asprintf(&p, "the %s of %s", netnotify_action_verb(res->action),
			     res->units[unit].name) < 0)
			return NULL;
		return p;
	case NETNOTIFY_STEP_CHECK:
		return strdup("the check of the network");
	case NETNOTIFY_STEP_NONE:
		break;
	}
	return strdup("nothing");
}

enum netnotify_step netnotify_longest_step(const struct netnotify_result *res, size_t *ret_unit,
					   uint64_t *ret_ms)
{
	enum netnotify_step ls = NETNOTIFY_STEP_WAIT;
	size_t lu = 0;
	uint64_t lms = res->ms_wait;

	for (size_t i = 0; i < res->n_units; i++)
		if (res->units[i].asked && res->units[i].ms > lms) {
			ls = NETNOTIFY_STEP_UNIT, lu = i, lms = res->units[i].ms;
		}
	if (res->ms_verify > lms)
		ls = NETNOTIFY_STEP_CHECK, lms = res->ms_verify;
	*ret_unit = lu;
	*ret_ms = lms;
	return ls;
}

/* "NIC wait 800 ms, reload of networking.service 200 ms (cut off), check 0 ms" */
static char *steps_text(const struct netnotify_result *res)
{
	char *steps = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&steps, &len);

	if (!m)
		return NULL;
	fprintf(m, "NIC wait %llu ms", (unsigned long long)res->ms_wait);
	for (size_t i = 0; i < res->n_units; i++) {
		const struct netnotify_unit *u = &res->units[i];

		if (!u->asked) {
			if (u->error == -ETIMEDOUT)
				fprintf(m, ", %s of %s not started", netnotify_action_verb(res->action),
					u->name);
			continue;
		}
		fprintf(m, ", %s of %s %llu ms%s", netnotify_action_verb(res->action), u->name,
			(unsigned long long)u->ms, u->error == -ETIMEDOUT ? " (cut off)" : "");
	}
	fprintf(m, ", check %llu ms", (unsigned long long)res->ms_verify);
	if (fclose(m) != 0) {
		free(steps);
		return NULL;
	}
	return steps;
}

/* What to look at when step s (unit lu) took the longest. */
static char *longest_hint(const struct netnotify_result *res, enum netnotify_step s, size_t lu)
{
	char *hint = NULL;
	int r;

	if (s == NETNOTIFY_STEP_WAIT)
		r = asprintf(&hint,
			     "Check why %s (%s) was slow to come back (dmesg, `journalctl -u "
			     "systemd-udevd`)",
			     PCI_ADDR_STR(&res->nics[0].addr), res->nics[0].ifname_recorded);
	else if (s == NETNOTIFY_STEP_UNIT)
		r = asprintf(&hint, "Check `journalctl -u %s`", res->units[lu].name);
	else
		r = asprintf(&hint, "Check `ip link show %s` and the bridge-ports line of %s",
			     strna(res->wait_interface), strna(res->nics[0].bridge));
	return r < 0 ? NULL : hint;
}

/*
 * The deadline passed: one line with each step's own time, naming the step
 * that took the longest (the one to look at, or to give more time), which
 * need not be the one that was running when the time ran out.
 */
void netnotify_log_time_spent(const struct igd_ctx *ctx, const struct netnotify_result *res)
{
	_cleanup_(freep) char *steps = steps_text(res), *longest = NULL, *running = NULL, *hint = NULL;
	enum netnotify_step ls;
	size_t lu;
	uint64_t lms;

	if (!steps)
		return;
	ls = netnotify_longest_step(res, &lu, &lms);
	longest = netnotify_step_name(res, ls, lu);
	running = netnotify_step_name(res, res->ran_out, res->ran_out_unit);
	hint = longest_hint(res, ls, lu);
	if (!hint || !longest || !running)
		return;
	log_error(ctx,
		  "[network] timeout_ms (%u ms, for the whole run) ran out during %s; %s took the "
		  "longest (%llu ms). Time per step: %s. %s, or raise [network] timeout_ms in %s.",
		  res->timeout_ms, running, longest, (unsigned long long)lms, steps, hint,
		  igd_ctx_config_path(ctx));
}
