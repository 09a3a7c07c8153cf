/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check: the guides' host step that loads vfio-pci at boot (/etc/modules, modules-load.d). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/checks.h"
#include "core/fileio.h"
#include "core/macro.h"

/* A modules-load.d style file lists vfio-pci (or vfio_pci): one module per line, '#' and ';' comments. */
static bool file_lists_vfio_pci(const char *path)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t cap = 0;

	/* the shared opener: a FIFO or another odd file there is skipped at once */
	if (file_open_regular(path, 0, &f, NULL) < 0)
		return false;
	while (getline(&line, &cap, f) >= 0) {
		char *w = line + strspn(line, " \t");

		w[strcspn(w, " \t\n#;")] = '\0';
		if (strcmp(w, "vfio-pci") == 0 || strcmp(w, "vfio_pci") == 0)
			return true;
	}
	return false;
}

/* The first of /etc/modules and the modules-load.d directories that lists it, as a path without the root. */
static int find_boot_listing(const struct igd_ctx *ctx, char **ret)
{
	static const char *const dirs[] = { "/etc/modules-load.d", "/run/modules-load.d",
					    "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d",
					    "/lib/modules-load.d" };
	_cleanup_(freep) char *modules = igd_path(ctx, "/etc/modules");

	*ret = NULL;
	if (!modules)
		return -ENOMEM;
	if (file_lists_vfio_pci(modules))
		return (*ret = strdup("/etc/modules")) ? 0 : -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_(freep) char *dir = igd_path(ctx, "%s", dirs[i]);
		_cleanup_(closedirp) DIR *d = NULL;
		struct dirent *de;

		if (!dir)
			return -ENOMEM;
		d = opendir(dir);
		while (d && (de = readdir(d))) {
			_cleanup_(freep) char *path = NULL;
			size_t len = strlen(de->d_name);

			if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
				continue;
			if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
				return -ENOMEM;
			if (file_lists_vfio_pci(path))
				return asprintf(ret, "%s/%s", dirs[i], de->d_name) < 0 ? -ENOMEM : 0;
		}
	}
	return 0;
}

int check_boot_modules(const struct igd_ctx *ctx, const struct igd_config *cfg, struct check_report *r)
{
	_cleanup_(freep) char *where = NULL;
	int k;

	if (cfg->vfio_devices.n == 0)
		return 0;
	k = find_boot_listing(ctx, &where);
	if (k < 0)
		return k;
	if (where)
		return check_report_add(r, CHECK_OK, "vfio-boot", "vfio-pci is loaded at boot (%s)", where);
	return check_report_add(r, CHECK_WARN, "vfio-boot",
				"vfio-pci is not listed in /etc/modules or a modules-load.d file: after a reboot "
				"the [vfio] devices have no vfio-pci to bind to until something loads it; add "
				"the line vfio-pci to /etc/modules");
}
