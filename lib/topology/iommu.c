/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/sysfs.h"
#include "topology/iommu.h"

const char *iommu_cmdline_word(const char *cmdline)
{
	static const char *const words[] = { "intel_iommu=on", "amd_iommu=on", "iommu=on" };
	const char *p = cmdline, *found = NULL;

	/* whole words only: "intel_iommu=on" must not match "xintel_iommu=on" or "intel_iommu=onx" */
	while (p && *p) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		for (size_t i = 0; i < ELEMENTSOF(words); i++)
			if (len == strlen(words[i]) && strncmp(p, words[i], len) == 0)
				found = found ? found : words[i];
		/* the kernel reads every intel_iommu=: a later "off" turns it off again */
		if (len == strlen("intel_iommu=off") && strncmp(p, "intel_iommu=off", len) == 0 &&
		    found == words[0])
			found = NULL;
		p += len;
	}
	return found;
}

char *iommu_read_cmdline(const struct igd_ctx *ctx)
{
	_cleanup_(freep) char *path = igd_path(ctx, "/proc/cmdline");
	char *line = NULL;

	/* missing, unreadable and empty alike: no command line to read words from */
	if (!path || sysfs_read_line(path, &line) < 0)
		return NULL;
	return line;
}

/* /etc/kernel/proxmox-boot-uuids: proxmox-boot-tool manages the ESPs and their command line. */
char *iommu_fix(const struct igd_ctx *ctx)
{
	_cleanup_(freep) char *cmdline = iommu_read_cmdline(ctx);
	_cleanup_(freep) char *uuids = igd_path(ctx, "/etc/kernel/proxmox-boot-uuids");
	const char *word = cmdline ? iommu_cmdline_word(cmdline) : NULL;
	char *fix = NULL;
	int r;

	if (word)
		r = asprintf(&fix,
			     "%s is on the kernel command line but there are no IOMMU groups: "
			     "enable VT-d in the firmware setup",
			     word);
	else if (uuids && access(uuids, F_OK) == 0)
		r = asprintf(&fix, "no IOMMU groups: add intel_iommu=on iommu=pt to /etc/kernel/cmdline, "
				   "run proxmox-boot-tool refresh and reboot");
	else
		r = asprintf(&fix, "no IOMMU groups: add intel_iommu=on iommu=pt to GRUB_CMDLINE_LINUX_DEFAULT "
				   "in /etc/default/grub, run update-grub and reboot");
	return r < 0 ? NULL : fix;
}

int iommu_require(const struct igd_ctx *ctx, const struct snapshot *snap)
{
	_cleanup_(freep) char *fix = NULL;

	if (snap->iommu_groups)
		return 0;
	fix = iommu_fix(ctx);
	if (!fix)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "The IOMMU is off, and: %m");
	log_error(ctx, "The IOMMU is off: %s. Nothing was changed.", fix);
	return -ENODEV;
}
