/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-device.h>
#include <unistd.h>

#include "core/sysfs.h"
#include "core/time_util.h"
#include "topology/devwait.h"

#define POLL_MS 5

int devwait_present(const struct igd_ctx *ctx, const struct pci_addr *v, size_t n,
		    uint64_t deadline_ms, bool *present)
{
	for (;;) {
		size_t back = 0;

		for (size_t i = 0; i < n; i++) {
			bool p = sysfs_dev_present(ctx, &v[i]);
			if (present)
				present[i] = p;
			back += p;
		}
		if (back == n)
			return 0;
		if (now_ms() >= deadline_ms)
			return -ETIMEDOUT;
		sleep_ms(POLL_MS);
	}
}

static bool path_exists(const char *p)
{
	struct stat st;

	return p && stat(p, &st) == 0;
}

static bool udev_running(const struct igd_ctx *ctx)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/run/udev/control");

	return path_exists(p);
}

/* Under a test root: the database entries sd-device would look for. */
static bool initialized_in_tree(const struct igd_ctx *ctx, const struct pci_addr *a)
{
	_cleanup_(freep) char *db = igd_path(ctx, "/run/udev/data/+pci:%s", PCI_ADDR_STR(a));
	_cleanup_(freep) char *netdir = sysfs_dev_path(ctx, a, "net");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!path_exists(db))
		return false;
	d = netdir ? opendir(netdir) : NULL;
	if (!d)
		return true; /* not a NIC */
	while ((de = readdir(d))) {
		_cleanup_(freep) char *ifindex_path = NULL;
		_cleanup_(freep) char *ifindex = NULL;
		_cleanup_(freep) char *ndb = NULL;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&ifindex_path, "%s/%s/ifindex", netdir, de->d_name) < 0)
			return false;
		if (sysfs_read_line(ifindex_path, &ifindex) < 0)
			return false;
		ndb = igd_path(ctx, "/run/udev/data/n%s", ifindex);
		if (!path_exists(ndb))
			return false;
	}
	return true;
}

/* On the host: sd-device, for the function and every netdev below it. */
static bool initialized_on_host(const struct pci_addr *a)
{
	_cleanup_(sd_device_unrefp) sd_device *dev = NULL;
	_cleanup_(sd_device_enumerator_unrefp) sd_device_enumerator *e = NULL;

	if (sd_device_new_from_subsystem_sysname(&dev, "pci", PCI_ADDR_STR(a)) < 0)
		return false;
	if (sd_device_get_is_initialized(dev) <= 0)
		return false;
	if (sd_device_enumerator_new(&e) < 0 ||
	    sd_device_enumerator_add_match_parent(e, dev) < 0 ||
	    sd_device_enumerator_add_match_subsystem(e, "net", true) < 0)
		return false;
	for (sd_device *nd = sd_device_enumerator_get_device_first(e); nd;
	     nd = sd_device_enumerator_get_device_next(e)) {
		const char *renaming = NULL;

		if (sd_device_get_is_initialized(nd) <= 0)
			return false;
		/* udev sets ID_RENAMING while it moves eth0 to its final name */
		if (sd_device_get_property_value(nd, "ID_RENAMING", &renaming) >= 0)
			return false;
	}
	return true;
}

int devwait_udev(const struct igd_ctx *ctx, const struct pci_addr *v, size_t n, uint64_t deadline_ms)
{
	bool host = igd_ctx_root_is_host(ctx);

	if (!udev_running(ctx)) {
		log_debug(ctx, "udev is not running: not waiting for it.");
		return 0;
	}
	for (;;) {
		size_t done = 0;

		for (size_t i = 0; i < n; i++) {
			if (!sysfs_dev_present(ctx, &v[i]))
				done++; /* absent ones are reported by the caller */
			else if (host ? initialized_on_host(&v[i]) : initialized_in_tree(ctx, &v[i]))
				done++;
		}
		if (done == n)
			return 0;
		if (now_ms() >= deadline_ms)
			return -ETIMEDOUT;
		sleep_ms(POLL_MS);
	}
}

int devwait_udev_queue(const struct igd_ctx *ctx, uint64_t deadline_ms, uint64_t *ret_waited_ms)
{
	_cleanup_(freep) char *queue = igd_path(ctx, "/run/udev/queue");
	uint64_t t0 = now_ms();
	bool busy = false;

	if (!queue)
		return -ENOMEM;
	if (!udev_running(ctx)) {
		log_debug(ctx, "udev is not running: not waiting for its queue.");
		return 0;
	}
	for (;;) {
		if (access(queue, F_OK) < 0) {
			if (errno != ENOENT)
				return -errno;
			if (busy)
				log_info(ctx, "udev's event queue is empty after %llu ms.",
					 (unsigned long long)(now_ms() - t0));
			if (ret_waited_ms)
				*ret_waited_ms = now_ms() - t0;
			return 0;
		}
		if (!busy)
			log_info(ctx, "udev is still processing events (%s exists): waiting for its "
				      "queue to empty before binding.", queue);
		busy = true;
		if (now_ms() >= deadline_ms)
			return -ETIMEDOUT;
		sleep_ms(POLL_MS);
	}
}
