/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The INI config: defaults, the shipped file and its examples, the seed
 * machines, every kind of mistake (each asserted as the exact logged
 * "PATH:LINE: message"), and the file checks of config_load.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/macro.h"
#include "testutil.h"

#define CONF_NAME "igd-regroup.conf"
#define STRING_NAME "string.conf"
#define ADDR_HINT " (expected DDDD:BB:DD.F, e.g. 0000:00:1f.3)"

/* ---- fixture: a fresh directory, context and log per test ---- */

static char *tmpdir;
static char *conf_path;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct igd_config cfg;
static struct addr_list reset_list;

static void setup(void)
{
	tu_root_setup(&tmpdir, &ctx, &logbuf, NULL);
	conf_path = tu_path(tmpdir, CONF_NAME);
	cfg = (struct igd_config){};
}

static void teardown(void)
{
	free(reset_list.v);
	reset_list = (struct addr_list){};
	config_done(&cfg);
	tu_root_teardown(&tmpdir, &ctx, &logbuf);
	free(conf_path);
	conf_path = NULL;
}

/* Writes text as the config file (mode 0644) and loads it. */
static int load(const char *text)
{
	tu_write_file(tmpdir, CONF_NAME, text);
	config_done(&cfg);
	return config_load(ctx, conf_path, &cfg);
}

/* config_reset_functions_for on cfg; the list lives until the next call or the teardown */
static const struct addr_list *reset_for(const struct pci_addr *passed, size_t n)
{
	free(reset_list.v);
	ck_assert_int_eq(config_reset_functions_for(&cfg, passed, n, &reset_list), 0);
	return &reset_list;
}

static const char *log_text(void)
{
	return logbuf.buf ? logbuf.buf : "";
}

/* ---- expected values, compared in printed form so a failure shows both sides ---- */

static char *addrs_str(const struct addr_list *l)
{
	return tu_addrs_join(l->v, l->n, " ");
}

static char *vmids_str(const struct igd_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < c->n_vmids; i++)
		fprintf(f, "%s%u", i ? " " : "", c->vmids[i]);
	fclose(f);
	return buf;
}

static char *units_str(const struct igd_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < c->n_units; i++)
		fprintf(f, "%s%s", i ? " " : "", c->units[i]);
	fclose(f);
	return buf;
}

struct want {
	const char *functions;
	unsigned regroup_timeout_ms;
	const char *vfio;
	const char *vmids;
	enum reset_phase phase;
	const char *reset_functions;
	bool check_isolation;
	const char *units;
	enum net_action action;
	const char *wait_interface;
	unsigned network_timeout_ms;
};

static const struct want want_defaults = {
	.functions = "",
	.regroup_timeout_ms = 10000,
	.vfio = "",
	.vmids = "",
	.phase = RESET_PHASE_POST_STOP,
	.reset_functions = "",
	.check_isolation = true,
	.units = "networking.service",
	.action = NET_ACTION_RELOAD,
	.wait_interface = "vmbr0",
	.network_timeout_ms = 30000,
};

/* Seed 000: HP EliteDesk 800 G4 DM. */
static struct want want_hp(void)
{
	struct want w = want_defaults;

	w.functions = "0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6";
	w.vfio = "0000:00:02.0 0000:00:1f.0 0000:00:1f.3";
	w.vmids = "100";
	w.units = "networking.service netbird.service";
	return w;
}

/* Seed 001: N100 mini PC, no NIC at 1f.6, so no network to bring back. */
static struct want want_n100(void)
{
	struct want w = want_defaults;

	w.functions = "0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5";
	w.vfio = "0000:00:02.0 0000:00:1f.0 0000:00:1f.3";
	w.vmids = "100";
	w.units = "";
	w.action = NET_ACTION_NONE;
	return w;
}

/* Seed 001: Fujitsu Esprimo Q957, with a PMC at 1f.2. */
static struct want want_esprimo(void)
{
	struct want w = want_defaults;

	w.functions = "0000:00:1f.0 0000:00:1f.2 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6";
	w.vfio = "0000:00:02.0 0000:00:1f.3";
	w.vmids = "100";
	w.units = "networking.service netbird.service";
	return w;
}

static void expect_config(const struct igd_config *c, const struct want *w)
{
	_cleanup_(freep) char *functions = addrs_str(&c->functions);
	_cleanup_(freep) char *vfio = addrs_str(&c->vfio_devices);
	_cleanup_(freep) char *reset = addrs_str(&c->reset_functions);
	_cleanup_(freep) char *vmids = vmids_str(c);
	_cleanup_(freep) char *units = units_str(c);

	ck_assert_str_eq(functions, w->functions);
	ck_assert_uint_eq(c->regroup_timeout_ms, w->regroup_timeout_ms);
	ck_assert_str_eq(vfio, w->vfio);
	ck_assert_str_eq(vmids, w->vmids);
	ck_assert_str_eq(reset_phase_to_string(c->reset_phase), reset_phase_to_string(w->phase));
	ck_assert_str_eq(reset, w->reset_functions);
	ck_assert_int_eq(c->check_isolation, w->check_isolation);
	ck_assert_str_eq(units, w->units);
	ck_assert_str_eq(net_action_to_string(c->action), net_action_to_string(w->action));
	ck_assert_str_eq(c->wait_interface, w->wait_interface);
	ck_assert_uint_eq(c->network_timeout_ms, w->network_timeout_ms);
}

/* Loads text from a file and from a string: both must succeed, log nothing and give w. */
static void expect_valid(const char *text, const struct want *w)
{
	tu_log_reset(&logbuf);
	ck_assert_msg(load(text) == 0, "should load:\n%s\nlog:\n%s", text, log_text());
	ck_assert_str_eq(log_text(), "");
	expect_config(&cfg, w);

	config_done(&cfg);
	ck_assert_int_eq(config_parse_string(ctx, STRING_NAME, text, &cfg), 0);
	ck_assert_str_eq(log_text(), "");
	expect_config(&cfg, w);
}

/* A failed load leaves nothing behind: config_done on it is a no-op. */
static void expect_cleared(const struct igd_config *c)
{
	ck_assert_ptr_null(c->functions.v);
	ck_assert_uint_eq(c->functions.n, 0);
	ck_assert_ptr_null(c->vfio_devices.v);
	ck_assert_ptr_null(c->vmids);
	ck_assert_ptr_null(c->reset_functions.v);
	ck_assert_ptr_null(c->units);
	ck_assert_uint_eq(c->n_units, 0);
	ck_assert_ptr_null(c->wait_interface);
}

/* ---- expected errors ---- */

struct err {
	unsigned line;
	const char *msg;
};

/* The exact log: one "3|NAME:LINE: msg" line per error (3 = LOG_ERR), nothing else. */
static char *expected_log(const char *name, const struct err *e, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%d|%s:%u: %s\n", LOG_ERR, name, e[i].line, e[i].msg);
	fclose(f);
	return buf;
}

