/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network notifier's result: printed for the operator, and one structured journal entry. */
#include <string.h>
#include <systemd/sd-journal.h>

#include "network/netnotify_internal.h"

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
			fprintf(out, "back after %llu.%03llu s\n",
				(unsigned long long)(n->downtime_ms / 1000),
				(unsigned long long)(n->downtime_ms % 1000));
		else if (n->verified)
			fputs("back (no removal time recorded)\n", out);
		else
			fputs(n->back ? "NOT back in place\n" : "did NOT come back\n", out);
	}
	if (res->wait_interface)
		fprintf(out, "%s: %s\n", res->wait_interface, res->interface_up ? "up" : "NOT up");
	if (res->ran_out != NETNOTIFY_STEP_NONE) {
		_cleanup_(freep) char *step = netnotify_step_name(res, res->ran_out, res->ran_out_unit);

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
				fprintf(m, " %s=%llu", res->units[i].name,
					(unsigned long long)res->units[i].ms);
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
		if (res->nics[i].verified && res->nics[i].downtime_known && res->nics[i].downtime_ms > max_ms)
			max_ms = res->nics[i].downtime_ms;
	if (res->ran_out == NETNOTIFY_STEP_WAIT)
		ran_out = strdup("nic-wait");
	else if (res->ran_out == NETNOTIFY_STEP_UNIT)
		ran_out = strdup(res->units[res->ran_out_unit].name);
	else if (res->ran_out == NETNOTIFY_STEP_CHECK)
		ran_out = strdup("check");
	/* one field per line */
	/* clang-format off */
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
	/* clang-format on */
}
