/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/parse.h"

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
		cli_print(LOG_ERR, "%s: --root must be an absolute path, not '%s'.", program, o->root);
		return -EINVAL;
	}
	if (o->config && !*o->config) {
		cli_print(LOG_ERR, "%s: --config must not be empty.", program);
		return -EINVAL;
	}
	return 0;
}

void cli_option_error(const char *program, int c, char *const *argv)
{
	/* a short option's letter is in optopt; a long option is the argument getopt just read */
	if (c == ':')
		cli_print(LOG_ERR, "%s: option '%s' needs an argument. Try '%s --help'.", program,
			  argv[optind - 1], program);
	else if (optopt)
		cli_print(LOG_ERR, "%s: unknown option '-%c'. Try '%s --help'.", program, optopt, program);
	else
		cli_print(LOG_ERR, "%s: unknown option '%s'. Try '%s --help'.", program, argv[optind - 1],
			  program);
}

/*
 * fd is connected to the journal (a unit's StandardOutput=/StandardError=journal):
 * $JOURNAL_STREAM names that stream's device and inode (systemd.exec(5)).
 * A terminal, a pipe or a file that a unit's program writes to does not match.
 */
bool cli_fd_is_journal(int fd)
{
	const char *e = getenv("JOURNAL_STREAM");
	uint64_t dev, ino;
	struct stat st;

	return e && safe_atou64_pair(e, ':', &dev, &ino) == 0 && fstat(fd, &st) == 0 &&
	       (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

void cli_write_lines(FILE *out, bool journal, int priority, const char *prefix, const char *msg)
{
	const char *line = msg;

	/* the journal reads "<N>" at the start of each line: every line of a message gets it */
	do {
		size_t len = strcspn(line, "\n");

		if (journal)
			fprintf(out, "<%d>", priority);
		fprintf(out, "%s%.*s\n", line == msg ? prefix : "", (int)len, line);
		line += len;
	} while (*line && *++line);
}

void cli_print(int priority, const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	cli_write_lines(stderr, cli_fd_is_journal(STDERR_FILENO), priority, "",
			r < 0 ? "(out of memory formatting a message)" : msg);
}

/* userdata non-NULL: stderr is the journal; each line gets its priority the sd-daemon.h way ("<5>"). */
static void log_stderr(void *userdata, int priority, const char *msg)
{
	cli_write_lines(stderr, userdata != NULL, priority, priority == LOG_WARNING ? "warning: " : "", msg);
}

int cli_context(const char *program, const struct cli_common *o, struct igd_ctx **ret)
{
	int r = igd_ctx_new(o->root, o->config, ret);

	if (r < 0) {
		cli_print(LOG_ERR, "%s: %s", program, strerror(-r));
		return r;
	}
	/* any non-NULL pointer says "journal" */
	igd_ctx_set_log_fn(*ret, log_stderr, cli_fd_is_journal(STDERR_FILENO) ? (void *)log_stderr : NULL);
	igd_ctx_set_log_level(*ret, o->verbose ? LOG_DEBUG : LOG_INFO);
	return 0;
}
