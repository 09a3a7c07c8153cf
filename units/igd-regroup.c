/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * igd-regroup: the boot program run by igd-regroup.service and the admin's
 * command line. Parses arguments, loads the config, calls the library,
 * prints, exits: 0 ok, 1 a failure or a failed check, 2 bad usage or config.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/checks.h"
#include "admin/detect.h"
#include "admin/status.h"
#include "admin/vm_report.h"
#include "config/config.h"
#include "core/cli.h"
#include "core/context.h"
#include "engine/engine.h"
#include "pve/hook.h"
#include "pve/hook_install.h"
#include "topology/snapshot.h"

enum { EXIT_OK = CLI_EXIT_OK, EXIT_FAIL = CLI_EXIT_FAIL, EXIT_USAGE = CLI_EXIT_USAGE };

/* Its arguments: IGD_DEFAULT_CONFIG, IGD_ENV_CONFIG, IGD_ENV_ROOT. */
#define USAGE_FMT \
	"Usage: igd-regroup [OPTIONS] COMMAND\n" \
	"\n" \
	"Split the Intel PCH functions (0000:00:1f.*) into IOMMU groups of their own\n" \
	"and bind the passthrough devices to vfio-pci.\n" \
	"\n" \
	"Commands:\n" \
	"  status            show the PCI devices grouped by IOMMU group\n" \
	"  check [--quiet]   check the prerequisites (config, IOMMU, vfio-pci, devices,\n" \
	"                    host drivers, leftovers of a manual set-up)\n" \
	"  apply             remove the configured functions, rescan, wait for them,\n" \
	"                    bind the [vfio] devices to vfio-pci, verify\n" \
	"  apply --dry-run   show what apply would do; write nothing\n" \
	"  detect            print a complete config proposed for this host\n" \
	"  detect --write    write it to the config file if that is absent or still\n" \
	"                    the shipped default; else show the diff and exit 1\n" \
	"  install-hook [STORAGE]\n" \
	"                    link the hookscript into STORAGE's snippets (default local)\n" \
	"                    and print the qm set line that attaches it to a VM\n" \
	"  vm VMID           what the hookscript would do for the VM: its devices as\n" \
	"                    Proxmox chooses them, their groups, what pre-start would\n" \
	"                    bind or refuse, what a stop would reset; exit 1 if refused\n" \
	"\n" \
	"Options:\n" \
	"  -c, --config FILE  config file (default %s, env %s)\n" \
	"  -r, --root DIR     filesystem root holding sys/, proc/, run/ (default /, env %s)\n" \
	"  -n, --dry-run      with apply: print the plan only\n" \
	"  -w, --write        with detect: write the config file\n" \
	"  -q, --quiet        with check: print only the WARN and FAIL lines\n" \
	"  -v, --verbose      also print debug messages\n" \
	"  -h, --help         show this help\n" \
	"  -V, --version      show the version\n"

static void usage(void)
{
	printf(USAGE_FMT, IGD_DEFAULT_CONFIG, IGD_ENV_CONFIG, IGD_ENV_ROOT);
}

static bool want_color(void)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

struct options {
	struct cli_common common;
	bool dry_run;
	bool write;
	bool quiet;
	const char *command;
	const char *argument; /* install-hook's STORAGE, vm's VMID */
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "write", no_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c;

