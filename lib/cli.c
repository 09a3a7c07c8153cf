/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_common_init(struct cli_common *o)
{
	*o = (struct cli_common){
		.config = getenv(IGD_ENV_CONFIG),
		.root = getenv(IGD_ENV_ROOT),
	};
}

int cli_common_check(const char *program, const struct cli_common *o)
{
	if (o->root && *o->root && o->root[0] != '/') {
		fprintf(stderr, "%s: --root must be an absolute path, not '%s'.\n", program, o->root);
		return -EINVAL;
	}
	if (o->config && !*o->config) {
		fprintf(stderr, "%s: --config must not be empty.\n", program);
		return -EINVAL;
	}
	return 0;
}

/*
 * stderr is connected to the journal (a unit's StandardError=journal):
 * $JOURNAL_STREAM names its device and inode (systemd.exec(5)).
 */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* userdata non-NULL: stderr is the journal; each line gets its priority the sd-daemon.h way ("<5>"). */
static void log_stderr(void *userdata, int priority, const char *msg)
{
	if (userdata)
		fprintf(stderr, "<%d>", priority);
	fprintf(stderr, "%s%s\n", priority == LOG_WARNING ? "warning: " : "", msg);
}

int cli_context(const char *program, const struct cli_common *o, struct igd_ctx **ret)
{
	int r = igd_ctx_new(o->root, o->config, ret);

	if (r < 0) {
		fprintf(stderr, "%s: %s\n", program, strerror(-r));
		return r;
	}
	/* any non-NULL pointer says "journal" */
	igd_ctx_set_log_fn(*ret, log_stderr, stderr_is_journal() ? (void *)log_stderr : NULL);
	igd_ctx_set_log_level(*ret, o->verbose ? LOG_DEBUG : LOG_INFO);
	return 0;
}
