/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running units of VPN agents that bind to the host's interfaces: after
 * the NIC comes back they need a reload too (the seeds' netbird). Asked of
 * systemd over D-Bus (ListUnitsByPatterns), as `systemctl list-units` does.
 */
#include <stdlib.h>
#include <string.h>

#include "admin/detect_agents.h"
#include "core/macro.h"
#include "network/systemd_units.h"

static const char *const agent_patterns[] = {
	"netbird.service", "netbird@*.service", "tailscaled.service", "wg-quick@*.service", "zerotier-one.service",
};

static const char *const active_states[] = { "active", "reloading", "activating" };

static int append_strv(sd_bus_message *m, const char *const *v, size_t n)
{
	int r = sd_bus_message_open_container(m, 'a', "s");

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(m, "s", v[i]);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Reads ListUnits' a(ssssssouso): the first field is the unit's name. */
static int read_names(sd_bus_message *reply, char ***ret, size_t *ret_n)
{
	char **v = NULL;
	size_t n = 0;
	const char *name;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL,
						  NULL, NULL, NULL, NULL)) > 0) {
		char **w = reallocarray(v, n + 1, sizeof(*v));

		if (!w) {
			r = -ENOMEM;
			break;
		}
		v = w;
		v[n] = strdup(name);
		if (!v[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return r;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}

int detect_running_agents(const struct igd_ctx *ctx, char ***ret, size_t *ret_n)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!units_bus_allowed(ctx))
		return -EOPNOTSUPP;
	r = units_bus_open(&bus);
	if (r >= 0)
		r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_BUS_NAME, SYSTEMD_BUS_PATH,
						   SYSTEMD_MANAGER_IFACE, "ListUnitsByPatterns");
	if (r >= 0)
		r = append_strv(m, active_states, ELEMENTSOF(active_states));
	if (r >= 0)
		r = append_strv(m, agent_patterns, ELEMENTSOF(agent_patterns));
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &error, &reply);
	if (r < 0) {
		log_debug(ctx, "cannot list the running units: %s", error.message ? error.message : strerror(-r));
		return r;
	}
	return read_names(reply, ret, ret_n);
}
