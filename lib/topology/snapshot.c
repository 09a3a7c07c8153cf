/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The snapshot's PCI part: enumeration through libpci (its sysfs backend,
 * pointed at the context's root), then what libpci does not tell: bridges and
 * whether there is an IOMMU at all. Netdevs: snapshot_net.c; block devices
 * and their use: snapshot_block.c.
 *
 * What libpci 3.9's sysfs backend reads for the fields asked here, per device
 * under <sysfs.path>/devices/<addr>/: vendor, device and class are mandatory
 * (a missing one is a fatal libpci error); revision, subsystem_vendor and
 * subsystem_device are optional, and only when they are missing does it fall
 * back to the config file; the driver and iommu_group links are optional.
 * resource and irq would be mandatory too, but only for PCI_FILL_BASES/IRQ,
 * which we do not ask for.
 */
#include <dirent.h>
#include <limits.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "core/parse.h"
#include "topology/snapshot_internal.h"
#include "topology/vfio_holders.h"

/* libpci shortens longer names with "..." by itself. */
#define PCI_NAME_BUF 256

#define FILL_FLAGS                                                                                 \
	(PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS | PCI_FILL_DRIVER |   \
	 PCI_FILL_IOMMU_GROUP)

/*
 * libpci reports through callbacks that get no user pointer, and its fatal
 * `error` callback is declared noreturn: the default one prints and calls
 * exit(1), which must never happen in the hookscript or the boot unit (a
 * device removed between libpci's directory scan and its read of `vendor` is
 * enough to trigger it). Ours logs and siglongjmps back to pci_enumerate(),
 * which returns -EIO; the caller then frees what was built. The callbacks
 * reach the context through this pointer, set only while libpci runs inside
 * snapshot_read(); thread-local so that threads reading snapshots at the same
 * time each find their own. (pci_alloc() itself still exits on out-of-memory:
 * it runs before any callback can be installed.)
 *
 * What the jump skips in libpci 3.9 leaks nothing on the paths we can reach:
 * the mandatory-attribute and pci.ids errors close their files first. One
 * that does leak is an entry of devices/ that is not an address (a DIR and a
 * pci_dev in sysfs_scan); the kernel never makes one.
 */
struct libpci_session {
	const struct igd_ctx *ctx;
	const char *sysfs; /* <root>/sys/bus/pci, for messages */
	sigjmp_buf env;
};

static _Thread_local struct libpci_session *libpci_current;

_printf_(1, 0) static char *libpci_format(const char *fmt, va_list ap)
{
	char *msg = NULL;
	size_t len;

	if (vasprintf(&msg, fmt, ap) < 0)
		return NULL;
	/* Some libpci messages end in "\n"; our log lines do not. */
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	return msg;
}

_printf_(1, 2) __attribute__((noreturn)) static void libpci_error(char *fmt, ...)
{
	struct libpci_session *s = libpci_current;
	char *msg;
	va_list ap;

	/* Only our pci_access has this callback, and it is used only inside a session. */
	if (!s)
		abort();
	va_start(ap, fmt);
	msg = libpci_format(fmt, ap);
	va_end(ap);
	igd_log(s->ctx, LOG_ERR, "cannot read the PCI devices under %s: libpci: %s", s->sysfs,
		msg ? msg : "(out of memory)");
	free(msg); /* by hand: the jump skips cleanup handlers */
	siglongjmp(s->env, 1);
}

_printf_(1, 2) static void libpci_warning(char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;

	if (!libpci_current)
		return;
	va_start(ap, fmt);
	msg = libpci_format(fmt, ap);
	va_end(ap);
	igd_log(libpci_current->ctx, LOG_WARNING, "libpci: %s", msg ? msg : "(out of memory)");
}

_printf_(1, 2) static void libpci_debug(char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;

	if (!libpci_current)
		return;
	va_start(ap, fmt);
	msg = libpci_format(fmt, ap);
	va_end(ap);
	if (msg && *msg)
		igd_log(libpci_current->ctx, LOG_DEBUG, "libpci: %s", msg);
}

static void pci_cleanupp(struct pci_access **a)
{
	if (*a)
		pci_cleanup(*a);
}

int snap_log_oom(const struct igd_ctx *ctx)
{
	return igd_log_errno(ctx, LOG_ERR, ENOMEM, "cannot read the PCI topology: %m");
}

