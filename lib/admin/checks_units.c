/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check: igd-regroup.service enabled, and how its run at this boot ended (asked over sd-bus). */
#include <string.h>

#include "admin/checks.h"
#include "core/macro.h"
#include "network/systemd_units.h"

#define BOOT_UNIT "igd-regroup.service"

static int get_string(sd_bus *bus, const char *path, const char *iface, const char *prop, char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

	return sd_bus_get_property_string(bus, SYSTEMD_BUS_NAME, path, iface, prop, &e, ret);
}

/* The unit's last run: "" when it ran fine, else a description; NULL when it has not run (not loaded). */
static int last_run(sd_bus *bus, char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(freep) char *active = NULL, *result = NULL;
	const char *path;
	int32_t status = 0;
	int r;

	*ret = NULL;
	r = sd_bus_call_method(bus, SYSTEMD_BUS_NAME, SYSTEMD_BUS_PATH, SYSTEMD_MANAGER_IFACE, "GetUnit", &e,
			       &reply, "s", BOOT_UNIT);
	if (r < 0)
		return sd_bus_error_has_name(&e, SYSTEMD_ERROR_NO_SUCH_UNIT) ? 0 : r;
	r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = get_string(bus, path, "org.freedesktop.systemd1.Unit", "ActiveState", &active);
	if (r >= 0)
		r = get_string(bus, path, "org.freedesktop.systemd1.Service", "Result", &result);
	if (r >= 0)
		r = sd_bus_get_property_trivial(bus, SYSTEMD_BUS_NAME, path, "org.freedesktop.systemd1.Service",
						"ExecMainStatus", &e, 'i', &status);
	if (r < 0)
		return r;
	if (strcmp(result, "success") == 0 && strcmp(active, "active") == 0)
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	if (strcmp(result, "success") == 0)
		return asprintf(ret, "%s, not run at this boot", active) < 0 ? -ENOMEM : 0;
	return asprintf(ret, "%s (%s, exit status %d)", active, result, (int)status) < 0 ? -ENOMEM : 0;
}

int check_boot_unit(const struct igd_ctx *ctx, struct check_report *r)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(freep) char *run = NULL;
	const char *state;
	int k;

	if (!units_bus_allowed(ctx))
		return check_report_add(r, CHECK_OK, "boot-unit", BOOT_UNIT " not asked: the root is not this host");
	k = units_bus_open(&bus);
	if (k >= 0)
		k = sd_bus_call_method(bus, SYSTEMD_BUS_NAME, SYSTEMD_BUS_PATH, SYSTEMD_MANAGER_IFACE,
				       "GetUnitFileState", &e, &reply, "s", BOOT_UNIT);
	if (k >= 0)
		k = sd_bus_message_read(reply, "s", &state);
	if (k < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_FILE_NOT_FOUND))
		return check_report_add(r, CHECK_WARN, "boot-unit",
					"systemd has no unit file " BOOT_UNIT ": the package is not installed (or "
					"make install ran without systemctl daemon-reload)");
	if (k < 0)
		return check_report_add(r, CHECK_WARN, "boot-unit", "cannot ask systemd about " BOOT_UNIT ": %s",
					e.message ? e.message : strerror(-k));
	if (strcmp(state, "enabled") != 0)
		return check_report_add(r, CHECK_WARN, "boot-unit",
					BOOT_UNIT " is %s: nothing splits the groups at boot; run systemctl enable "
					BOOT_UNIT,
					state);
	k = last_run(bus, &run);
	if (k == -ENOMEM)
		return k;
	if (k < 0 || !run)
		return check_report_add(r, CHECK_OK, "boot-unit", BOOT_UNIT " is enabled%s", k < 0 ? "" :
					"; it has not run since boot");
	if (!*run)
		return check_report_add(r, CHECK_OK, "boot-unit", BOOT_UNIT " is enabled and ran at this boot");
	return check_report_add(r, CHECK_WARN, "boot-unit",
				BOOT_UNIT " is enabled; its run at this boot: %s; see journalctl -b -u igd-regroup", run);
}