/* text must fail with -EINVAL from a file and from a string, logging exactly e[0..n). */
static void expect_errors(const char *text, const struct err *e, size_t n)
{
	_cleanup_(freep) char *from_file = expected_log(conf_path, e, n);
	_cleanup_(freep) char *from_string = expected_log(STRING_NAME, e, n);

	tu_log_reset(&logbuf);
	ck_assert_msg(load(text) == -EINVAL, "should be rejected:\n%s", text);
	ck_assert_str_eq(log_text(), from_file);
	ck_assert_uint_eq(tu_log_lines(&logbuf), n);
	expect_cleared(&cfg);

	tu_log_reset(&logbuf);
	ck_assert_int_eq(config_parse_string(ctx, STRING_NAME, text, &cfg), -EINVAL);
	ck_assert_str_eq(log_text(), from_string);
	expect_cleared(&cfg);
}

struct bad {
	const char *text;
	unsigned line;
	const char *msg;
};

static void expect_bad(const struct bad *b)
{
	const struct err e = { b->line, b->msg };

	expect_errors(b->text, &e, 1);
}

/* ---- defaults and the shipped file ---- */

START_TEST(init_defaults)
{
	ck_assert_int_eq(config_init_defaults(&cfg), 0);
	expect_config(&cfg, &want_defaults);
}
END_TEST

START_TEST(empty_file_gives_defaults)
{
	expect_valid("", &want_defaults);
	expect_valid("\n\n", &want_defaults);
	expect_valid("# only\n; comments\n   # indented\n", &want_defaults);
	expect_valid("[regroup]\n[vfio]\n[hook]\n[network]\n", &want_defaults);
	/* empty lists are allowed, and mean the defaults */
	expect_valid("[regroup]\nfunctions =\n[vfio]\ndevices =\n[hook]\nvmids =\nreset_functions =\n",
		     &want_defaults);

	config_done(&cfg);
	ck_assert_int_eq(config_parse_string(ctx, STRING_NAME, NULL, &cfg), 0);
	expect_config(&cfg, &want_defaults);
}
END_TEST

static char *shipped_conf(void)
{
	const char *srcdir = getenv("IGD_TEST_SRCDIR");
	_cleanup_(freep) char *path = NULL;
	char *text;

	/* `make check` sets IGD_TEST_SRCDIR; run by hand from the top directory, "test" is it. */
	path = tu_path(srcdir && *srcdir ? srcdir : "test", "../conf/igd-regroup.conf");
	text = tu_read_file(path);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	return text;
}

START_TEST(shipped_conf_is_safe_defaults)
{
	_cleanup_(freep) char *text = shipped_conf();

	expect_valid(text, &want_defaults);
	/* as shipped nothing is removed or bound */
	ck_assert_uint_eq(cfg.functions.n, 0);
	ck_assert_uint_eq(cfg.vfio_devices.n, 0);
	ck_assert_uint_eq(reset_for(NULL, 0)->n, 0);
}
END_TEST

/*
 * The example "title" from the shipped file, uncommented: its lines from the
 * "# ---- Example: title" marker to the next "# ----" marker, with "#" removed
 * from "#[section]" and "#key = value" lines ("# text" stays a comment).
 */
static char *shipped_example(const char *text, const char *title)
{
	_cleanup_(freep) char *marker = NULL;
	const char *s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_ge(asprintf(&marker, "# ---- Example: %s", title), 0);
	s = strstr(text, marker);
	ck_assert_msg(s != NULL, "no example '%s' in the shipped file", title);
	s = strchr(s, '\n');
	ck_assert_ptr_nonnull(s);
	s++;

	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	while (*s && strncmp(s, "# ----", 6) != 0) {
		size_t n = strcspn(s, "\n");

		if (s[0] == '#' && n > 1 && s[1] != ' ')
			fprintf(f, "%.*s\n", (int)(n - 1), s + 1);
		else
			fprintf(f, "%.*s\n", (int)n, s);
		s += n + (s[n] == '\n');
	}
	fclose(f);
	return buf;
}

START_TEST(shipped_examples_parse)
{
	_cleanup_(freep) char *text = shipped_conf();
	_cleanup_(freep) char *hp = shipped_example(text, "HP EliteDesk 800 G4");
	_cleanup_(freep) char *n100 = shipped_example(text, "mini PC with an Intel N100");
	_cleanup_(freep) char *esprimo = shipped_example(text, "Fujitsu Esprimo Q957");

	const struct want w_hp = want_hp(), w_n100 = want_n100(), w_esprimo = want_esprimo();

	expect_valid(hp, &w_hp);
	expect_valid(n100, &w_n100);
	expect_valid(esprimo, &w_esprimo);
}
END_TEST

/* ---- the seed machines ---- */

START_TEST(seed_hp_elitedesk)
{
	const struct want w = want_hp();

	expect_valid("[regroup]\n"
		     "functions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"
		     "[vfio]\n"
		     "devices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n"
		     "[hook]\n"
		     "vmids = 100\n"
		     "[network]\n"
		     "units = networking.service netbird.service\n",
		     &w);
	expect_valid("[regroup]\n"
		     "functions = 0:1f.0, 0:1f.3, 0:1f.4, 0:1f.5, 0:1f.6\n"
		     "[vfio]\n"
		     "devices = 00:02.0,00:1f.0,00:1f.3\n"
		     "[hook]\n"
		     "vmids = 100\n"
		     "[network]\n"
		     "units = networking.service, netbird.service\n",
		     &w);
}
END_TEST

START_TEST(seed_n100)
{
	const struct want w = want_n100();

	expect_valid("[regroup]\n"
		     "functions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5\n"
		     "[vfio]\n"
		     "devices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n"
		     "[hook]\n"
		     "vmids = 100\n"
		     "[network]\n"
		     "units =\n"
		     "action = none\n",
		     &w);
	expect_valid("[regroup]\n"
		     "functions = 0:1f.0 0:1f.3 0:1f.4 0:1f.5\n"
		     "[vfio]\n"
		     "devices = 0:2.0, 0:1f.0, 0:1f.3\n"
		     "[hook]\n"
		     "vmids = 100\n"
		     "[network]\n"
		     "units =\n"
		     "action = none\n",
		     &w);
}
END_TEST

START_TEST(seed_esprimo)
{
	const struct want w = want_esprimo();

	expect_valid("[regroup]\n"
		     "functions = 0000:00:1f.0 0000:00:1f.2 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 "
		     "0000:00:1f.6\n"
		     "[vfio]\n"
		     "devices = 0000:00:02.0 0000:00:1f.3\n"
		     "[hook]\n"
		     "vmids = 100\n"
		     "[network]\n"
		     "units = networking.service netbird.service\n",
		     &w);
	expect_valid("[regroup]\n"
		     "functions = 00:1f.0, 00:1f.2, 00:1f.3, 00:1f.4, 00:1f.5, 00:1f.6\n"
		     "[vfio]\n"
		     "devices = 00:02.0 00:1f.3\n"
		     "[hook]\n"
		     "vmids = 100\n"
		     "[network]\n"
		     "units = networking.service,netbird.service\n",
		     &w);
}
END_TEST

