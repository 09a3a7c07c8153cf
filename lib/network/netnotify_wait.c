/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Step 1 of the network notifier: the NICs come back (the NIC wait). */
#include <string.h>

#include "core/time_util.h"
#include "network/netnotify_internal.h"
#include "network/netwatch.h"
#include "topology/devwait.h"

static int nic_current_name(const struct igd_ctx *ctx, const struct netnotify_nic *n, char **ret)
{
	return netwatch_ifname(ctx, &n->addr, n->ifname_recorded, ret);
}

/* The functions are back under bus/pci/devices (the engine's rescan re-added them). */
static int wait_present(const struct igd_ctx *ctx, const struct igd_config *cfg,
			const struct netnotify_result *res, const struct pci_addr *addrs, uint64_t deadline)
{
	_cleanup_(freep) bool *present = calloc(res->n_nics, sizeof(*present));
	int r;

	if (!present)
		return -ENOMEM;
	r = devwait_present(ctx, addrs, res->n_nics, deadline, present);
	if (r < 0)
		for (size_t i = 0; i < res->n_nics; i++)
			if (!present[i])
				log_error(ctx,
					  "%s (%s) did not come back within %u ms ([network] timeout_ms): "
					  "it is missing from %s/sys/bus/pci/devices. Check dmesg and "
					  "`lspci -s %s`; `igd-regroup apply` rescans the PCI bus.",
					  PCI_ADDR_STR(&addrs[i]), res->nics[i].ifname_recorded,
					  cfg->network_timeout_ms, igd_ctx_root(ctx),
					  PCI_ADDR_STR(&addrs[i]));
	return r;
}

/* Looks each NIC's interface up again; *ret_named: how many have one. */
static int name_nics(const struct igd_ctx *ctx, struct netnotify_result *res, size_t *ret_named)
{
	size_t named = 0;

	for (size_t i = 0; i < res->n_nics; i++) {
		struct netnotify_nic *n = &res->nics[i];
		int r;

		free(n->ifname);
		r = nic_current_name(ctx, n, &n->ifname);
		if (r < 0)
			return r;
		named += n->ifname != NULL;
	}
	*ret_named = named;
	return 0;
}

/* The driver registers the interface once it has probed the function. */
static int wait_named(const struct igd_ctx *ctx, const struct igd_config *cfg,
		      struct netnotify_result *res, uint64_t deadline)
{
	for (;;) {
		size_t named;
		int r = name_nics(ctx, res, &named);

		if (r < 0)
			return r;
		if (named == res->n_nics)
			return 0;
		if (now_ms() >= deadline)
			break;
		sleep_ms(NETNOTIFY_POLL_MS);
	}
	for (size_t i = 0; i < res->n_nics; i++)
		if (!res->nics[i].ifname)
			log_error(ctx,
				  "%s is back but has no network interface after %u ms: "
				  "is its driver loaded? Check `lspci -k -s %s` and dmesg.",
				  PCI_ADDR_STR(&res->nics[i].addr), cfg->network_timeout_ms,
				  PCI_ADDR_STR(&res->nics[i].addr));
	return -ETIMEDOUT;
}

static int wait_udev(const struct igd_ctx *ctx, const struct igd_config *cfg,
		     const struct netnotify_result *res, const struct pci_addr *addrs, uint64_t deadline)
{
	int r = devwait_udev(ctx, addrs, res->n_nics, deadline);

	if (r < 0)
		log_error(ctx,
			  "udev did not finish with %s (%s)%s within %u ms: check `udevadm info "
			  "/sys/class/net/%s` and `journalctl -u systemd-udevd`.",
			  PCI_ADDR_STR(&addrs[0]), res->nics[0].ifname,
			  res->n_nics > 1 ? " or another recorded NIC" : "", cfg->network_timeout_ms,
			  res->nics[0].ifname);
	return r;
}

/* udev has given each its final name: each NIC is back. */
static int take_final_names(const struct igd_ctx *ctx, struct netnotify_result *res)
{
	for (size_t i = 0; i < res->n_nics; i++) {
		struct netnotify_nic *n = &res->nics[i];
		int r;

		free(n->ifname);
		r = nic_current_name(ctx, n, &n->ifname);
		if (r < 0)
			return r;
		if (!n->ifname) {
			log_error(ctx, "%s lost its network interface while udev set it up: check dmesg.",
				  PCI_ADDR_STR(&n->addr));
			return -ENODEV;
		}
		n->back = true;
		if (strcmp(n->ifname, n->ifname_recorded) != 0)
			log_info(ctx, "%s came back as %s, not %s (udev named it so): using %s.",
				 PCI_ADDR_STR(&n->addr), n->ifname, n->ifname_recorded, n->ifname);
		else
			log_info(ctx, "%s is back as %s.", PCI_ADDR_STR(&n->addr), n->ifname);
	}
	return 0;
}

int netnotify_wait_nics(const struct igd_ctx *ctx, const struct igd_config *cfg,
			struct netnotify_result *res, uint64_t deadline)
{
	_cleanup_(freep) struct pci_addr *addrs = calloc(res->n_nics, sizeof(*addrs));
	int r;

	if (!addrs)
		return -ENOMEM;
	for (size_t i = 0; i < res->n_nics; i++)
		addrs[i] = res->nics[i].addr;

	r = wait_present(ctx, cfg, res, addrs, deadline);
	if (r >= 0)
		r = wait_named(ctx, cfg, res, deadline);
	if (r >= 0)
		r = wait_udev(ctx, cfg, res, addrs, deadline);
	if (r >= 0)
		r = take_final_names(ctx, res);
	return r;
}
