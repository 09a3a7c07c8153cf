/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one INI file (/etc/igd-regroup.conf), parsed with the system libinih.
 * Defaults first, then the file; every problem is logged through the
 * context as "PATH:LINE: message" and the whole load fails with -EINVAL,
 * so nothing is acted on with a half-read config.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/pci_addr.h"

enum reset_phase {
	RESET_PHASE_POST_STOP,
	RESET_PHASE_PRE_STOP,
	RESET_PHASE_NONE,
};

enum net_action {
	NET_ACTION_RELOAD,  /* ReloadOrRestartUnit */
	NET_ACTION_RESTART, /* RestartUnit: disruptive, drops guest ports */
	NET_ACTION_NONE,
};

struct addr_list {
	struct pci_addr *v;
	size_t n;
};

#define REGROUP_TIMEOUT_MS_DEFAULT 10000u
#define NETWORK_TIMEOUT_MS_DEFAULT 30000u
#define TIMEOUT_MS_MIN 100u
#define TIMEOUT_MS_MAX 600000u
#define VMID_MIN 100u
#define VMID_MAX 999999999u

/*
 * The longest line accepted, in characters without the newline: libinih's
 * line buffer (INI_MAX_LINE, 200 bytes in Debian's build) less '\n' and NUL.
 */
#define CONFIG_LINE_MAX 198u
/* Errors reported one by one; the rest are counted in one line. */
#define CONFIG_ERRORS_SHOWN 20u

struct igd_config {
	/* [regroup] */
	struct addr_list functions; /* removed in this order, then one rescan */
	unsigned regroup_timeout_ms;

	/* [vfio] */
	struct addr_list vfio_devices;

	/* [hook] */
	uint32_t *vmids; /* empty: every VM the hook is attached to */
	size_t n_vmids;
	enum reset_phase reset_phase;
	struct addr_list reset_functions; /* empty: the [regroup] functions the VM passes */
	bool check_isolation;
	char *chain; /* another hookscript run after ours with the same arguments, or NULL */

	/* [network] */
	char **units;
	size_t n_units;
	enum net_action action;
	char *wait_interface;
	unsigned network_timeout_ms;
};

/* Fills in the documented defaults. Returns 0 or -ENOMEM. */
int config_init_defaults(struct igd_config *cfg);
void config_done(struct igd_config *cfg);

/*
 * Loads path: refuses a file not owned by root (or the calling user) or
 * writable by group/others (-EPERM), -ENOENT/-EACCES when it cannot be
 * opened, -EINVAL after logging every problem, 0 on success. On failure
 * *cfg is left initialized to the defaults' state freed (config_done is safe).
 * Also -EPERM for anything but a regular file (a directory, a FIFO).
 * *cfg is output only: it is overwritten, not freed first.
 */
int config_load(const struct igd_ctx *ctx, const char *path, struct igd_config *cfg);

/* Same rules from a string; name is used in messages in place of the path. No permission check. */
int config_parse_string(const struct igd_ctx *ctx, const char *name, const char *text,
			struct igd_config *cfg);

/*
 * The functions the hook resets for a VM that passes passed[0..n): reset_functions
 * when set; else the [regroup] functions among passed, in [regroup] order. The
 * boot split gave each function its own group: a VM stop renews only what the VM
 * touched, and leaves the rest (the host's NIC) alone. *ret is malloc'd (free
 * ret->v). 0 or -ENOMEM.
 */
int config_reset_functions_for(const struct igd_config *cfg, const struct pci_addr *passed,
			       size_t n, struct addr_list *ret);

bool addr_list_contains(const struct addr_list *l, const struct pci_addr *a);
bool config_vmid_selected(const struct igd_config *cfg, uint32_t vmid);

const char *reset_phase_to_string(enum reset_phase p);
const char *net_action_to_string(enum net_action a);
/* The config's spellings ("post-stop", "reload", ...): 0, or -EINVAL leaving *ret untouched. */
int reset_phase_from_string(const char *s, enum reset_phase *ret);
int net_action_from_string(const char *s, enum net_action *ret);

/*
 * The rules the config applies to [network] units and wait_interface: a
 * systemd service name (foo.service, foo@bar.service; at most 255 characters
 * of [A-Za-z0-9:_.@-]), and a kernel interface name (1..15 characters, no
 * '/', ':' or whitespace, not "." or "..").
 */
bool config_unit_name_is_valid(const char *name);
bool config_ifname_is_valid(const char *name);