/* ---- accepted forms ---- */

START_TEST(every_key_set)
{
	static const struct want w = {
		.functions = "0000:00:1f.3 0000:00:1f.6",
		.regroup_timeout_ms = 100,
		.vfio = "0000:00:02.0",
		.vmids = "100 999999999 4242",
		.phase = RESET_PHASE_PRE_STOP,
		.reset_functions = "0000:00:1f.3",
		.check_isolation = false,
		.units = "networking.service openvpn@home.service systemd-networkd.service",
		.action = NET_ACTION_RESTART,
		.wait_interface = "eno1",
		.network_timeout_ms = 600000,
	};

	expect_valid("[regroup]\n"
		     "functions = 00:1f.3 00:1f.6\n"
		     "timeout_ms = 100\n"
		     "[vfio]\n"
		     "devices = 00:02.0\n"
		     "[hook]\n"
		     "vmids = 100 999999999 004242\n"
		     "reset_phase = pre-stop\n"
		     "reset_functions = 00:1f.3\n"
		     "check_isolation = no\n"
		     "[network]\n"
		     "units = networking.service openvpn@home.service systemd-networkd.service\n"
		     "action = restart\n"
		     "wait_interface = eno1\n"
		     "timeout_ms = 600000\n",
		     &w);
}
END_TEST

START_TEST(list_separators)
{
	static const char *const forms[] = {
		"0:1f.3 0:1f.6",   "0:1f.3,0:1f.6",     "0:1f.3, 0:1f.6",  "0:1f.3 ,0:1f.6",
		"0:1f.3 , 0:1f.6", "0:1f.3\t,\t0:1f.6", "0:1f.3   0:1f.6", "0:1f.3 \t 0:1f.6",
	};
	struct want w = want_defaults;

	w.functions = "0000:00:1f.3 0000:00:1f.6";
	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		_cleanup_(freep) char *text = NULL;

		ck_assert_int_ge(asprintf(&text, "[regroup]\nfunctions = %s\n", forms[i]), 0);
		expect_valid(text, &w);
	}
}
END_TEST

START_TEST(booleans)
{
	static const char *const yes[] = { "yes", "YES", "true", "True", "on", "ON", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "Off", "0" };
	struct want w = want_defaults;

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		_cleanup_(freep) char *t = NULL, *f = NULL;

		ck_assert_int_ge(asprintf(&t, "[hook]\ncheck_isolation = %s\n", yes[i]), 0);
		ck_assert_int_ge(asprintf(&f, "[hook]\ncheck_isolation = %s\n", no[i]), 0);
		w.check_isolation = true;
		expect_valid(t, &w);
		w.check_isolation = false;
		expect_valid(f, &w);
	}
}
END_TEST

START_TEST(phases_and_actions)
{
	struct want w = want_defaults;

	w.phase = RESET_PHASE_POST_STOP;
	expect_valid("[hook]\nreset_phase = post-stop\n", &w);
	w.phase = RESET_PHASE_PRE_STOP;
	expect_valid("[hook]\nreset_phase = pre-stop\n", &w);
	w.phase = RESET_PHASE_NONE;
	expect_valid("[hook]\nreset_phase = none\n", &w);

	w = want_defaults;
	w.action = NET_ACTION_RELOAD;
	expect_valid("[network]\naction = reload\n", &w);
	w.action = NET_ACTION_RESTART;
	expect_valid("[network]\naction = restart\n", &w);
	w.action = NET_ACTION_NONE;
	expect_valid("[network]\naction = none\n", &w);
}
END_TEST

START_TEST(strings_round_trip)
{
	enum reset_phase p = RESET_PHASE_NONE;
	enum net_action a = NET_ACTION_NONE;

	for (enum reset_phase i = RESET_PHASE_POST_STOP; i <= RESET_PHASE_NONE; i++) {
		ck_assert_int_eq(reset_phase_from_string(reset_phase_to_string(i), &p), 0);
		ck_assert_int_eq(p, i);
	}
	for (enum net_action i = NET_ACTION_RELOAD; i <= NET_ACTION_NONE; i++) {
		ck_assert_int_eq(net_action_from_string(net_action_to_string(i), &a), 0);
		ck_assert_int_eq(a, i);
	}
	ck_assert_str_eq(reset_phase_to_string(RESET_PHASE_POST_STOP), "post-stop");
	ck_assert_str_eq(net_action_to_string(NET_ACTION_RELOAD), "reload");

	/* rejected, out-parameter untouched */
	p = RESET_PHASE_PRE_STOP;
	ck_assert_int_eq(reset_phase_from_string("poststop", &p), -EINVAL);
	ck_assert_int_eq(reset_phase_from_string(NULL, &p), -EINVAL);
	ck_assert_int_eq(p, RESET_PHASE_PRE_STOP);
	a = NET_ACTION_RESTART;
	ck_assert_int_eq(net_action_from_string("Reload", &a), -EINVAL);
	ck_assert_int_eq(a, NET_ACTION_RESTART);
}
END_TEST

START_TEST(layout_tolerated)
{
	struct want w = want_defaults;

	w.functions = "0000:00:1f.3";
	w.vmids = "100 101";

	/* CRLF, a UTF-8 BOM, no newline at the end, tabs, no spaces around '=' */
	expect_valid("\xEF\xBB\xBF[regroup]\r\nfunctions = 00:1f.3\r\n[hook]\r\nvmids = 100 101\r\n", &w);
	expect_valid("[regroup]\nfunctions=00:1f.3\n[hook]\nvmids=100,101", &w);
	expect_valid("[regroup]\n\tfunctions\t=\t00:1f.3\t\n[hook]\n  vmids = 100 101  \n", &w);
	/* ';' after whitespace starts a comment, on values and headers */
	expect_valid("[regroup] ; the PCH\nfunctions = 00:1f.3 ; audio\n"
		     "[hook];x\nvmids = 100 101 ; two VMs ; really\n",
		     &w);
	/* comments anywhere, also indented between keys */
	expect_valid("# top\n[regroup]\n; c\nfunctions = 00:1f.3\n   # indented comment\n"
		     "  ; another\n[hook]\nvmids = 100 101\n",
		     &w);
	/* a known section may come back, with other keys */
	expect_valid("[hook]\nvmids = 100 101\n[regroup]\n[hook]\n[regroup]\nfunctions = 00:1f.3\n", &w);
}
END_TEST

