/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#include "core/sysfs.h"
#include "core/time_util.h"
#include "network/netwatch.h"

/* The watcher's period: the downtime it reports is late by at most this. */
#define WATCH_MS 10

int netwatch_ifname(const struct igd_ctx *ctx, const struct pci_addr *addr, const char *recorded,
		    char **ret)
{
	_cleanup_(freep) char *netdir = sysfs_dev_path(ctx, addr, "net");
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_(freep) char *best = NULL;
	struct dirent *de;

	*ret = NULL;
	if (!netdir)
		return -ENOMEM;
	d = opendir(netdir);
	if (!d)
		return 0; /* no interface (yet) */
	while ((de = readdir(d))) {
		bool is_recorded = strcmp(de->d_name, recorded) == 0;

		if (de->d_name[0] == '.' || (best && !is_recorded && strcmp(de->d_name, best) > 0))
			continue;
		free(best);
		best = strdup(de->d_name);
		if (!best)
			return -ENOMEM;
		if (is_recorded)
			break;
	}
	*ret = TAKE_PTR(best);
	return 0;
}

static char *net_attr(const struct igd_ctx *ctx, const char *ifname, const char *attr)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/class/net/%s/%s", ifname, attr);
	char *v = NULL;

	if (!p || sysfs_read_line(p, &v) < 0)
		return NULL;
	return v;
}

bool netwatch_has_carrier(const struct igd_ctx *ctx, const char *ifname)
{
	_cleanup_(freep) char *carrier = net_attr(ctx, ifname, "carrier");

	return carrier && strcmp(carrier, "1") == 0;
}

bool netwatch_iface_up(const struct igd_ctx *ctx, const char *ifname, char **ret_state)
{
	_cleanup_(freep) char *flags = net_attr(ctx, ifname, "flags");
	char *state = net_attr(ctx, ifname, "operstate");
	bool admin_up = flags && (strtoul(flags, NULL, 16) & IFF_UP);
	bool up = admin_up && state &&
		  (strcmp(state, "up") == 0 ||
		   (strcmp(state, "unknown") == 0 && netwatch_has_carrier(ctx, ifname)));

	if (ret_state) {
		if (!state || admin_up)
			*ret_state = state;
		else {
			free(state);
			*ret_state = strdup("configured down");
		}
	} else
		free(state);
	return up;
}

bool netwatch_is_port(const struct igd_ctx *ctx, const char *ifname, const char *bridge)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/class/net/%s/brif/%s", bridge, ifname);
	struct stat st;

	return p && lstat(p, &st) == 0;
}

bool netwatch_in_place(const struct igd_ctx *ctx, const char *ifname, const char *bridge)
{
	if (!bridge)
		return netwatch_iface_up(ctx, ifname, NULL);
	return netwatch_is_port(ctx, ifname, bridge) && netwatch_has_carrier(ctx, ifname);
}

/* A watched NIC: the caller's, with its own copies of the strings and the paths of the quick look. */
struct watched {
	struct netwatch_nic nic;
	char *brif;     /* <root>/sys/class/net/BRIDGE/brif/RECORDED, or NULL */
	char *recorded; /* <root>/sys/bus/pci/devices/ADDR/net/RECORDED */
};

struct netwatch {
	const struct igd_ctx *ctx;
	struct watched *nics;
	size_t n;
	_Atomic uint64_t *back_usec;
	atomic_bool stop;
	bool running;
	pthread_t thread;
};

void netwatch_note(struct netwatch *w, size_t i, uint64_t usec)
{
	uint64_t cur = atomic_load(&w->back_usec[i]);

	while ((cur == 0 || usec < cur) &&
	       !atomic_compare_exchange_weak(&w->back_usec[i], &cur, usec))
		;
}

uint64_t netwatch_back_usec(struct netwatch *w, size_t i)
{
	return atomic_load(&w->back_usec[i]);
}

/*
 * One look at NIC i. It runs a hundred times a second beside ifreload, so
 * the usual cases cost one or two system calls: a port under its recorded
 * name (then its carrier), or its recorded name not a port yet. Only a NIC
 * without its recorded name (absent, or renamed by udev) is looked up.
 */
static bool look(struct netwatch *w, size_t i)
{
	const struct watched *n = &w->nics[i];
	_cleanup_(freep) char *ifname = NULL;
	struct stat st;

	if (n->brif && lstat(n->brif, &st) == 0)
		return netwatch_has_carrier(w->ctx, n->nic.ifname_recorded);
	if (n->brif && lstat(n->recorded, &st) == 0)
		return false;
	if (netwatch_ifname(w->ctx, &n->nic.addr, n->nic.ifname_recorded, &ifname) < 0 || !ifname)
		return false;
	return netwatch_in_place(w->ctx, ifname, n->nic.bridge);
}

static void *watch_main(void *p)
{
	struct netwatch *w = p;

	while (!atomic_load(&w->stop)) {
		size_t seen = 0;

		for (size_t i = 0; i < w->n; i++) {
			if (!netwatch_back_usec(w, i) && look(w, i))
				netwatch_note(w, i, boottime_usec());
			seen += netwatch_back_usec(w, i) != 0;
		}
		if (seen == w->n)
			break;
		sleep_ms(WATCH_MS);
	}
	return NULL;
}

int netwatch_start(const struct igd_ctx *ctx, const struct netwatch_nic *nics, size_t n,
		   struct netwatch **ret)
{
	struct netwatch *w = calloc(1, sizeof(*w));
	int r;

	*ret = NULL;
	if (!w)
		return -ENOMEM;
	w->ctx = ctx;
	w->nics = calloc(n ? n : 1, sizeof(*w->nics));
	w->back_usec = calloc(n ? n : 1, sizeof(*w->back_usec));
	if (!w->nics || !w->back_usec) {
		netwatch_free(w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct watched *v = &w->nics[i];

		v->nic.addr = nics[i].addr;
		v->nic.ifname_recorded = strdup(nics[i].ifname_recorded);
		v->nic.bridge = nics[i].bridge ? strdup(nics[i].bridge) : NULL;
		v->recorded = igd_path(ctx, "/sys/bus/pci/devices/%s/net/%s", PCI_ADDR_STR(&nics[i].addr),
				       nics[i].ifname_recorded);
		v->brif = nics[i].bridge ? igd_path(ctx, "/sys/class/net/%s/brif/%s", nics[i].bridge,
						    nics[i].ifname_recorded)
					 : NULL;
		w->n++;
		if (!v->nic.ifname_recorded || !v->recorded ||
		    (nics[i].bridge && (!v->nic.bridge || !v->brif))) {
			netwatch_free(w);
			return -ENOMEM;
		}
	}
	atomic_init(&w->stop, false);
	*ret = w;
	r = -pthread_create(&w->thread, NULL, watch_main, w);
	w->running = r == 0;
	return r;
}

void netwatch_free(struct netwatch *w)
{
	if (!w)
		return;
	if (w->running) {
		atomic_store(&w->stop, true);
		pthread_join(w->thread, NULL);
	}
	for (size_t i = 0; i < w->n; i++) {
		free((char *)w->nics[i].nic.ifname_recorded);
		free((char *)w->nics[i].nic.bridge);
		free(w->nics[i].brif);
		free(w->nics[i].recorded);
	}
	free(w->nics);
	free(w->back_usec);
	free(w);
}
