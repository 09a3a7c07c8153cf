/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a run of the engine tells: a human summary and one structured journal entry. */
#include <string.h>
#include <systemd/sd-journal.h>

#include "engine/engine.h"
#include "topology/snapshot.h"

static const char *outcome_word(enum engine_outcome o)
{
	switch (o) {
	case ENGINE_OK:
		return "ok";
	case ENGINE_NOTHING:
		return "nothing-to-do";
	case ENGINE_REFUSED:
		return "refused";
	case ENGINE_FAILED:
		return "failed";
	}
	return "unknown";
}

static void print_group(FILE *out, int g)
{
	if (g == IOMMU_GROUP_NONE)
		fputs("-", out);
	else
		fprintf(out, "%d", g);
}

void engine_result_print(FILE *out, const struct engine_result *res)
{
	for (size_t i = 0; i < res->n_functions; i++) {
		const struct engine_function *f = &res->functions[i];

		fprintf(out, "%s: group ", PCI_ADDR_STR(&f->addr));
		print_group(out, f->group_before);
		fputs(" -> ", out);
		if (!f->removed && (res->outcome == ENGINE_REFUSED || res->untouched)) {
			fputs(res->outcome == ENGINE_REFUSED ? "unchanged (refused)\n" : "unchanged\n", out);
			continue;
		}
		if (!f->present_after) {
			fputs("missing\n", out);
			continue;
		}
		print_group(out, f->group_after);
		if (f->group_after == IOMMU_GROUP_NONE)
			fputs(" (no IOMMU)\n", out);
		else if (f->shared_after)
			fprintf(out, " (still shared with %zu other device%s)\n", f->shared_after,
				f->shared_after == 1 ? "" : "s");
		else
			fputs(" (alone)\n", out);
	}
	for (size_t i = 0; i < res->n_binds; i++) {
		const struct engine_bind *b = &res->binds[i];

		fprintf(out, "%s: %s\n", PCI_ADDR_STR(&b->addr),
			b->bound && b->isolated ? "bound to vfio-pci, isolated"
			: b->bound		? "bound to vfio-pci, NOT isolated"
						: "NOT bound to vfio-pci");
	}
	fprintf(out, "Result: %s in %llu ms (lock %llu, remove %llu, rescan %llu, wait %llu, bind %llu).\n",
		outcome_word(res->outcome), (unsigned long long)res->ms_total,
		(unsigned long long)res->ms_lock, (unsigned long long)res->ms_remove,
		(unsigned long long)res->ms_rescan, (unsigned long long)res->ms_wait,
		(unsigned long long)res->ms_bind);
}

/* "0000:00:1f.3=7>8 0000:00:1f.6=7>9": groups before and after, one field for the journal. */
static char *groups_field(const struct engine_result *res)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	for (size_t i = 0; i < res->n_functions; i++) {
		const struct engine_function *f = &res->functions[i];

		fprintf(m, "%s%s=", i ? " " : "", PCI_ADDR_STR(&f->addr));
		print_group(m, f->group_before);
		fputc('>', m);
		if (f->present_after)
			print_group(m, f->group_after);
		else
			fputs("missing", m);
	}
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

int engine_result_journal(const struct engine_result *res, const char *program)
{
	_cleanup_(freep) char *groups = groups_field(res);
	size_t shared = 0, missing = 0;

	for (size_t i = 0; i < res->n_functions; i++) {
		shared += res->functions[i].present_after && res->functions[i].shared_after;
		missing += res->functions[i].removed && !res->functions[i].present_after;
	}
	return sd_journal_send("MESSAGE_ID=" ENGINE_MESSAGE_ID,
			       "MESSAGE=%s: regroup %s: %zu function(s), %zu missing, %zu still shared, %llu ms",
			       program, outcome_word(res->outcome), res->n_functions, missing, shared,
			       (unsigned long long)res->ms_total,
			       "PRIORITY=%d", res->outcome == ENGINE_FAILED || res->outcome == ENGINE_REFUSED ? LOG_ERR : LOG_INFO,
			       "IGD_RESULT=%s", outcome_word(res->outcome),
			       "IGD_ERRNO=%d", -res->error,
			       "IGD_GROUPS=%s", groups ? groups : "",
			       "IGD_RECOVERY_RESCAN=%d", res->recovery_rescan,
			       "IGD_NICS_CYCLED=%zu", res->n_nics,
			       "IGD_DURATION_MS=%llu", (unsigned long long)res->ms_total,
			       "SYSLOG_IDENTIFIER=%s", program,
			       NULL);
}