START_TEST(longest_line)
{
	_cleanup_(freep) char *text = NULL;
	char line[CONFIG_LINE_MAX + 1];
	struct want w = want_defaults;

	/* a comment of exactly CONFIG_LINE_MAX characters is fine */
	memset(line, 'x', sizeof(line) - 1);
	line[0] = '#';
	line[CONFIG_LINE_MAX] = '\0';
	ck_assert_int_ge(asprintf(&text, "[regroup]\n%s\nfunctions = 00:1f.3\n", line), 0);
	w.functions = "0000:00:1f.3";
	expect_valid(text, &w);
}
END_TEST

START_TEST(units_and_interfaces)
{
	struct want w = want_defaults;
	char name[300];

	w.units = "wg-quick@wg0.service a:b_c.d-e.service";
	w.wait_interface = "vmbr0.100";
	expect_valid("[network]\nunits = wg-quick@wg0.service a:b_c.d-e.service\n"
		     "wait_interface = vmbr0.100\n",
		     &w);
	w = want_defaults;
	w.units = "";
	w.wait_interface = "abcdefghijklmno";
	expect_valid("[network]\nunits =\nwait_interface = abcdefghijklmno\n", &w);

	/* the length limits, which a config line (max 198) cannot reach for units */
	memset(name, 'a', sizeof(name));
	strcpy(name + 255 - strlen(".service"), ".service");
	ck_assert_uint_eq(strlen(name), 255);
	ck_assert(config_unit_name_is_valid(name));
	memset(name, 'a', sizeof(name));
	strcpy(name + 256 - strlen(".service"), ".service");
	ck_assert(!config_unit_name_is_valid(name));
	ck_assert(!config_unit_name_is_valid(NULL));
	ck_assert(!config_unit_name_is_valid("../x.service"));
	ck_assert(config_unit_name_is_valid("netbird.service"));

	ck_assert(config_ifname_is_valid("eno1"));
	ck_assert(config_ifname_is_valid("enp0s31f6"));
	ck_assert(!config_ifname_is_valid(""));
	ck_assert(!config_ifname_is_valid(NULL));
	ck_assert(!config_ifname_is_valid("abcdefghijklmnop"));
	ck_assert(!config_ifname_is_valid("eno1:0"));
}
END_TEST

/* ---- helpers on a loaded config ---- */

START_TEST(reset_functions_default_is_what_the_vm_passes)
{
	const struct addr_list *l;
	struct pci_addr a, lpc, igpu, passed[3];

	ck_assert_int_eq(pci_addr_parse("0000:00:1f.3", 0, &a), 0);
	ck_assert_int_eq(pci_addr_parse("0000:00:1f.0", 0, &lpc), 0);
	ck_assert_int_eq(pci_addr_parse("0000:00:02.0", 0, &igpu), 0);
	/* the seed's VM 100 passes 02.0, 1f.3 and 1f.0: 1f.0 and 1f.3, in [regroup] order */
	passed[0] = igpu;
	passed[1] = a;
	passed[2] = lpc;
	ck_assert_int_eq(load("[regroup]\nfunctions = 00:1f.0 00:1f.3 00:1f.4 00:1f.6\n"), 0);
	l = reset_for(passed, 3);
	ck_assert_uint_eq(l->n, 2);
	ck_assert(pci_addr_equal(&l->v[0], &lpc));
	ck_assert(pci_addr_equal(&l->v[1], &a));

	/* a VM that passes no [regroup] function resets nothing */
	ck_assert_uint_eq(reset_for(&igpu, 1)->n, 0);

	ck_assert_int_eq(load("[regroup]\nfunctions = 00:1f.0 00:1f.3\n[hook]\nreset_functions =\n"), 0);
	ck_assert_uint_eq(reset_for(passed, 3)->n, 2);

	/* an explicit reset_functions wins, whatever the VM passes */
	ck_assert_int_eq(load("[regroup]\nfunctions = 00:1f.0 00:1f.3\n[hook]\nreset_functions = 0:1f.3\n"), 0);
	l = reset_for(&igpu, 1);
	ck_assert_uint_eq(l->n, 1);
	ck_assert(addr_list_contains(l, &a));
	ck_assert(addr_list_contains(&cfg.functions, &a));
	ck_assert(!addr_list_contains(l, &lpc));

	/* nothing configured: nothing to reset */
	ck_assert_int_eq(load(""), 0);
	ck_assert_uint_eq(reset_for(passed, 3)->n, 0);
	ck_assert(!addr_list_contains(reset_for(passed, 3), &a));
}
END_TEST

START_TEST(vmid_selected)
{
	ck_assert_int_eq(load("[hook]\nvmids =\n"), 0);
	ck_assert(config_vmid_selected(&cfg, 100));
	ck_assert(config_vmid_selected(&cfg, 4242));

	ck_assert_int_eq(load("[hook]\nvmids = 100, 105\n"), 0);
	ck_assert(config_vmid_selected(&cfg, 100));
	ck_assert(config_vmid_selected(&cfg, 105));
	ck_assert(!config_vmid_selected(&cfg, 101));
	ck_assert(!config_vmid_selected(&cfg, 0));
}
END_TEST

START_TEST(done_is_idempotent)
{
	ck_assert_int_eq(load("[regroup]\nfunctions = 00:1f.3\n"), 0);
	config_done(&cfg);
	expect_cleared(&cfg);
	config_done(&cfg);
	config_done(NULL);
}
END_TEST

/* ---- malformed files: one exact message each ---- */

static const struct bad bad_sections[] = {
	/* reported once at the header; the keys inside are not checked */
	{ "[regroup]\nfunctions = 00:1f.3\n[foo]\nbar = 1\nbaz = 2\n", 3, "unknown section [foo]" },
	{ "[Regroup]\nfunctions = 00:1f.3\n", 1, "unknown section [Regroup]" },
	{ "[]\n", 1, "unknown section []" },
	{ "[regroup\nfunctions = 1f.3\n", 1, "unterminated section header (missing ']')" },
	{ "[regroup ; comment]\n", 1, "unterminated section header (missing ']')" },
	{ "[regroup] x\nfunctions = 00:1f.3\n", 1, "unexpected text 'x' after section header [regroup]" },
	{ "[hook]# c\n", 1, "unexpected text '# c' after section header [hook]" },
	{ "functions = 00:1f.3\n[regroup]\n", 1, "key 'functions' outside of any section" },
};

static const struct bad bad_keys[] = {
	{ "[regroup]\nfoo = 1\n", 2, "unknown key 'foo' in section [regroup]" },
	{ "[regroup]\nFunctions = 00:1f.3\n", 2, "unknown key 'Functions' in section [regroup]" },
	{ "[vfio]\nfunctions = 00:1f.3\n", 2, "unknown key 'functions' in section [vfio]" },
	{ "[network]\ntimeout_ms = 100\n\ntimeout_ms = 200\n", 4,
	  "duplicate key 'timeout_ms' in section [network] (first set on line 2)" },
	{ "[hook]\nvmids = 100\n[vfio]\n[hook]\nvmids = 101\n", 5,
	  "duplicate key 'vmids' in section [hook] (first set on line 2)" },
	{ "[regroup]\nfunctions =\nfunctions = 00:1f.3\n", 3,
	  "duplicate key 'functions' in section [regroup] (first set on line 2)" },
};

