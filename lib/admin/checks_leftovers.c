/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check: the guides' @reboot jobs that undo the boot unit's work (leftovers.h). */
#include <stdlib.h>
#include <string.h>

#include "admin/checks.h"
#include "admin/leftovers.h"
#include "core/macro.h"

static int check_one(const struct leftover *x, struct check_report *r)
{
	_cleanup_(freep) char *what = leftover_describe(x), *file = strndup(x->where, strcspn(x->where, ":"));
	bool own = file && strcmp(file, "/var/spool/cron/crontabs/root") == 0;

	if (!what || !file)
		return -ENOMEM;
	return check_report_add(r, CHECK_WARN, "leftover",
				"%s: @reboot job '%s'%s%s%s %s: it runs after the network is up, on top of "
				"igd-regroup.service, and cycles the PCH (and the NIC) again; remove the line (%s)",
				x->where, x->command, x->script ? " runs " : "", x->script ? x->script : "",
				x->script ? ", which" : "", what, own ? "crontab -e" : file);
}

int check_leftovers(const struct igd_ctx *ctx, struct check_report *r)
{
	_cleanup_(leftovers_done) struct leftovers l = {};
	int k = leftovers_cron(ctx, &l);

	if (k < 0)
		return k;
	for (size_t i = 0; i < l.n; i++) {
		k = check_one(&l.v[i], r);
		if (k < 0)
			return k;
	}
	if (l.n == 0)
		return check_report_add(r, CHECK_OK, "leftover",
					"no @reboot job in root's crontabs removes PCI functions, rescans or "
					"restarts networking");
	return 0;
}
