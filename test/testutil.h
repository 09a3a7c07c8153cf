/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the Check suites: temp trees, files, log capture. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/context.h"
#include "core/pci_addr.h"

/* A fresh directory under $TMPDIR (or /tmp), mode 0700. Aborts the test on failure. */
char *tu_mkdtemp(void);
/* rm -rf, for a tree made by tu_mkdtemp; does not follow symlinks. */
void tu_rm_rf(const char *path);

/* Writes dir/rel (parents created), exactly content. Aborts the test on failure. */
void tu_write_file(const char *dir, const char *rel, const char *content);
void tu_write_file_mode(const char *dir, const char *rel, const char *content, unsigned mode);
void tu_symlink(const char *dir, const char *rel, const char *target);
void tu_mkdir_p(const char *dir, const char *rel);
/* Malloc'd "dir/rel". */
char *tu_path(const char *dir, const char *rel);
/* Reads a whole file into a malloc'd string; NULL if it cannot be read. */
char *tu_read_file(const char *path);

/* v[0..n) in canonical form joined by sep ("0000:00:1f.0 0000:00:1f.3"), malloc'd: compared as text, a failure shows both lists. */
char *tu_addrs_join(const struct pci_addr *v, size_t n, const char *sep);

/* Log capture: every message of the context appended as "<prio>|<msg>\n". */
struct tu_log {
	char *buf;
	size_t len;
};
void tu_log_fn(void *userdata, int priority, const char *msg);
void tu_log_reset(struct tu_log *log);
bool tu_log_contains(const struct tu_log *log, const char *needle);
/* The number of captured lines. */
size_t tu_log_lines(const struct tu_log *log);

/* text without its ANSI colour sequences (ESC [ ... m), malloc'd: what a terminal shows as words. */
char *tu_strip_ansi(const char *text);

/* A context rooted at root with logging captured into log (LOG_DEBUG level). */
struct igd_ctx *tu_ctx_new(const char *root, struct tu_log *log);

/*
 * The setup most suites share: a fresh directory from tu_mkdtemp() as the
 * root, the topology fixture_build_named(fixture) builds there (none when
 * fixture is NULL), and a context rooted there whose messages go to log
 * (emptied first). Aborts the test on failure.
 */
void tu_root_setup(char **ret_root, struct igd_ctx **ret_ctx, struct tu_log *log, const char *fixture);
/* Its teardown: frees the context and the log, removes the tree; root and ctx become NULL. */
void tu_root_teardown(char **root, struct igd_ctx **ctx, struct tu_log *log);

/*
 * Runs argv[0] (a path) with extra environment entries ("NAME=value", NULL
 * terminated; may be NULL), stdin from /dev/null; captures stdout and stderr
 * (malloc'd). Returns the exit status, or 128+signal.
 */
int tu_run(char *const argv[], char *const env[], char **ret_out, char **ret_err);
/* The same with $JOURNAL_STREAM naming the stderr file, as systemd does for StandardError=journal. */
int tu_run_journal(char *const argv[], char *const env[], char **ret_out, char **ret_err);

/* Every entry under dir with its type and its content or link target, sorted: equal strings = equal trees. */
char *tu_tree_digest(const char *dir);

/* Fails the test, naming the first line that differs, unless two tree digests are equal. */
void tu_assert_same_tree(const char *before, const char *after);

/* The build directory ($IGD_TEST_BUILDDIR, default "build"), with rel appended; malloc'd. */
char *tu_build_path(const char *rel);

/*
 * The main() of a Check suite file: runs the suite that suite_fn() builds
 * (verbosity from $CK_VERBOSITY, Check's forking and timeouts from its
 * environment) and exits non-zero when a test failed.
 */
#define TESTSUITE_MAIN(suite_fn)                                                                   \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr_ = srunner_create(suite_fn());                                         \
		int failed_;                                                                       \
                                                                                                   \
		srunner_run_all(sr_, CK_ENV);                                                      \
		failed_ = srunner_ntests_failed(sr_);                                              \
		srunner_free(sr_);                                                                 \
		return failed_ ? EXIT_FAILURE : EXIT_SUCCESS;                                      \
	}
