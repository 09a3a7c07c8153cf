/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The INI config: the key table, the handler libinih calls for each
 * "key = value", and loading (defaults first, then the file, parsed by the
 * system libinih through config_reader.c) and freeing.
 */
#include <ctype.h>
#include <fcntl.h>
#include <ini.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_internal.h"
#include "core/fileio.h"

#define FIELD(f) offsetof(struct igd_config, f)
#define LIST(f, type) \
	.parse = config_parse_list, .offset = FIELD(f.v), .n_offset = FIELD(f.n), .items = (type)
#define TIMEOUT_MS .parse = config_parse_unsigned, .min = TIMEOUT_MS_MIN, .max = TIMEOUT_MS_MAX

/* config_parse_enum stores an enum as the int it is. */
_Static_assert(sizeof(enum reset_phase) == sizeof(int), "enum reset_phase is not an int");
_Static_assert(sizeof(enum net_action) == sizeof(int), "enum net_action is not an int");

/* Every section and key of the file; conf/igd-regroup.conf and igd-regroup.conf(5) describe each one. */
const struct config_key config_keys[] = {
	{ CONFIG_SECTION_REGROUP, "functions", LIST(functions, &config_item_pci_addr), .empty_ok = true },
	{ CONFIG_SECTION_REGROUP, "timeout_ms", TIMEOUT_MS, .offset = FIELD(regroup_timeout_ms) },

	{ CONFIG_SECTION_VFIO, "devices", LIST(vfio_devices, &config_item_pci_addr), .empty_ok = true },

	{ CONFIG_SECTION_HOOK, "vmids", .parse = config_parse_list, .offset = FIELD(vmids),
	  .n_offset = FIELD(n_vmids), .items = &config_item_vmid, .empty_ok = true, .min = VMID_MIN,
	  .max = VMID_MAX },
	{ CONFIG_SECTION_HOOK, "reset_phase", .parse = config_parse_enum, .offset = FIELD(reset_phase),
	  .enum_type = &config_reset_phases },
	{ CONFIG_SECTION_HOOK, "reset_functions", LIST(reset_functions, &config_item_pci_addr),
	  .empty_ok = true },
	{ CONFIG_SECTION_HOOK, "check_isolation", .parse = config_parse_bool,
	  .offset = FIELD(check_isolation) },
	{ CONFIG_SECTION_HOOK, "chain", .parse = config_parse_checked_string, .offset = FIELD(chain),
	  .rule = &config_rule_chain_path, .empty_ok = true },

	{ CONFIG_SECTION_NETWORK, "units", .parse = config_parse_list, .offset = FIELD(units),
	  .n_offset = FIELD(n_units), .items = &config_item_unit, .empty_ok = true },
	{ CONFIG_SECTION_NETWORK, "action", .parse = config_parse_enum, .offset = FIELD(action),
	  .enum_type = &config_net_actions },
	{ CONFIG_SECTION_NETWORK, "wait_interface", .parse = config_parse_checked_string,
	  .offset = FIELD(wait_interface), .rule = &config_rule_ifname },
	{ CONFIG_SECTION_NETWORK, "timeout_ms", TIMEOUT_MS, .offset = FIELD(network_timeout_ms) },
};

const size_t config_n_keys = ELEMENTSOF(config_keys);