static const struct bad bad_chain[] = {
	{ "[hook]\nchain = hooks/mine.sh\n", 2, "invalid path 'hooks/mine.sh' for 'chain' (must be absolute)" },
	{ "[hook]\nchain = /var/lib/vz/../x.sh\n", 2,
	  "invalid path '/var/lib/vz/../x.sh' for 'chain' (no '.' or '..' components)" },
	{ "[hook]\nchain = /root/./x.sh\n", 2, "invalid path '/root/./x.sh' for 'chain' (no '.' or '..' components)" },
	{ "[hook]\nchain = /root/my hook.sh\n", 2, "invalid path '/root/my hook.sh' for 'chain' (no blanks)" },
};

static const struct bad bad_empty[] = {
	{ "[regroup]\ntimeout_ms =\n", 2, "empty value for 'timeout_ms'" },
	{ "[hook]\nreset_phase = \n", 2, "empty value for 'reset_phase'" },
	{ "[hook]\ncheck_isolation=\n", 2, "empty value for 'check_isolation'" },
	{ "[network]\naction =\n", 2, "empty value for 'action'" },
	{ "[network]\nwait_interface =\n", 2, "empty value for 'wait_interface'" },
	{ "[network]\ntimeout_ms = ; the default\n", 2, "empty value for 'timeout_ms'" },
};

static const struct bad bad_addresses[] = {
	{ "[regroup]\nfunctions = 1f.3\n", 2, "invalid PCI address '1f.3' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = 0000:00:1f\n", 2,
	  "invalid PCI address '0000:00:1f' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = 00:20.0\n", 2, "invalid PCI address '00:20.0' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = 00:1f.8\n", 2, "invalid PCI address '00:1f.8' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = ../x\n", 2, "invalid PCI address '../x' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = 0000:00:1f.3/remove\n", 2,
	  "invalid PCI address '0000:00:1f.3/remove' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = 0000:00:1f.3x\n", 2,
	  "invalid PCI address '0000:00:1f.3x' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = +0:1f.3\n", 2, "invalid PCI address '+0:1f.3' in 'functions'" ADDR_HINT },
	{ "[regroup]\nfunctions = 00:1f.0 0000:00:1f.3 00:1f.3\n", 2,
	  "duplicate PCI address '00:1f.3' in 'functions'" },
	{ "[regroup]\nfunctions = 00:1F.3, 0:1f.3\n", 2, "duplicate PCI address '0:1f.3' in 'functions'" },
	{ "[vfio]\ndevices = 0000:00:02\n", 2, "invalid PCI address '0000:00:02' in 'devices'" ADDR_HINT },
	{ "[vfio]\ndevices = 00:02.0 00:02.0\n", 2, "duplicate PCI address '00:02.0' in 'devices'" },
	{ "[hook]\nreset_functions = 00:1f.3 00:1f\n", 2,
	  "invalid PCI address '00:1f' in 'reset_functions'" ADDR_HINT },
};

static const struct bad bad_numbers[] = {
	{ "[regroup]\ntimeout_ms = 99\n", 2, "value 99 for 'timeout_ms' out of range (100..600000)" },
	{ "[regroup]\ntimeout_ms = 600001\n", 2, "value 600001 for 'timeout_ms' out of range (100..600000)" },
	{ "[regroup]\ntimeout_ms = 99999999999999999999999\n", 2,
	  "value 99999999999999999999999 for 'timeout_ms' out of range (100..600000)" },
	{ "[network]\ntimeout_ms = 0\n", 2, "value 0 for 'timeout_ms' out of range (100..600000)" },
	{ "[regroup]\ntimeout_ms = -5\n", 2, "invalid number '-5' for 'timeout_ms' (expected decimal digits)" },
	{ "[regroup]\ntimeout_ms = 10s\n", 2, "invalid number '10s' for 'timeout_ms' (expected decimal digits)" },
	{ "[regroup]\ntimeout_ms = 0x10\n", 2,
	  "invalid number '0x10' for 'timeout_ms' (expected decimal digits)" },
	{ "[regroup]\ntimeout_ms = +100\n", 2,
	  "invalid number '+100' for 'timeout_ms' (expected decimal digits)" },
	{ "[network]\ntimeout_ms = 1 000\n", 2,
	  "invalid number '1 000' for 'timeout_ms' (expected decimal digits)" },
	{ "[hook]\nvmids = 99\n", 2, "value 99 for 'vmids' out of range (100..999999999)" },
	{ "[hook]\nvmids = 1000000000\n", 2, "value 1000000000 for 'vmids' out of range (100..999999999)" },
	{ "[hook]\nvmids = abc\n", 2, "invalid number 'abc' for 'vmids' (expected decimal digits)" },
	{ "[hook]\nvmids = 100 -101\n", 2, "invalid number '-101' for 'vmids' (expected decimal digits)" },
	{ "[hook]\nvmids = 100, 101, 100\n", 2, "duplicate vmid '100' in 'vmids'" },
	{ "[hook]\nvmids = 100, 0100\n", 2, "duplicate vmid '0100' in 'vmids'" },
};

static const struct bad bad_enums[] = {
	{ "[hook]\nreset_phase = poststop\n", 2,
	  "invalid value 'poststop' for 'reset_phase' (expected post-stop, pre-stop or none)" },
	{ "[hook]\nreset_phase = Post-Stop\n", 2,
	  "invalid value 'Post-Stop' for 'reset_phase' (expected post-stop, pre-stop or none)" },
	{ "[hook]\nreset_phase = post-start\n", 2,
	  "invalid value 'post-start' for 'reset_phase' (expected post-stop, pre-stop or none)" },
	{ "[network]\naction = restart-now\n", 2,
	  "invalid value 'restart-now' for 'action' (expected reload, restart or none)" },
	{ "[network]\naction = reload restart\n", 2,
	  "invalid value 'reload restart' for 'action' (expected reload, restart or none)" },
	{ "[hook]\ncheck_isolation = maybe\n", 2,
	  "invalid boolean 'maybe' for 'check_isolation' (expected yes or no)" },
	{ "[hook]\ncheck_isolation = y\n", 2, "invalid boolean 'y' for 'check_isolation' (expected yes or no)" },
};

#define UNIT_HINT " (expected a unit name like networking.service)"

