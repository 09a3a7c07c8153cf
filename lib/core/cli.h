/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the igd-regroup and igd-regroup-netnotify mains share: the common
 * options (--config, --root, --verbose and their environment variables),
 * their checks, and a context that logs to stderr.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "core/context.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

struct cli_common {
	const char *config; /* NULL: the default */
	const char *root;   /* NULL: "/" */
	bool verbose;
};

/* Defaults from $IGD_REGROUP_CONFIG and $IGD_REGROUP_ROOT. */
void cli_common_init(struct cli_common *o);

/* Checks after option parsing; prints "PROGRAM: ..." and returns -EINVAL when wrong. */
int cli_common_check(const char *program, const struct cli_common *o);

/*
 * getopt_long's error c ('?', or ':' with an optstring starting with ':')
 * as one message; call with opterr = 0 or that leading ':'.
 */
void cli_option_error(const char *program, int c, char *const *argv);

/* True when fd is the journal stream that $JOURNAL_STREAM names (systemd.exec(5)). */
bool cli_fd_is_journal(int fd);

/*
 * Writes msg to out line by line, prefix before the first; journal: each
 * line starts with "<priority>" (sd-daemon.h's SD_ERR ...), which the
 * journal strips and files the line at. Lines without it are filed at the
 * unit's SyslogLevel= (info).
 */
void cli_write_lines(FILE *out, bool journal, int priority, const char *prefix, const char *msg);

/* A message on stderr before or without a context (usage errors), with its priority under a unit. */
void cli_print(int priority, const char *fmt, ...) _printf_(2, 3);

/*
 * A context for o that logs to stderr, messages as they are (config errors
 * must start with PATH:LINE:), warnings prefixed; when stderr is the journal
 * ($JOURNAL_STREAM), each line starts with its priority ("<5>"), so the
 * journal files it at that level. Prints and returns -errno on failure.
 */
int cli_context(const char *program, const struct cli_common *o, struct igd_ctx **ret);
