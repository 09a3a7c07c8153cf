/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * igd-regroup-hook VMID PHASE: the Proxmox hookscript
 * (qm set VMID --hookscript local:snippets/igd-regroup-hook).
 * Proxmox runs it as root with stdin at EOF and copies its output to the
 * task log; a non-zero exit at pre-start aborts the start. It runs while
 * Proxmox holds the VM's config lock: nothing here calls qm.
 * Exit: 0 ok, 1 refused or failed, 2 bad arguments, unknown phase or bad config.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "core/cli.h"
#include "core/context.h"
#include "core/escape.h"
#include "pve/hook.h"

extern char **environ;

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* The longest phase shown in the message about an unknown one, in bytes. */
#define PHASE_SHOWN_MAX 64

/* Which of stdout and stderr is the journal (a hook run from a unit). */
struct journal_streams {
	bool out, err;
};

/*
 * Short lines, prefixed: they land in the Proxmox task log. Under a unit
 * whose output is the journal, each line also carries its priority.
 */
static void log_prefixed(void *userdata, int priority, const char *msg)
{
	const struct journal_streams *j = userdata;
	bool to_err = priority <= LOG_WARNING;
	FILE *out = to_err ? stderr : stdout;

	cli_write_lines(out, to_err ? j->err : j->out, priority,
			priority == LOG_WARNING ? "igd-regroup: warning: " : "igd-regroup: ", msg);
	fflush(out);
}

#define USAGE                                                                                      \
	"Usage: igd-regroup-hook VMID PHASE\n"                                                     \
	"The Proxmox VE hookscript of igd-regroup; PHASE is pre-start, post-start, "               \
	"pre-stop or post-stop.\n"                                                                 \
	"Attach it with: qm set VMID --hookscript local:snippets/igd-regroup-hook\n"

/* Runs [hook] chain with our two arguments; returns its exit status (or 1 if it could not run). */
static int run_chain(const struct igd_ctx *ctx, const char *chain, char *vmid, char *phase)
{
	char *argv[] = { (char *)chain, vmid, phase, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r, status;

	/* say plainly what is wrong with it, before a spawn that could only report a child's exit */
	if (access(chain, X_OK) < 0) {
		igd_log_errno(ctx, LOG_ERR, errno, "cannot run the chained hookscript %s: %m", chain);
		return 1;
	}
	fflush(stdout);
	fflush(stderr);
	if (posix_spawn_file_actions_init(&fa) != 0)
		return 1;
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	r = posix_spawn(&pid, chain, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		igd_log_errno(ctx, LOG_ERR, r, "cannot run the chained hookscript %s: %m", chain);
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status))
			log_warning(ctx, "the chained hookscript %s exited with %d.", chain, WEXITSTATUS(status));
		return WEXITSTATUS(status);
	}
	log_error(ctx, "the chained hookscript %s was killed by signal %d.", chain, WTERMSIG(status));
	return 1;
}

int main(int argc, char **argv)
{
	_cleanup_(igd_ctx_freep) struct igd_ctx *ctx = NULL;
	struct igd_config cfg = {};
	struct journal_streams streams;
	enum hook_phase phase;
	uint32_t vmid;
	int r, ret = EXIT_OK;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(USAGE, stdout);
		return EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("igd-regroup-hook %s\n", IGD_VERSION);
		return EXIT_OK;
	}
	if (argc != 3 || hook_vmid_parse(argv[1], &vmid) < 0) {
		cli_print(LOG_ERR, "igd-regroup: expected a VMID (100..999999999) and a phase.");
		cli_print(LOG_INFO, "%s", USAGE);
		return EXIT_USAGE;
	}
	if (hook_phase_parse(argv[2], &phase) < 0) {
		/* whatever called us chose it: no escape sequence, line break or 100 KB in the task log */
		_cleanup_(freep) char *shown = escape_cut(argv[2], PHASE_SHOWN_MAX);

		cli_print(LOG_ERR, "igd-regroup: unknown phase '%s' for VM %u; nothing done.",
			  shown ? shown : "(out of memory)", vmid);
		return EXIT_USAGE;
	}

	r = igd_ctx_new(getenv(IGD_ENV_ROOT), getenv(IGD_ENV_CONFIG), &ctx);
	if (r < 0) {
		cli_print(LOG_ERR, "igd-regroup: %s: %s", IGD_ENV_ROOT, strerror(-r));
		return EXIT_USAGE;
	}
	streams = (struct journal_streams){ .out = cli_fd_is_journal(STDOUT_FILENO),
					    .err = cli_fd_is_journal(STDERR_FILENO) };
	igd_ctx_set_log_fn(ctx, log_prefixed, &streams);

	/* only the config is read here: the chain and the phases' settings are in it */
	r = config_load(ctx, igd_ctx_config_path(ctx), &cfg);
	if (r < 0)
		return EXIT_USAGE;

	if (cfg.n_vmids && !config_vmid_selected(&cfg, vmid)) {
		if (phase == HOOK_PRE_START || hook_is_reset_phase(&cfg, phase))
			log_info(ctx, "VM %u is not in [hook] vmids; nothing to do.", vmid);
	} else if (phase == HOOK_PRE_START) {
		r = hook_pre_start(ctx, &cfg, vmid);
		ret = r == 0 ? EXIT_OK : EXIT_FAIL;
	} else if (hook_is_reset_phase(&cfg, phase)) {
		r = hook_reset(ctx, &cfg, vmid, phase);
		ret = r == 0 ? EXIT_OK : EXIT_FAIL;
	}
	/* post-start, and pre-stop when it is not the reset phase: nothing of ours to do */

	if (cfg.chain && !(phase == HOOK_PRE_START && ret != EXIT_OK)) {
		int c = run_chain(ctx, cfg.chain, argv[1], argv[2]);
		/* the chained script can veto a start too */
		if (phase == HOOK_PRE_START && c != 0)
			ret = EXIT_FAIL;
	}
	config_done(&cfg);
	return ret;
}