/* "7" -> 7; anything else is reported and taken as no group. */
static int parse_group(const struct igd_ctx *ctx, const struct pci_addr *a, const char *s)
{
	int v;

	if (!s)
		return IOMMU_GROUP_NONE;
	if (safe_atoi(s, &v) < 0) {
		log_warning(ctx, "%s: unexpected IOMMU group name '%s', ignored", PCI_ADDR_STR(a), s);
		return IOMMU_GROUP_NONE;
	}
	return v;
}

static void pci_device_done(struct pci_device *d)
{
	free(d->vendor_name);
	free(d->device_name);
	free(d->class_name);
	free(d->driver);
	for (size_t i = 0; i < d->n_netdevs; i++)
		snap_netdev_done(&d->netdevs[i]);
	free(d->netdevs);
	for (size_t i = 0; i < d->n_blockdevs; i++)
		snap_blockdev_done(&d->blockdevs[i]);
	free(d->blockdevs);
	*d = (struct pci_device){};
}

/* Appends libpci's device d to snap->devices (allocated for all of them by the caller). */
static int add_device(const struct igd_ctx *ctx, struct pci_access *a, struct pci_dev *d,
		      struct snapshot *snap)
{
	char vbuf[PCI_NAME_BUF], dbuf[PCI_NAME_BUF], cbuf[PCI_NAME_BUF];
	const char *vname, *dname, *cname, *drv;
	struct pci_device dev = {};
	uint8_t hdr;

	if (d->domain < 0) {
		log_warning(ctx, "skipping PCI device %x:%02x:%02x.%u: invalid domain", (unsigned)d->domain,
			    d->bus, d->dev, d->func);
		return 0;
	}
	/* domains behind Intel VMD (10000 and up) are kept: Proxmox can pass their devices */
	dev.addr = (struct pci_addr){ .domain = (uint32_t)d->domain, .bus = d->bus, .dev = d->dev,
				      .func = d->func, .has_func = true };

	/* Every call that can end in libpci_error() comes before the first allocation here,
	 * so that the jump out leaks nothing. */
	pci_fill_info(d, FILL_FLAGS);
	/* libpci returns 0xff for a byte it cannot read; no header type has all bits set */
	hdr = pci_read_byte(d, PCI_HEADER_TYPE);
	vname = pci_lookup_name(a, vbuf, sizeof(vbuf), PCI_LOOKUP_VENDOR, d->vendor_id);
	dname = pci_lookup_name(a, dbuf, sizeof(dbuf), PCI_LOOKUP_DEVICE, d->vendor_id, d->device_id);
	/*
	 * The subclass's name, else the base class's; "Class 0403" without either.
	 * From pci.ids only: udev's hwdb has its class names from pci.ids too, and
	 * libpci 3.9 leaks a udev context on each hwdb lookup when the hwdb cannot
	 * be opened (a host without hwdb.bin, for a class pci.ids does not name).
	 */
	cname = pci_lookup_name(a, cbuf, sizeof(cbuf), PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_HWDB, d->device_class);

	dev.vendor_id = d->vendor_id;
	dev.device_id = d->device_id;
	dev.subsys_vendor_id = d->subsys_vendor_id;
	dev.subsys_device_id = d->subsys_id;
	dev.class_code = (uint32_t)d->device_class << 8 | d->prog_if;
	dev.header_type = hdr == 0xff ? -1 : hdr;
	dev.iommu_group = parse_group(ctx, &dev.addr, pci_get_string_property(d, PCI_FILL_IOMMU_GROUP));
	drv = pci_get_string_property(d, PCI_FILL_DRIVER);
	dev.vendor_name = strdup(vname);
	dev.device_name = strdup(dname);
	dev.class_name = strdup(cname);
	dev.driver = drv ? strdup(drv) : NULL;
	if (!dev.vendor_name || !dev.device_name || !dev.class_name || (drv && !dev.driver)) {
		pci_device_done(&dev);
		return snap_log_oom(ctx);
	}
	snap->devices[snap->n_devices++] = dev;
	return 0;
}

