/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * igd-regroup-netnotify: run by igd-regroup-netnotify.service, which the
 * engine starts when it took the host's NIC away while the network was up;
 * runnable by hand. Parses arguments, loads the config, calls the library,
 * prints, exits: 0 the network is back (or nothing to do), 1 it is not, a
 * unit failed or does not exist, 2 bad usage or config.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/cli.h"
#include "core/context.h"
#include "network/netnotify.h"

#define PROGRAM "igd-regroup-netnotify"

enum { EXIT_OK = CLI_EXIT_OK, EXIT_FAIL = CLI_EXIT_FAIL, EXIT_USAGE = CLI_EXIT_USAGE };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROGRAM " [OPTIONS]\n"
		"\n"
		"Bring the host network back after igd-regroup took the onboard NIC away:\n"
		"wait for the NIC and its interface, reload or restart the [network] units,\n"
		"check the interface and the NIC's bridge, report the downtime.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  config file (default %s, env %s)\n"
		"  -r, --root DIR     filesystem root holding sys/, run/ (default /, env %s)\n"
		"  -v, --verbose      also print debug messages\n"
		"  -h, --help         show this help\n"
		"  -V, --version      show the version\n",
		IGD_DEFAULT_CONFIG, IGD_ENV_CONFIG, IGD_ENV_ROOT);
}

static int parse_args(int argc, char **argv, struct cli_common *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c;

	cli_common_init(o);
	while ((c = getopt_long(argc, argv, ":c:r:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf(PROGRAM " %s\n", IGD_VERSION);
			exit(EXIT_OK);
		default:
			cli_option_error(PROGRAM, c, argv);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		cli_print(LOG_ERR, PROGRAM ": unexpected argument '%s'. Try '" PROGRAM " --help'.", argv[optind]);
		return -EINVAL;
	}
	return cli_common_check(PROGRAM, o);
}

int main(int argc, char **argv)
{
	_cleanup_(igd_ctx_freep) struct igd_ctx *ctx = NULL;
	struct netnotify_options opts = {};
	struct netnotify_result res = {};
	struct cli_common o;
	struct igd_config cfg = {};
	int r, ret;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (cli_context(PROGRAM, &o, &ctx) < 0)
		return EXIT_FAIL;

	if (config_load(ctx, igd_ctx_config_path(ctx), &cfg) < 0)
		return EXIT_USAGE; /* logged, PATH:LINE: first */

	r = netnotify_run(ctx, &cfg, &opts, &res);
	if (r < 0) {
		config_done(&cfg);
		return EXIT_FAIL; /* logged: the lock, the record */
	}
	netnotify_result_print(stdout, &res);
	/* the journal belongs to the host: not for a run on another root */
	if (igd_ctx_root_is_host(ctx))
		(void)netnotify_result_journal(&res, PROGRAM);
	ret = netnotify_exit_status(&res);
	netnotify_result_done(&res);
	config_done(&cfg);
	return ret;
}