const struct config_key *config_key_find(enum config_section section, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (config_keys[i].section == section && strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* inih treats ';' after whitespace as the start of a comment, '#' only at the start of a line. */
static bool has_hash_comment(const char *value)
{
	for (const char *s = strchr(value, '#'); s; s = strchr(s + 1, '#'))
		if (s == value || isspace((unsigned char)s[-1]))
			return true;
	return false;
}

/*
 * The row for a "name = ..." line of the current section, first time set;
 * NULL after reporting why not, or in a section already reported (then
 * *ret_skip is set: the line is no error of its own).
 */
static const struct config_key *key_for_line(struct config_parser *p, const char *name, bool *ret_skip)
{
	const char *line = p->line + strspn(p->line, " \t\n\v\f\r");
	const char *section = config_section_names[p->section];
	const struct config_key *k;
	size_t idx;

	/* inih also takes "key: value" (the first of '=' and ':' splits); we want '='. */
	if (line[strcspn(line, "=:")] == ':') {
		config_report(p, "syntax error: expected '=' after '%s'", name);
		return NULL;
	}
	if (!name[0]) {
		config_report(p, "syntax error: missing key before '='");
		return NULL;
	}
	/* Our own section: inih's may be the one before a broken header. */
	if (p->section == CONFIG_SECTION_NONE) {
		config_report(p, "key '%s' outside of any section", name);
		return NULL;
	}
	if (p->section == CONFIG_SECTION_IGNORED) {
		*ret_skip = true;
		return NULL;
	}

	k = config_key_find(p->section, name);
	if (!k) {
		config_report(p, "unknown key '%s' in section [%s]", name, section);
		return NULL;
	}
	idx = (size_t)(k - config_keys);
	if (p->seen[idx]) {
		config_report(p, "duplicate key '%s' in section [%s] (first set on line %u)", name,
			      section, p->seen[idx]);
		return NULL;
	}
	p->seen[idx] = p->lineno;
	return k;
}

/* inih's handler, called for "key = value" and for an indented line after one; 0 tells inih "error". */
static int handler(void *user, const char *section _unused_, const char *name, const char *value)
{
	struct config_parser *p = user;
	const struct config_key *k;
	bool skip = false;

	p->handled = true;
	if (p->fatal < 0)
		return 0;
	if (p->prev_key && isspace((unsigned char)p->line[0])) {
		config_report(p, "continuation lines are not supported; put the whole value on one line");
		return 0;
	}
	p->prev_key = name[0] != '\0';

	k = key_for_line(p, name, &skip);
	if (!k)
		return skip;
	if (has_hash_comment(value)) {
		config_report(p, "unexpected '#' in '%s': only ';' starts a comment after a value", name);
		return 0;
	}
	if (!value[0] && !k->empty_ok) {
		config_report(p, "empty value for '%s'", name);
		return 0;
	}
	return k->parse(p, k, value) >= 0;
}

static void parser_done(struct config_parser *p)
{
	free(p->line);
	free(p->seen);
	config_done(&p->cfg);
}

static int parse(const struct igd_ctx *ctx, const char *name, FILE *f, const char *text,
		 struct igd_config *ret)
{
	_cleanup_(parser_done) struct config_parser p = {
		.ctx = ctx, .name = name, .f = f, .text = text, .handled = true /* no line yet */
	};
	int r;

	r = config_init_defaults(&p.cfg);
	p.seen = calloc(ELEMENTSOF(config_keys), sizeof(*p.seen));
	if (r == 0 && !p.seen)
		r = -ENOMEM;
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "%s: %m", name);

	r = ini_parse_stream(config_reader, &p, handler, &p);
	config_reader_finish(&p);

	if (r == -2 && p.fatal == 0)
		p.fatal = -ENOMEM;
	if (p.fatal < 0)
		return igd_log_errno(ctx, LOG_ERR, p.fatal, "%s: cannot read: %m", name);
	/* Every line inih can fail on is reported above; this only guards against a surprise. */
	if (r > 0 && p.n_errors == 0)
		config_report_at(&p, (unsigned)r, "syntax error");
	if (r < 0 && p.n_errors == 0)
		return igd_log_errno(ctx, LOG_ERR, EIO, "%s: parser failed (%d)", name, r);
	r = config_errors_finish(&p);
	if (r < 0)
		return r;

	*ret = p.cfg;
	p.cfg = (struct igd_config){};
	return 0;
}

int config_init_defaults(struct igd_config *cfg)
{
	struct igd_config c = {
		.regroup_timeout_ms = REGROUP_TIMEOUT_MS_DEFAULT,
		.reset_phase = RESET_PHASE_POST_STOP,
		.check_isolation = true,
		.action = NET_ACTION_RELOAD,
		.network_timeout_ms = NETWORK_TIMEOUT_MS_DEFAULT,
	};

	c.units = calloc(1, sizeof(*c.units));
	if (c.units)
		c.units[0] = strdup("networking.service");
	c.n_units = c.units && c.units[0] ? 1 : 0;
	c.wait_interface = strdup("vmbr0");
	if (c.n_units == 0 || !c.wait_interface) {
		config_done(&c);
		return -ENOMEM;
	}
	*cfg = c;
	return 0;
}

void config_done(struct igd_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->functions.v);
	free(cfg->vfio_devices.v);
	free(cfg->vmids);
	free(cfg->reset_functions.v);
	for (size_t i = 0; cfg->units && i < cfg->n_units; i++)
		free(cfg->units[i]);
	free(cfg->units);
	free(cfg->wait_interface);
	free(cfg->chain);
	*cfg = (struct igd_config){};
}

/* Refuse what sshd's StrictModes would: a file others can write must not decide what is removed. */
static int check_file(const struct igd_ctx *ctx, const char *path, const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		log_error(ctx, "%s: refusing to use a config file owned by uid %u; it must be owned by root",
			  path, (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		log_error(ctx,
			  "%s: refusing to use a config file writable by group or others (mode %04o); "
			  "fix with: chmod go-w %s",
			  path, (unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int config_load(const struct igd_ctx *ctx, const char *path, struct igd_config *cfg)
{
	_cleanup_(fclosep) FILE *f = NULL;
	struct stat st;
	int r;

	*cfg = (struct igd_config){};

	/* links are followed: an admin may link /etc/igd-regroup.conf; what it names is checked */
	r = file_open_regular(path, 0, &f, &st);
	if (r == -EBADFD || r == -EISDIR) {
		log_error(ctx, "%s: refusing to use a config file that is not a regular file", path);
		return -EPERM;
	}
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, -r, "%s: cannot open: %m", path);
	r = check_file(ctx, path, &st);
	if (r < 0)
		return r;
	return parse(ctx, path, f, NULL, cfg);
}

int config_parse_string(const struct igd_ctx *ctx, const char *name, const char *text, struct igd_config *cfg)
{
	*cfg = (struct igd_config){};
	return parse(ctx, name, NULL, text ? text : "", cfg);
}
