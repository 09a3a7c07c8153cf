/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Steps 3 and 4 of the network notifier: the check of the network, and each NIC's downtime. */
#include "core/sysfs.h"
#include "core/time_util.h"
#include "network/netnotify_internal.h"
#include "network/netwatch.h"

static char *iface_master(const struct igd_ctx *ctx, const char *ifname)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/class/net/%s/master", ifname);
	char *m = NULL;

	if (!p || sysfs_read_link_name(p, &m) < 0)
		return NULL;
	return m;
}

static void log_not_back(const struct igd_ctx *ctx, const struct netnotify_result *res, const char *after)
{
	if (!res->interface_up) {
		_cleanup_(freep) char *state = NULL;

		netwatch_iface_up(ctx, res->wait_interface, &state);
		log_error(ctx,
			  "%s is not up (%s) %s: check `ip link show %s` and its stanza in "
			  "/etc/network/interfaces.",
			  res->wait_interface, state ? state : "it does not exist", after,
			  res->wait_interface);
	}
	for (size_t i = 0; i < res->n_nics; i++) {
		const struct netnotify_nic *n = &res->nics[i];
		_cleanup_(freep) char *master = NULL;

		if (!n->back || n->verified)
			continue;
		if (!n->bridge) {
			log_error(ctx,
				  "%s (%s) is not up %s: check `ip link show %s` and its stanza in "
				  "/etc/network/interfaces.",
				  n->ifname, PCI_ADDR_STR(&n->addr), after, n->ifname);
			continue;
		}
		if (netwatch_is_port(ctx, n->ifname, n->bridge)) {
			log_error(ctx,
				  "%s (%s) is a port of %s again but has no carrier %s: its link is down. "
				  "Check the cable and `ip link show %s`.",
				  n->ifname, PCI_ADDR_STR(&n->addr), n->bridge, after, n->ifname);
			continue;
		}
		master = iface_master(ctx, n->ifname);
		log_error(ctx,
			  "%s (%s) is not a port of %s %s (it was before the removal; now %s%s). "
			  "Check the bridge-ports line of %s in /etc/network/interfaces and "
			  "`journalctl -u %s`.",
			  n->ifname, PCI_ADDR_STR(&n->addr), n->bridge, after,
			  master ? "in " : "in no bridge", master ? master : "", n->bridge,
			  res->n_units ? res->units[0].name : "networking.service");
	}
}

int netnotify_verify(const struct igd_ctx *ctx, struct netnotify_result *res, struct netwatch *w,
		     uint64_t deadline, const char *after)
{
	for (;;) {
		bool all;

		res->interface_up = !res->wait_interface ||
				    netwatch_iface_up(ctx, res->wait_interface, NULL);
		all = res->interface_up;
		for (size_t i = 0; i < res->n_nics; i++) {
			struct netnotify_nic *n = &res->nics[i];

			if (!n->back)
				all = false;
			else if (!n->verified && netwatch_in_place(ctx, n->ifname, n->bridge)) {
				n->verified = true;
				/* the watcher may not have looked since */
				netwatch_note(w, i, boottime_usec());
			}
			all = all && n->verified;
		}
		if (all)
			return 0;
		if (now_ms() >= deadline)
			break;
		sleep_ms(NETNOTIFY_POLL_MS);
	}
	log_not_back(ctx, res, after);
	return -ETIMEDOUT;
}

/* ---- step 4: the downtime ---- */

void netnotify_downtimes(const struct igd_ctx *ctx, struct netnotify_result *res, struct netwatch *w)
{
	for (size_t i = 0; i < res->n_nics; i++) {
		struct netnotify_nic *n = &res->nics[i];

		n->back_usec = netwatch_back_usec(w, i);
		/* 0, or a time after this boot's clock (a record of another kind): unknown */
		n->downtime_known = n->removed_usec && n->back_usec > n->removed_usec;
		n->downtime_ms = n->downtime_known ? (n->back_usec - n->removed_usec) / 1000u : 0;
		if (!n->verified)
			continue;
		if (n->downtime_known)
			log_info(ctx, "%s (%s) is back%s%s: the host network was away for %llu.%03llu s.",
				 n->ifname, PCI_ADDR_STR(&n->addr), n->bridge ? " in " : "",
				 n->bridge ? n->bridge : "", (unsigned long long)(n->downtime_ms / 1000),
				 (unsigned long long)(n->downtime_ms % 1000));
		else
			log_info(ctx,
				 "%s (%s) is back%s%s; %s has no time of its removal, so no downtime is "
				 "reported (igd-regroup stopped before removing it, or could not "
				 "note the time).",
				 n->ifname, PCI_ADDR_STR(&n->addr), n->bridge ? " in " : "",
				 n->bridge ? n->bridge : "", NETNOTIFY_RECORD);
	}
}

bool netnotify_network_back(const struct netnotify_result *res)
{
	bool back = res->interface_up || !res->wait_interface;

	for (size_t i = 0; i < res->n_nics; i++)
		back = back && res->nics[i].verified;
	return back;
}
