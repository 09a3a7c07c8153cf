/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Netdevs of the snapshot: every entry of sys/class/net, resolved to its
 * device directory and attached to the PCI device it sits under (a USB NIC
 * lands on its xHCI controller, which is what removing that function would
 * take down). Virtual interfaces (bridges, lo, VPN tunnels) attach nowhere;
 * a port's bridge is named in its `master`.
 */
#include <dirent.h>
#include <net/if.h>
#include <string.h>

#include "core/fileio.h"
#include "core/parse.h"
#include "core/sysfs.h"
#include "topology/snapshot_internal.h"

void snap_netdev_done(struct netdev_info *n)
{
	free(n->name);
	free(n->operstate);
	free(n->master);
	*n = (struct netdev_info){};
}

/* dir/attr's first line in *ret, or NULL when it cannot be read: only -ENOMEM is an error. */
static int read_optional(const char *dir, const char *attr, char **ret)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	*ret = NULL;
	if (asprintf(&path, "%s/%s", dir, attr) < 0)
		return -ENOMEM;
	r = sysfs_read_line(path, ret);
	return r == -ENOMEM ? r : 0;
}

static int read_master(const char *dir, char **ret)
{
	_cleanup_(freep) char *path = NULL, *target = NULL;
	int r;

	*ret = NULL;
	if (asprintf(&path, "%s/master", dir) < 0)
		return -ENOMEM;
	r = file_read_link(path, &target);
	if (r == -ENOMEM)
		return r;
	if (r < 0) /* not a port of anything */
		return 0;
	*ret = strdup(snap_basename(target));
	return *ret ? 0 : -ENOMEM;
}

/* Reads the netdev whose sysfs directory (through sys/class/net) is dir. Only -ENOMEM fails. */
static int netdev_read(const char *dir, const char *name, struct netdev_info *ret)
{
	_cleanup_(snap_netdev_done) struct netdev_info n = {};
	_cleanup_(freep) char *flags = NULL, *carrier = NULL;
	unsigned fl;
	int r;

	n.name = strdup(name);
	if (!n.name)
		return -ENOMEM;
	r = read_optional(dir, "operstate", &n.operstate);
	if (r >= 0)
		r = read_optional(dir, "flags", &flags);
	/* carrier cannot be read while the link is down (EINVAL): no carrier then. */
	if (r >= 0)
		r = read_optional(dir, "carrier", &carrier);
	if (r >= 0)
		r = read_master(dir, &n.master);
	if (r < 0)
		return r;
	/* flags is "0x1003": IFF_UP means the host configured the interface up. */
	n.admin_up = flags && safe_atou_base(flags, 16, &fl) == 0 && (fl & IFF_UP);
	n.carrier = carrier && strcmp(carrier, "1") == 0;
	*ret = n;
	n = (struct netdev_info){};
	return 0;
}

static int add_netdev(struct snap_build *b, const char *class_dir, const char *name)
{
	_cleanup_(freep) char *link = NULL, *real = NULL;
	struct netdev_info n, *v;
	struct pci_device *dev;

	if (asprintf(&link, "%s/%s", class_dir, name) < 0)
		return snap_log_oom(b->ctx);
	real = realpath(link, NULL);
	if (!real) {
		/* Gone since the directory was listed, or a dangling link: nothing to attach. */
		log_debug(b->ctx, "cannot resolve %s: %m; skipped", link);
		return 0;
	}
	dev = snap_owner(b, real);
	if (!dev)
		return 0;
	if (netdev_read(link, name, &n) < 0)
		return snap_log_oom(b->ctx);
	v = reallocarray(dev->netdevs, dev->n_netdevs + 1, sizeof(*v));
	if (!v) {
		snap_netdev_done(&n);
		return snap_log_oom(b->ctx);
	}
	dev->netdevs = v;
	dev->netdevs[dev->n_netdevs++] = n;
	return 0;
}

static int cmp_netdev(const void *x, const void *y)
{
	const struct netdev_info *a = x, *b = y;

	return strcmp(a->name, b->name);
}

int snap_read_netdevs(struct snap_build *b)
{
	_cleanup_(freep) char *dir = igd_path(b->ctx, "/sys/class/net");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!dir)
		return snap_log_oom(b->ctx);
	d = opendir(dir);
	if (!d)
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the network interfaces under %s: %m",
				     dir);
	while ((errno = 0, de = readdir(d))) {
		int r;

		if (de->d_name[0] == '.')
			continue;
		r = add_netdev(b, dir, de->d_name);
		if (r < 0)
			return r;
	}
	if (errno != 0)
		return igd_log_errno(b->ctx, LOG_ERR, errno, "cannot read the network interfaces under %s: %m",
				     dir);

	/* readdir order is arbitrary; reports and tests want a stable one. */
	for (size_t i = 0; i < b->snap->n_devices; i++) {
		struct pci_device *dev = &b->snap->devices[i];

		if (dev->n_netdevs > 1)
			qsort(dev->netdevs, dev->n_netdevs, sizeof(*dev->netdevs), cmp_netdev);
	}
	return 0;
}