static const struct bad bad_units[] = {
	{ "[network]\nunits = networking\n", 2, "invalid unit name 'networking' in 'units'" UNIT_HINT },
	{ "[network]\nunits = networking.socket\n", 2,
	  "invalid unit name 'networking.socket' in 'units'" UNIT_HINT },
	{ "[network]\nunits = ../x.service\n", 2, "invalid unit name '../x.service' in 'units'" UNIT_HINT },
	{ "[network]\nunits = a/b.service\n", 2, "invalid unit name 'a/b.service' in 'units'" UNIT_HINT },
	{ "[network]\nunits = .service\n", 2, "invalid unit name '.service' in 'units'" UNIT_HINT },
	{ "[network]\nunits = foo@.service\n", 2, "invalid unit name 'foo@.service' in 'units'" UNIT_HINT },
	{ "[network]\nunits = @foo.service\n", 2, "invalid unit name '@foo.service' in 'units'" UNIT_HINT },
	{ "[network]\nunits = net*.service\n", 2, "invalid unit name 'net*.service' in 'units'" UNIT_HINT },
	{ "[network]\nunits = networking.service netbird.service networking.service\n", 2,
	  "duplicate unit 'networking.service' in 'units'" },
};

static const struct bad bad_interfaces[] = {
	{ "[network]\nwait_interface = abcdefghijklmnop\n", 2,
	  "invalid interface name 'abcdefghijklmnop' for 'wait_interface' (longer than 15 characters)" },
	{ "[network]\nwait_interface = a/b\n", 2,
	  "invalid interface name 'a/b' for 'wait_interface' (contains '/')" },
	{ "[network]\nwait_interface = :x\n", 2,
	  "invalid interface name ':x' for 'wait_interface' (contains ':')" },
	{ "[network]\nwait_interface = vmbr0 vmbr1\n", 2,
	  "invalid interface name 'vmbr0 vmbr1' for 'wait_interface' (contains whitespace)" },
	{ "[network]\nwait_interface = ..\n", 2,
	  "invalid interface name '..' for 'wait_interface' ('.' and '..' are not allowed)" },
	{ "[network]\nwait_interface = .\n", 2,
	  "invalid interface name '.' for 'wait_interface' ('.' and '..' are not allowed)" },
};

static const struct bad bad_lists[] = {
	{ "[regroup]\nfunctions = 00:1f.0,,00:1f.3\n", 2, "empty element in 'functions'" },
	{ "[regroup]\nfunctions = 00:1f.0, ,00:1f.3\n", 2, "empty element in 'functions'" },
	{ "[regroup]\nfunctions = , 00:1f.0\n", 2, "empty element in 'functions'" },
	{ "[regroup]\nfunctions = ,\n", 2, "empty element in 'functions'" },
	{ "[regroup]\nfunctions = 00:1f.0,\n", 2, "trailing comma in 'functions'" },
	{ "[vfio]\ndevices = 00:02.0 , \n", 2, "trailing comma in 'devices'" },
	{ "[hook]\nvmids = 100,\n", 2, "trailing comma in 'vmids'" },
	{ "[network]\nunits = networking.service,,netbird.service\n", 2, "empty element in 'units'" },
};

#define SYNTAX_MSG "syntax error: expected 'key = value' or '[section]'"
#define CONT_MSG "continuation lines are not supported; put the whole value on one line"

static const struct bad bad_syntax[] = {
	{ "[regroup]\nfunctions\n", 2, SYNTAX_MSG },
	{ "[regroup]\nfunctions = 00:1f.3\njunk\n", 3, SYNTAX_MSG },
	{ "[regroup]\nfunctions ; = 00:1f.3\n", 2, SYNTAX_MSG },
	{ "[regroup]\ntimeout_ms: 100\n", 2, "syntax error: expected '=' after 'timeout_ms'" },
	{ "[regroup]\n= 100\n", 2, "syntax error: missing key before '='" },
	{ "[regroup]\nfunctions = 00:1f.0\n  00:1f.3\n", 3, CONT_MSG },
	{ "[regroup]\nfunctions = 00:1f.0\n\n\ttimeout_ms = 100\n", 4, CONT_MSG },
	{ "[regroup]\nfunctions = 00:1f.0\n  [vfio]\n", 3, CONT_MSG },
	{ "[hook]\nvmids = 100 # my VM\n", 2, "unexpected '#' in 'vmids': only ';' starts a comment after a value" },
	{ "[network]\ntimeout_ms = #30000\n", 2,
	  "unexpected '#' in 'timeout_ms': only ';' starts a comment after a value" },
};

START_TEST(bad_section)
{
	expect_bad(&bad_sections[_i]);
}
END_TEST

START_TEST(bad_key)
{
	expect_bad(&bad_keys[_i]);
}
END_TEST

START_TEST(bad_chain_value)
{
	expect_bad(&bad_chain[_i]);
}
END_TEST

START_TEST(chain_accepted)
{
	struct igd_config c = {};

	ck_assert_int_eq(config_parse_string(ctx, "t.conf", "[hook]\nchain = /root/hooks/vm100.sh\n", &c), 0);
	ck_assert_str_eq(c.chain, "/root/hooks/vm100.sh");
	config_done(&c);
	ck_assert_int_eq(config_parse_string(ctx, "t.conf", "[hook]\nchain =\n", &c), 0);
	ck_assert_ptr_null(c.chain);
	config_done(&c);
}
END_TEST

START_TEST(bad_empty_value)
{
	expect_bad(&bad_empty[_i]);
}
END_TEST

START_TEST(bad_address)
{
	expect_bad(&bad_addresses[_i]);
}
END_TEST

START_TEST(bad_number)
{
	expect_bad(&bad_numbers[_i]);
}
END_TEST

START_TEST(bad_enum)
{
	expect_bad(&bad_enums[_i]);
}
END_TEST

START_TEST(bad_unit)
{
	expect_bad(&bad_units[_i]);
}
END_TEST

START_TEST(bad_interface)
{
	expect_bad(&bad_interfaces[_i]);
}
END_TEST

START_TEST(bad_list)
{
	expect_bad(&bad_lists[_i]);
}
END_TEST

START_TEST(bad_syntax_line)
{
	expect_bad(&bad_syntax[_i]);
}
END_TEST

START_TEST(line_too_long)
{
	_cleanup_(freep) char *comment = NULL, *unit = NULL, *header = NULL;
	char x[300];
	struct err e = { 2, "line too long (max 198 characters)" };

	ck_assert_uint_eq(CONFIG_LINE_MAX, 198);
	memset(x, 'x', sizeof(x));
	/* one character over, as a comment */
	ck_assert_int_ge(asprintf(&comment, "[regroup]\n#%.*s\nfunctions = 00:1f.3\n", 198, x), 0);
	expect_errors(comment, &e, 1);
	/* a 256-character unit name cannot fit on a line at all */
	ck_assert_int_ge(asprintf(&unit, "[network]\nunits = %.*s.service\n", 248, x), 0);
	expect_errors(unit, &e, 1);
	/* an over-long header: its keys are skipped, not reported as unknown in [regroup] */
	ck_assert_int_ge(asprintf(&header, "[regroup]\n[%.*s]\nfoo = 1\n", 200, x), 0);
	expect_errors(header, &e, 1);
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = "[regroup]\nfunc\0tions = 00:1f.3\n[vfio]\ndevices = 00:02.0\n";
	_cleanup_(freep) char *want = NULL;
	FILE *f = fopen(conf_path, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(conf_path, 0644), 0);

	ck_assert_int_eq(config_load(ctx, conf_path, &cfg), -EINVAL);
	ck_assert_int_ge(asprintf(&want, "3|%s:2: line contains a NUL byte\n", conf_path), 0);
	ck_assert_str_eq(log_text(), want);
}
END_TEST

