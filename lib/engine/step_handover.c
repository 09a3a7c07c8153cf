/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hand-over step: the host network the removal took down goes to
 * igd-regroup-netnotify.service, queued, not waited for (it takes the lock
 * this run still holds). Its failure to start is logged and leaves the
 * run's outcome alone.
 */
#include "engine/steps.h"
#include "network/systemd_units.h"

static void say_network(struct engine_run *run)
{
	const struct engine_result *r = &run->r;
	const struct igd_config *cfg = run->cfg;

	step_say(run, "Host network: ");
	for (size_t i = 0; i < r->n_nics; i++)
		step_say(run, "%s%s (%s)%s%s", i ? ", " : "", r->nics[i].ifname,
			 PCI_ADDR_STR(&r->nics[i].addr), r->nics[i].bridge ? " in " : "",
			 r->nics[i].bridge ? r->nics[i].bridge : "");
	step_say(run, " is up and goes away with the removal; afterwards %s brings it back (",
		 NETRECORD_UNIT);
	if (cfg->action == NET_ACTION_NONE || cfg->n_units == 0)
		step_say(run, "action none: nothing is restarted");
	else {
		step_say(run, "%s", net_action_to_string(cfg->action));
		for (size_t i = 0; i < cfg->n_units; i++)
			step_say(run, " %s", cfg->units[i]);
	}
	step_say(run, ").\n");
}

int step_hand_over(struct engine_run *run)
{
	const struct engine_result *r = &run->r;

	if (!r->n_nics) {
		if (run->plan.n_functions)
			step_say(run, "Host network: no configured function has an interface that is up; "
				      "nothing to bring back.\n");
		return 0;
	}
	step_action(run, "notifier", NULL);
	if (run->dry) {
		say_network(run);
		return 0;
	}
	log_notice(run->ctx,
		   "The host network was up on %s%s%s and went away with the removal: "
		   "%s brings it back.",
		   r->nics[0].ifname, r->nics[0].bridge ? " in " : "",
		   r->nics[0].bridge ? r->nics[0].bridge : "", NETRECORD_UNIT);
	(void)units_start_handover(run->ctx, NETRECORD_UNIT);
	return 0;
}