	cli_common_init(&o->common);
	while ((c = getopt_long(argc, argv, ":c:r:nwqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->common.config = optarg;
			break;
		case 'r':
			o->common.root = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'w':
			o->write = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->common.verbose = true;
			break;
		case 'h':
			usage();
			exit(EXIT_OK);
		case 'V':
			printf("igd-regroup %s\n", IGD_VERSION);
			exit(EXIT_OK);
		default:
			cli_option_error("igd-regroup", c, argv);
			return -EINVAL;
		}
	}
	if (optind >= argc) {
		cli_print(LOG_ERR, "igd-regroup: no command given.");
		cli_print(LOG_INFO, USAGE_FMT, IGD_DEFAULT_CONFIG, IGD_ENV_CONFIG, IGD_ENV_ROOT);
		return -EINVAL;
	}
	o->command = argv[optind];
	if ((strcmp(o->command, "install-hook") == 0 || strcmp(o->command, "vm") == 0) && optind + 1 < argc)
		o->argument = argv[++optind];
	if (optind + 1 < argc) {
		cli_print(LOG_ERR, "igd-regroup: unexpected argument '%s'.", argv[optind + 1]);
		return -EINVAL;
	}
	return cli_common_check("igd-regroup", &o->common);
}

static int cmd_status(struct igd_ctx *ctx, struct igd_config *cfg, bool have_cfg)
{
	struct snapshot snap = {};
	int r = snapshot_read(ctx, &snap);

	if (r < 0)
		return EXIT_FAIL;
	status_print(stdout, &snap, have_cfg ? cfg : NULL, want_color());
	snapshot_done(&snap);
	return EXIT_OK;
}

static int cmd_check(struct igd_ctx *ctx, struct igd_config *cfg, bool quiet)
{
	struct snapshot snap = {};
	struct check_report rep = {};
	int r, ret;

	r = snapshot_read(ctx, &snap);
	if (r < 0)
		return EXIT_FAIL;
	r = check_run(ctx, cfg, &snap, &rep);
	if (r < 0) {
		igd_log_errno(ctx, LOG_ERR, r, "check failed: %m");
		snapshot_done(&snap);
		return EXIT_FAIL;
	}
	check_report_print(stdout, &rep, want_color(), quiet);
	ret = check_report_failed(&rep) ? EXIT_FAIL : EXIT_OK;
	check_report_done(&rep);
	snapshot_done(&snap);
	return ret;
}

/* A bad config still gets its FAIL line, and the checks that do not need it run. */
static int cmd_check_bad_config(struct igd_ctx *ctx, bool quiet)
{
	struct igd_config defaults = {};
	struct snapshot snap = {};
	struct check_report rep = {};

	printf("FAIL config    %s is not valid (see the messages above)\n", igd_ctx_config_path(ctx));
	if (config_init_defaults(&defaults) == 0 && snapshot_read(ctx, &snap) == 0 &&
	    check_run(ctx, &defaults, &snap, &rep) == 0) {
		/* item 0 is the config line, which would claim the defaults valid */
		struct check_report rest = { .items = rep.items + 1, .n = rep.n - 1 };
		check_report_print(stdout, &rest, want_color(), quiet);
	}
	check_report_done(&rep);
	snapshot_done(&snap);
	config_done(&defaults);
	return EXIT_USAGE;
}

/* The steps apply runs, each printing what it would write: it fails where apply would stop. */
static int cmd_apply_dry_run(struct igd_ctx *ctx, struct igd_config *cfg)
{
	struct engine_options opts = { .functions = &cfg->functions, .dry_run = stdout };
	_cleanup_(engine_result_done) struct engine_result res = {};

	if (engine_run(ctx, cfg, &opts, &res) < 0)
		return EXIT_FAIL; /* logged: snapshot, IOMMU, plan */
	return engine_exit_status(&res);
}

static int cmd_apply(struct igd_ctx *ctx, struct igd_config *cfg)
{
	struct engine_options opts = { .functions = &cfg->functions };
	struct engine_result res = {};
	int r, ret;

	r = engine_run(ctx, cfg, &opts, &res);
	if (r < 0)
		return EXIT_FAIL; /* logged: lock, snapshot */
	if (res.outcome != ENGINE_NOTHING)
		engine_result_print(stdout, &res);
	/* the journal belongs to the host: not for a run on another root */
	if (igd_ctx_root_is_host(ctx))
		(void)engine_result_journal(&res, "igd-regroup");
	ret = engine_exit_status(&res);
	engine_result_done(&res);
	return ret;
}

static int cmd_vm(struct igd_ctx *ctx, struct igd_config *cfg, uint32_t vmid)
{
	int r = vm_report(ctx, cfg, vmid, stdout);

	return r == 0 ? EXIT_OK : EXIT_FAIL;
}

static int cmd_detect(struct igd_ctx *ctx, bool write)
{
	int r = detect_run(ctx, write, stdout);

	return r == 0 ? EXIT_OK : EXIT_FAIL;
}

static int cmd_install_hook(struct igd_ctx *ctx, const char *storage)
{
	_cleanup_(freep) char *link = NULL;
	const char *target = IGD_LIBEXECDIR "/igd-regroup-hook";
	int r;

	r = hook_install(ctx, storage, target, &link);
	if (r < 0)
		return EXIT_FAIL;
	printf("%s -> %s\n"
	       "Attach it to a VM with:\n"
	       "  qm set VMID --hookscript %s:snippets/%s\n",
	       link, target, storage, HOOK_SNIPPET_NAME);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	_cleanup_(igd_ctx_freep) struct igd_ctx *ctx = NULL;
	struct options o = {};
	struct igd_config cfg = {};
	bool have_cfg = false;
	int r, ret;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;

	bool is_status = strcmp(o.command, "status") == 0;
	bool is_check = strcmp(o.command, "check") == 0;
	bool is_apply = strcmp(o.command, "apply") == 0;
	bool is_install_hook = strcmp(o.command, "install-hook") == 0;
	bool is_vm = strcmp(o.command, "vm") == 0;
	bool is_detect = strcmp(o.command, "detect") == 0;
	uint32_t vmid = 0;
	if (!is_status && !is_check && !is_apply && !is_install_hook && !is_vm && !is_detect) {
		cli_print(LOG_ERR, "igd-regroup: unknown command '%s'. Try 'igd-regroup --help'.", o.command);
		return EXIT_USAGE;
	}
	if (o.dry_run && !is_apply) {
		cli_print(LOG_ERR, "igd-regroup: --dry-run only goes with apply.");
		return EXIT_USAGE;
	}
	if (o.quiet && !is_check) {
		cli_print(LOG_ERR, "igd-regroup: --quiet only goes with check.");
		return EXIT_USAGE;
	}
	if (o.write && !is_detect) {
		cli_print(LOG_ERR, "igd-regroup: --write only goes with detect.");
		return EXIT_USAGE;
	}
	if (is_vm && (!o.argument || hook_vmid_parse(o.argument, &vmid) < 0)) {
		cli_print(LOG_ERR, "igd-regroup: vm expects a VMID (100..999999999).");
		return EXIT_USAGE;
	}

	if (cli_context("igd-regroup", &o.common, &ctx) < 0)
		return EXIT_FAIL;

	/* it links a file; the config plays no part */
	if (is_install_hook)
		return cmd_install_hook(ctx, o.argument ? o.argument : "local");
	/* it proposes the config: the one there is plays no part but as the file to write */
	if (is_detect)
		return cmd_detect(ctx, o.write);

	if (is_status && !o.common.config && access(igd_ctx_config_path(ctx), F_OK) < 0 && errno == ENOENT) {
		/* status is useful before anything is configured */
		log_notice(ctx, "note: no config at %s; showing the devices without marks.",
			   igd_ctx_config_path(ctx));
	} else {
		r = config_load(ctx, igd_ctx_config_path(ctx), &cfg);
		if (r < 0 && is_check)
			return cmd_check_bad_config(ctx, o.quiet);
		if (r < 0)
			return EXIT_USAGE;
		have_cfg = true;
	}

	if (is_status)
		ret = cmd_status(ctx, &cfg, have_cfg);
	else if (is_check)
		ret = cmd_check(ctx, &cfg, o.quiet);
	else if (is_vm)
		ret = cmd_vm(ctx, &cfg, vmid);
	else if (o.dry_run)
		ret = cmd_apply_dry_run(ctx, &cfg);
	else
		ret = cmd_apply(ctx, &cfg);
	config_done(&cfg);
	return ret;
}