/* Several problems in one file: every one is reported, in line order. */
START_TEST(every_problem_reported)
{
	static const char text[] = "# several problems\n"                          /* 1 */
				   "[regroup]\n"                                    /* 2 */
				   "functions = 00:1f.0, 1f.3, 00:20.0\n"           /* 3 */
				   "timeout_ms = 10s\n"                             /* 4 */
				   "bogus = 1\n"                                    /* 5 */
				   "[vfio]\n"                                       /* 6 */
				   "devices = 0000:00:02.0 0000:00:02.0\n"          /* 7 */
				   "[hook]\n"                                       /* 8 */
				   "vmids = 99, 100\n"                              /* 9 */
				   "reset_phase = later\n"                          /* 10 */
				   "check_isolation = perhaps\n"                    /* 11 */
				   "this is not a key value line\n"                 /* 12 */
				   "[nosuch]\n"                                     /* 13 */
				   "whatever = 1\n"                                 /* 14 */
				   "[network]\n"                                    /* 15 */
				   "units = networking\n"                           /* 16 */
				   "action = bounce\n"                              /* 17 */
				   "wait_interface = a/b\n"                         /* 18 */
				   "timeout_ms =\n"                                 /* 19 */
				   "timeout_ms = 5\n"                               /* 20 */
				   "   continued\n";                                /* 21 */
	static const struct err e[] = {
		{ 3, "invalid PCI address '1f.3' in 'functions'" ADDR_HINT },
		{ 3, "invalid PCI address '00:20.0' in 'functions'" ADDR_HINT },
		{ 4, "invalid number '10s' for 'timeout_ms' (expected decimal digits)" },
		{ 5, "unknown key 'bogus' in section [regroup]" },
		{ 7, "duplicate PCI address '0000:00:02.0' in 'devices'" },
		{ 9, "value 99 for 'vmids' out of range (100..999999999)" },
		{ 10, "invalid value 'later' for 'reset_phase' (expected post-stop, pre-stop or none)" },
		{ 11, "invalid boolean 'perhaps' for 'check_isolation' (expected yes or no)" },
		{ 12, SYNTAX_MSG },
		{ 13, "unknown section [nosuch]" },
		{ 16, "invalid unit name 'networking' in 'units'" UNIT_HINT },
		{ 17, "invalid value 'bounce' for 'action' (expected reload, restart or none)" },
		{ 18, "invalid interface name 'a/b' for 'wait_interface' (contains '/')" },
		{ 19, "empty value for 'timeout_ms'" },
		{ 20, "duplicate key 'timeout_ms' in section [network] (first set on line 19)" },
		{ 21, CONT_MSG },
	};

	expect_errors(text, e, ELEMENTSOF(e));
}
END_TEST

/* A bad last line without a newline is still seen. */
/* Writes "[regroup]" and n lines that are each one error (bogus keys, distinct). */
static void write_bad_lines(unsigned n)
{
	_cleanup_(freep) char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	fputs("[regroup]\n", f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "bogus%u = 1\n", i);
	ck_assert_int_eq(fclose(f), 0);
	tu_write_file(tmpdir, CONF_NAME, text);
}

/* The first CONFIG_ERRORS_SHOWN errors one by one, then one line with the count of the rest. */
START_TEST(many_errors_summarized)
{
	static const unsigned counts[] = { 100000, 21, CONFIG_ERRORS_SHOWN };
	unsigned n = counts[_i];
	_cleanup_(freep) char *first = NULL, *last_shown = NULL, *tail = NULL;

	write_bad_lines(n);
	ck_assert_int_eq(config_load(ctx, conf_path, &cfg), -EINVAL);
	ck_assert_int_ge(asprintf(&first, "3|%s:2: unknown key 'bogus0' in section [regroup]\n", conf_path), 0);
	ck_assert_int_ge(asprintf(&last_shown, "3|%s:%u: unknown key 'bogus%u' in section [regroup]\n",
				  conf_path, CONFIG_ERRORS_SHOWN + 1, CONFIG_ERRORS_SHOWN - 1),
			 0);
	ck_assert_msg(strncmp(log_text(), first, strlen(first)) == 0, "log starts:\n%.300s", log_text());
	ck_assert(strstr(log_text(), last_shown));
	if (n == CONFIG_ERRORS_SHOWN) {
		ck_assert_uint_eq(tu_log_lines(&logbuf), CONFIG_ERRORS_SHOWN);
		ck_assert(!strstr(log_text(), "more error"));
		return;
	}
	ck_assert_uint_eq(tu_log_lines(&logbuf), CONFIG_ERRORS_SHOWN + 1);
	ck_assert_int_ge(asprintf(&tail, "3|... and %u more error%s in %s\n", n - CONFIG_ERRORS_SHOWN,
				  n - CONFIG_ERRORS_SHOWN == 1 ? "" : "s", conf_path),
			 0);
	ck_assert_str_eq(log_text() + strlen(log_text()) - strlen(tail), tail);
	if (n == 100000)
		ck_assert(strstr(log_text(), "3|... and 99980 more errors in "));
}
END_TEST

START_TEST(last_line_checked)
{
	static const struct err syntax = { 2, SYNTAX_MSG };
	static const struct err value = { 2, "empty value for 'action'" };

	expect_errors("[network]\nwhat", &syntax, 1);
	expect_errors("[network]\naction=", &value, 1);
}
END_TEST

/* ---- the file itself ---- */

static void expect_refused(unsigned mode)
{
	_cleanup_(freep) char *want = NULL;

	tu_write_file_mode(tmpdir, CONF_NAME, "[regroup]\nfunctions = 00:1f.3\n", mode);
	ck_assert_int_eq(config_load(ctx, conf_path, &cfg), -EPERM);
	ck_assert_int_ge(asprintf(&want,
				  "3|%s: refusing to use a config file writable by group or others "
				  "(mode %04o); fix with: chmod go-w %s\n",
				  conf_path, mode, conf_path),
			 0);
	ck_assert_str_eq(log_text(), want);
	expect_cleared(&cfg);
	tu_log_reset(&logbuf);
}

START_TEST(writable_by_others_refused)
{
	expect_refused(0664);
	expect_refused(0646);
	expect_refused(0666);
	expect_refused(0620);
}
END_TEST

