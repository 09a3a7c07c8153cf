/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/stat.h>

#include "core/sysfs.h"
#include "engine/vfio.h"

bool vfio_driver_loaded(const struct igd_ctx *ctx)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/bus/pci/drivers/" VFIO_DRIVER);
	struct stat st;

	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int vfio_set_override(const struct igd_ctx *ctx, const struct pci_addr *a)
{
	_cleanup_(freep) char *p = sysfs_dev_path(ctx, a, "driver_override");
	int r;

	if (!p)
		return -ENOMEM;
	r = sysfs_write(p, VFIO_DRIVER);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "%s: cannot write %s to %s: %m",
				     PCI_ADDR_STR(a), VFIO_DRIVER, p);
	return 0;
}

int pci_probe(const struct igd_ctx *ctx, const struct pci_addr *a)
{
	_cleanup_(freep) char *p = igd_path(ctx, "/sys/bus/pci/drivers_probe");
	int r;

	if (!p)
		return -ENOMEM;
	r = sysfs_write(p, PCI_ADDR_STR(a));
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "%s: cannot probe a driver (%s): %m",
				     PCI_ADDR_STR(a), p);
	return 0;
}

static int unbind_current(const struct igd_ctx *ctx, const struct pci_addr *a, const char *driver)
{
	_cleanup_(freep) char *p = sysfs_dev_path(ctx, a, "driver/unbind");
	int r;

	if (!p)
		return -ENOMEM;
	r = sysfs_write(p, PCI_ADDR_STR(a));
	/* the driver let go by itself in between: nothing left to unbind */
	if (r == -ENOENT || r == -ENODEV)
		return 0;
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "%s: cannot unbind it from %s: %m",
				     PCI_ADDR_STR(a), driver);
	return 0;
}

/* Puts the device back the way the host had it: no override, host driver probed. */
static void undo_override(const struct igd_ctx *ctx, const struct pci_addr *a)
{
	_cleanup_(freep) char *p = sysfs_dev_path(ctx, a, "driver_override");
	int r;

	if (!p)
		return;
	r = sysfs_write(p, "\n");
	if (r < 0) {
		igd_log_errno(ctx, LOG_WARNING, r, "%s: cannot clear driver_override: %m",
			      PCI_ADDR_STR(a));
		return;
	}
	(void)pci_probe(ctx, a);
}

/* The driver link of a, into *ret (NULL: no driver). 0 or -errno (logged). */
static int read_driver(const struct igd_ctx *ctx, const struct pci_addr *a, char **ret)
{
	int r;

	free(*ret);
	*ret = NULL;
	r = sysfs_dev_driver(ctx, a, ret);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "%s: cannot read its driver: %m", PCI_ADDR_STR(a));
	return 0;
}

static bool is_vfio(const char *driver)
{
	return driver && strcmp(driver, VFIO_DRIVER) == 0;
}

/* Unbinds a from driver (NULL: none), asks the kernel to probe it, reads the driver it got. */
static int unbind_and_probe(const struct igd_ctx *ctx, const struct pci_addr *a, const char *driver,
			    char **ret_after)
{
	int r;

	if (driver) {
		r = unbind_current(ctx, a, driver);
		if (r < 0)
			return r;
	}
	r = pci_probe(ctx, a);
	if (r < 0)
		return r;
	return read_driver(ctx, a, ret_after);
}

int vfio_bind(const struct igd_ctx *ctx, const struct pci_addr *a, char **ret_was)
{
	_cleanup_(freep) char *driver = NULL;
	_cleanup_(freep) char *after = NULL;
	int r;

	r = read_driver(ctx, a, &driver);
	if (r < 0)
		return r;
	if (is_vfio(driver)) {
		log_debug(ctx, "%s: already bound to %s", PCI_ADDR_STR(a), VFIO_DRIVER);
		return 0;
	}
	if (!vfio_driver_loaded(ctx)) {
		log_error(ctx, "%s: cannot bind to %s: the driver is not loaded "
			       "(add vfio-pci to /etc/modules, or run modprobe vfio-pci).",
			  PCI_ADDR_STR(a), VFIO_DRIVER);
		return -ENODEV;
	}

	r = vfio_set_override(ctx, a);
	if (r < 0)
		return r;
	r = unbind_and_probe(ctx, a, driver, &after);
	if (r < 0)
		goto undo;

	/*
	 * A driver that registered between our read of the driver link and the
	 * override (a module udev loads for a coldplugged device at boot) took
	 * the device, and drivers_probe left it there. With the override in
	 * place no other driver can take it again: unbind and probe once more.
	 */
	if (after && !is_vfio(after)) {
		log_notice(ctx, "%s: %s took the device during the bind; binding it once more.",
			   PCI_ADDR_STR(a), after);
		_cleanup_(freep) char *took = TAKE_PTR(after);

		r = unbind_and_probe(ctx, a, took, &after);
		if (r < 0)
			goto undo;
	}
	if (!is_vfio(after)) {
		log_error(ctx, "%s: %s did not take the device after drivers_probe (driver now: %s).",
			  PCI_ADDR_STR(a), VFIO_DRIVER, after ? after : "none");
		r = -EIO;
		goto undo;
	}
	log_info(ctx, "%s: bound to %s (was %s).", PCI_ADDR_STR(a), VFIO_DRIVER,
		 driver ? driver : "no driver");
	if (ret_was)
		*ret_was = TAKE_PTR(driver);
	return 0;

undo:
	undo_override(ctx, a);
	return r;
}
