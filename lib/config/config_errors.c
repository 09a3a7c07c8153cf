/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reporting a config problem: "NAME:LINE: message" through the context, the
 * first CONFIG_ERRORS_SHOWN one by one and the rest counted in one closing
 * line -- a file of 100 000 bad lines must not flood a Proxmox task log.
 */
#include <stdarg.h>

#include "config/config_internal.h"

int config_report_at(struct config_parser *p, unsigned line, const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;
	int r;

	p->n_errors++;
	if (p->n_errors > CONFIG_ERRORS_SHOWN)
		return -EINVAL;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->fatal = -ENOMEM;
		msg = NULL;
	}
	igd_log(p->ctx, LOG_ERR, "%s:%u: %s", p->name, line, msg ? msg : "(out of memory)");
	return -EINVAL;
}

int config_oom(struct config_parser *p)
{
	p->fatal = -ENOMEM;
	return -ENOMEM;
}

int config_errors_finish(struct config_parser *p)
{
	if (p->n_errors > CONFIG_ERRORS_SHOWN) {
		unsigned more = p->n_errors - CONFIG_ERRORS_SHOWN;

		log_error(p->ctx, "... and %u more error%s in %s", more, more == 1 ? "" : "s", p->name);
	}
	return p->n_errors > 0 ? -EINVAL : 0;
}