START_TEST(private_modes_accepted)
{
	static const unsigned modes[] = { 0644, 0600, 0444, 0400, 0640 };

	for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
		/* a read-only file cannot be rewritten by a non-root user: start afresh */
		(void)unlink(conf_path);
		tu_write_file_mode(tmpdir, CONF_NAME, "[regroup]\nfunctions = 00:1f.3\n", modes[i]);
		config_done(&cfg);
		ck_assert_int_eq(config_load(ctx, conf_path, &cfg), 0);
		ck_assert_uint_eq(cfg.functions.n, 1);
	}
	ck_assert_str_eq(log_text(), "");
}
END_TEST

START_TEST(foreign_owner_refused)
{
	_cleanup_(freep) char *want = NULL;

	/* Only root can give a file away; as a user, "owned by the caller" is what every other test loads. */
	if (geteuid() != 0)
		return;
	tu_write_file(tmpdir, CONF_NAME, "[regroup]\nfunctions = 00:1f.3\n");
	ck_assert_int_eq(chown(conf_path, 65534, 65534), 0);
	ck_assert_int_eq(config_load(ctx, conf_path, &cfg), -EPERM);
	ck_assert_int_ge(asprintf(&want,
				  "3|%s: refusing to use a config file owned by uid 65534; "
				  "it must be owned by root\n",
				  conf_path),
			 0);
	ck_assert_str_eq(log_text(), want);
	expect_cleared(&cfg);
}
END_TEST

START_TEST(not_a_regular_file)
{
	_cleanup_(freep) char *want = NULL;
	_cleanup_(freep) char *fifo = tu_path(tmpdir, "fifo");

	ck_assert_int_eq(config_load(ctx, tmpdir, &cfg), -EPERM);
	ck_assert_int_ge(asprintf(&want, "3|%s: refusing to use a config file that is not a regular file\n",
				  tmpdir),
			 0);
	ck_assert_str_eq(log_text(), want);
	expect_cleared(&cfg);

	/* a FIFO with no writer must not hang the load */
	tu_log_reset(&logbuf);
	free(want);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(config_load(ctx, fifo, &cfg), -EPERM);
	ck_assert_int_ge(asprintf(&want, "3|%s: refusing to use a config file that is not a regular file\n",
				  fifo),
			 0);
	ck_assert_str_eq(log_text(), want);
}
END_TEST

START_TEST(missing_file)
{
	_cleanup_(freep) char *want = NULL;

	ck_assert_int_eq(config_load(ctx, conf_path, &cfg), -ENOENT);
	ck_assert_int_ge(asprintf(&want, "3|%s: cannot open: No such file or directory\n", conf_path), 0);
	ck_assert_str_eq(log_text(), want);
	expect_cleared(&cfg);
}
END_TEST

START_TEST(symlink_followed)
{
	_cleanup_(freep) char *link = tu_path(tmpdir, "link.conf");

	tu_write_file(tmpdir, CONF_NAME, "[hook]\nvmids = 123\n");
	tu_symlink(tmpdir, "link.conf", CONF_NAME);
	ck_assert_int_eq(config_load(ctx, link, &cfg), 0);
	ck_assert_uint_eq(cfg.n_vmids, 1);
	ck_assert_uint_eq(cfg.vmids[0], 123);
}
END_TEST

/* ---- suite ---- */

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

#define ADD_LOOP(s, name, fn, table) \
	tcase_add_loop_test(tcase((s), (name)), (fn), 0, (int)ELEMENTSOF(table))

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");

	tcase_add_test(tcase(s, "defaults"), init_defaults);
	tcase_add_test(tcase(s, "empty"), empty_file_gives_defaults);
	tcase_add_test(tcase(s, "shipped"), shipped_conf_is_safe_defaults);
	tcase_add_test(tcase(s, "shipped-examples"), shipped_examples_parse);
	tcase_add_test(tcase(s, "seed-hp-elitedesk"), seed_hp_elitedesk);
	tcase_add_test(tcase(s, "seed-n100"), seed_n100);
	tcase_add_test(tcase(s, "seed-esprimo"), seed_esprimo);
	tcase_add_test(tcase(s, "every-key"), every_key_set);
	tcase_add_test(tcase(s, "list-separators"), list_separators);
	tcase_add_test(tcase(s, "booleans"), booleans);
	tcase_add_test(tcase(s, "phases-actions"), phases_and_actions);
	tcase_add_test(tcase(s, "strings"), strings_round_trip);
	tcase_add_test(tcase(s, "layout"), layout_tolerated);
	tcase_add_test(tcase(s, "longest-line"), longest_line);
	tcase_add_test(tcase(s, "units-interfaces"), units_and_interfaces);
	tcase_add_test(tcase(s, "reset-functions"), reset_functions_default_is_what_the_vm_passes);
	tcase_add_test(tcase(s, "vmid-selected"), vmid_selected);
	tcase_add_test(tcase(s, "done"), done_is_idempotent);

	ADD_LOOP(s, "bad-section", bad_section, bad_sections);
	ADD_LOOP(s, "bad-key", bad_key, bad_keys);
	ADD_LOOP(s, "bad-empty", bad_empty_value, bad_empty);
	ADD_LOOP(s, "bad-chain", bad_chain_value, bad_chain);
	tcase_add_test(tcase(s, "chain"), chain_accepted);
	ADD_LOOP(s, "bad-address", bad_address, bad_addresses);
	ADD_LOOP(s, "bad-number", bad_number, bad_numbers);
	ADD_LOOP(s, "bad-enum", bad_enum, bad_enums);
	ADD_LOOP(s, "bad-unit", bad_unit, bad_units);
	ADD_LOOP(s, "bad-interface", bad_interface, bad_interfaces);
	ADD_LOOP(s, "bad-list", bad_list, bad_lists);
	ADD_LOOP(s, "bad-syntax", bad_syntax_line, bad_syntax);
	tcase_add_test(tcase(s, "line-too-long"), line_too_long);
	tcase_add_test(tcase(s, "nul-byte"), nul_byte);
	tcase_add_test(tcase(s, "every-problem"), every_problem_reported);
	tcase_add_test(tcase(s, "last-line"), last_line_checked);
	tcase_add_loop_test(tcase(s, "many-errors"), many_errors_summarized, 0, 3);

	tcase_add_test(tcase(s, "mode-refused"), writable_by_others_refused);
	tcase_add_test(tcase(s, "mode-accepted"), private_modes_accepted);
	tcase_add_test(tcase(s, "owner-refused"), foreign_owner_refused);
	tcase_add_test(tcase(s, "not-regular"), not_a_regular_file);
	tcase_add_test(tcase(s, "missing"), missing_file);
	tcase_add_test(tcase(s, "symlink"), symlink_followed);
	return s;
}

TESTSUITE_MAIN(config_suite)
