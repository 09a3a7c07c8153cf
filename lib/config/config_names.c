/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config's spellings (sections, reset phases, network actions) and the
 * rules its names follow (systemd units, network interfaces, the chained
 * hookscript's path), each with the reason a name breaks it.
 */
#include <ctype.h>
#include <string.h>

#include "config/config_internal.h"

#define UNIT_NAME_MAX 255
#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

const char *const config_section_names[_CONFIG_SECTION_MAX] = {
	[CONFIG_SECTION_REGROUP] = "regroup",
	[CONFIG_SECTION_VFIO] = "vfio",
	[CONFIG_SECTION_HOOK] = "hook",
	[CONFIG_SECTION_NETWORK] = "network",
};

enum config_section config_section_from_name(const char *name)
{
	for (enum config_section i = 0; i < _CONFIG_SECTION_MAX; i++)
		if (config_section_names[i] && strcmp(config_section_names[i], name) == 0)
			return i;
	return CONFIG_SECTION_IGNORED;
}

static const char *const reset_phase_names[] = {
	[RESET_PHASE_POST_STOP] = "post-stop",
	[RESET_PHASE_PRE_STOP] = "pre-stop",
	[RESET_PHASE_NONE] = "none",
};

static const char *const net_action_names[] = {
	[NET_ACTION_RELOAD] = "reload",
	[NET_ACTION_RESTART] = "restart",
	[NET_ACTION_NONE] = "none",
};

const struct config_enum config_reset_phases = {
	.names = reset_phase_names,
	.n = ELEMENTSOF(reset_phase_names),
	.expected = "post-stop, pre-stop or none",
};

const struct config_enum config_net_actions = {
	.names = net_action_names,
	.n = ELEMENTSOF(net_action_names),
	.expected = "reload, restart or none",
};

static int enum_from_string(const struct config_enum *e, const char *s)
{
	for (size_t i = 0; s && i < e->n; i++)
		if (strcmp(s, e->names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *reset_phase_to_string(enum reset_phase p)
{
	return (size_t)p < config_reset_phases.n ? config_reset_phases.names[p] : NULL;
}

const char *net_action_to_string(enum net_action a)
{
	return (size_t)a < config_net_actions.n ? config_net_actions.names[a] : NULL;
}

int reset_phase_from_string(const char *s, enum reset_phase *ret)
{
	int i = enum_from_string(&config_reset_phases, s);

	if (i < 0)
		return i;
	*ret = (enum reset_phase)i;
	return 0;
}

int net_action_from_string(const char *s, enum net_action *ret)
{
	int i = enum_from_string(&config_net_actions, s);

	if (i < 0)
		return i;
	*ret = (enum net_action)i;
	return 0;
}

const char *config_unit_name_problem(const char *name)
{
	static const char suffix[] = ".service";
	static const char *const expected = "expected a unit name like networking.service";
	size_t len = strlen(name), prefix_len;
	const char *at;

	if (len > UNIT_NAME_MAX)
		return "longer than 255 characters";
	if (len <= strlen(suffix) || strcmp(name + len - strlen(suffix), suffix) != 0)
		return expected;
	prefix_len = len - strlen(suffix);
	/* systemd's characters; no '\\' escapes, and '/' never, so no path can be named. */
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.-@") != len)
		return expected;
	/* foo@bar.service is an instance; foo@.service is a template and cannot be reloaded. */
	at = memchr(name, '@', prefix_len);
	if (at && (at == name || at == name + prefix_len - 1))
		return expected;
	return NULL;
}

bool config_unit_name_is_valid(const char *name)
{
	return name && !config_unit_name_problem(name);
}

/* The kernel's rules (dev_valid_name): NULL when valid, else why not. */
static const char *ifname_problem(const char *name)
{
	if (!*name)
		return "empty";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "'.' and '..' are not allowed";
	if (strlen(name) > IFNAME_MAX)
		return "longer than 15 characters";
	for (const char *s = name; *s; s++) {
		if (*s == '/')
			return "contains '/'";
		if (*s == ':')
			return "contains ':'";
		if (isspace((unsigned char)*s))
			return "contains whitespace";
	}
	return NULL;
}

bool config_ifname_is_valid(const char *name)
{
	return name && !ifname_problem(name);
}

const struct config_string_rule config_rule_ifname = {
	.what = "interface name",
	.problem = ifname_problem,
};

/* The chained hookscript: an absolute path with no blanks and no "." or ".." components. */
static const char *chain_path_problem(const char *path)
{
	if (path[0] != '/')
		return "must be absolute";
	for (const char *c = path; *c; c++)
		if (isspace((unsigned char)*c))
			return "no blanks";
	for (const char *c = path; (c = strstr(c, "/.")); c++)
		if (c[2] == '/' || c[2] == '\0' || (c[2] == '.' && (c[3] == '/' || c[3] == '\0')))
			return "no '.' or '..' components";
	return NULL;
}

const struct config_string_rule config_rule_chain_path = {
	.what = "path",
	.problem = chain_path_problem,
};