static int add_devices(const struct igd_ctx *ctx, struct pci_access *a, struct snapshot *snap)
{
	size_t n = 0;

	for (struct pci_dev *d = a->devices; d; d = d->next)
		n++;
	if (n == 0)
		return 0;
	snap->devices = calloc(n, sizeof(*snap->devices));
	if (!snap->devices)
		return snap_log_oom(ctx);
	for (struct pci_dev *d = a->devices; d; d = d->next) {
		int r = add_device(ctx, a, d, snap);

		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Runs libpci. On a libpci error this returns -EIO, with the message logged;
 * what was added to snap stays there for the caller to free. Nothing that
 * changes after sigsetjmp() lives in a local variable of this function.
 */
static int pci_enumerate(struct libpci_session *s, struct pci_access *a, struct snapshot *snap)
{
	int r;

	if (sigsetjmp(s->env, 0) != 0) {
		libpci_current = NULL;
		return -EIO;
	}
	libpci_current = s;
	pci_init(a);
	pci_scan_bus(a);
	r = add_devices(s->ctx, a, snap);
	libpci_current = NULL;
	return r;
}

static int snapshot_read_pci(const struct igd_ctx *ctx, struct snapshot *snap)
{
	_cleanup_(freep) char *sysfs = igd_path(ctx, "/sys/bus/pci");
	_cleanup_(freep) char *ids = NULL; /* must outlive a: libpci keeps the pointer */
	_cleanup_(pci_cleanupp) struct pci_access *a = NULL;
	struct libpci_session s = { .ctx = ctx };

	if (!sysfs)
		return snap_log_oom(ctx);
	s.sysfs = sysfs;

	a = pci_alloc();
	a->error = libpci_error;
	a->warning = libpci_warning;
	a->debug = libpci_debug;
	a->debugging = 1; /* route libpci's debug messages to LOG_DEBUG instead of dropping them */
	a->method = PCI_ACCESS_SYS_BUS_PCI;
	if (pci_set_param(a, "sysfs.path", sysfs) < 0)
		return igd_log_errno(ctx, LOG_ERR, EINVAL, "libpci has no sysfs.path parameter: %m");

	if (!igd_ctx_root_is_host(ctx)) {
		/* A test or rescue root: its own pci.ids, and neither udev's hwdb nor the
		 * user's ~/.pciids-cache, so that names depend on the root alone. */
		ids = igd_path(ctx, "/usr/share/misc/pci.ids");
		if (!ids)
			return snap_log_oom(ctx);
		pci_set_name_list_path(a, ids, 0);
		a->id_lookup_mode = PCI_LOOKUP_NO_HWDB;
	}
	return pci_enumerate(&s, a, snap);
}

static int cmp_device(const void *x, const void *y)
{
	const struct pci_device *a = x, *b = y;

	return pci_addr_cmp(&a->addr, &b->addr);
}

/* The devices' real sysfs directories (for snap_owner) and whether each is a bridge. */
static int resolve_dirs(struct snap_build *b)
{
	struct snapshot *snap = b->snap;

	if (snap->n_devices == 0)
		return 0;
	b->dev_dirs = calloc(snap->n_devices, sizeof(char *));
	if (!b->dev_dirs)
		return snap_log_oom(b->ctx);
	for (size_t i = 0; i < snap->n_devices; i++) {
		struct pci_device *d = &snap->devices[i];
		_cleanup_(freep) char *link = igd_path(b->ctx, "/sys/bus/pci/devices/%s", PCI_ADDR_STR(&d->addr));
		_cleanup_(freep) char *bus = NULL;
		struct stat st;

		if (!link)
			return snap_log_oom(b->ctx);
		b->dev_dirs[i] = realpath(link, NULL);
		if (!b->dev_dirs[i]) {
			log_debug(b->ctx, "cannot resolve %s: %m; nothing will be attached to it", link);
			continue;
		}
		/* What Proxmox checks to skip bridges when it binds a group: a secondary bus. */
		if (asprintf(&bus, "%s/pci_bus", b->dev_dirs[i]) < 0)
			return snap_log_oom(b->ctx);
		d->is_bridge = stat(bus, &st) == 0 && S_ISDIR(st.st_mode);
	}
	return 0;
}

static void dev_dirs_free(struct snap_build *b)
{
	if (b->dev_dirs)
		for (size_t i = 0; i < b->snap->n_devices; i++)
			free(b->dev_dirs[i]);
	free(b->dev_dirs);
	b->dev_dirs = NULL;
}

/* At least one entry in sys/kernel/iommu_groups: without an IOMMU the directory is empty or absent. */
static int read_iommu_present(const struct igd_ctx *ctx, bool *ret)
{
	_cleanup_(freep) char *path = igd_path(ctx, "/sys/kernel/iommu_groups");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!path)
		return snap_log_oom(ctx);
	d = opendir(path);
	if (!d) {
		if (errno != ENOENT)
			return igd_log_errno(ctx, LOG_ERR, errno, "cannot read the IOMMU groups under %s: %m", path);
		*ret = false;
		return 0;
	}
	while ((errno = 0, de = readdir(d)))
		if (de->d_name[0] != '.') {
			*ret = true;
			return 0;
		}
	if (errno != 0)
		return igd_log_errno(ctx, LOG_ERR, errno, "cannot read the IOMMU groups under %s: %m", path);
	*ret = false;
	return 0;
}

/* Fails with the errno of opendir, so that a missing sysfs is -ENOENT rather than libpci's -EIO. */
static int check_pci_dir(const struct igd_ctx *ctx)
{
	_cleanup_(freep) char *path = igd_path(ctx, "/sys/bus/pci/devices");
	_cleanup_(closedirp) DIR *d = NULL;

	if (!path)
		return snap_log_oom(ctx);
	d = opendir(path);
	if (!d)
		return igd_log_errno(ctx, LOG_ERR, errno, "cannot read the PCI devices under %s: %m", path);
	return 0;
}

int snapshot_read(const struct igd_ctx *ctx, struct snapshot *ret)
{
	_cleanup_(snapshot_done) struct snapshot snap = {};
	struct snap_build b = { .ctx = ctx, .snap = &snap };
	int r;

	r = check_pci_dir(ctx);
	if (r < 0)
		return r;
	r = snapshot_read_pci(ctx, &snap);
	if (r < 0)
		return r;
	if (snap.n_devices > 1)
		qsort(snap.devices, snap.n_devices, sizeof(*snap.devices), cmp_device);

	r = resolve_dirs(&b);
	if (r >= 0)
		r = read_iommu_present(ctx, &snap.iommu_groups);
	if (r >= 0)
		r = snap_read_netdevs(&b);
	if (r >= 0)
		r = snap_read_blockdevs(&b);
	if (r >= 0)
		r = vfio_holders_fill(ctx, &snap);
	dev_dirs_free(&b);
	if (r < 0)
		return r;

	log_debug(ctx, "read %zu PCI devices under %s", snap.n_devices, igd_ctx_root(ctx)[0] ? igd_ctx_root(ctx) : "/");
	*ret = snap;
	snap = (struct snapshot){};
	return 0;
}

void snapshot_done(struct snapshot *snap)
{
	if (!snap)
		return;
	for (size_t i = 0; i < snap->n_devices; i++)
		pci_device_done(&snap->devices[i]);
	free(snap->devices);
	*snap = (struct snapshot){};
}

const struct pci_device *snapshot_find(const struct snapshot *snap, const struct pci_addr *a)
{
	struct pci_device key = { .addr = *a };

	if (snap->n_devices == 0)
		return NULL;
	return bsearch(&key, snap->devices, snap->n_devices, sizeof(*snap->devices), cmp_device);
}

bool pci_device_uses_storage(const struct pci_device *d)
{
	for (size_t i = 0; i < d->n_blockdevs; i++)
		if (d->blockdevs[i].used || d->blockdevs[i].doubt)
			return true;
	return false;
}

bool pci_device_has_up_netdev(const struct pci_device *d)
{
	for (size_t i = 0; i < d->n_netdevs; i++)
		if (d->netdevs[i].admin_up)
			return true;
	return false;
}

/* ---- Helpers shared with snapshot_net.c and snapshot_block.c ---- */

static bool is_ancestor(const char *dir, const char *path, size_t *len)
{
	size_t n = strlen(dir);

	*len = n;
	return strncmp(dir, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

struct pci_device *snap_owner(const struct snap_build *b, const char *path)
{
	struct pci_device *best = NULL;
	size_t best_len = 0, len;

	for (size_t i = 0; i < b->snap->n_devices; i++)
		if (b->dev_dirs[i] && is_ancestor(b->dev_dirs[i], path, &len) && len > best_len) {
			best = &b->snap->devices[i];
			best_len = len;
		}
	return best;
}

const char *snap_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}
