/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The root's kernel command line: modprobe.blacklist= and vfio-pci.ids=. */
#include <string.h>

#include "admin/modconf_internal.h"
#include "core/sysfs.h"

int modconf_cmdline_values(const char *cmdline, const char *key, char **ret)
{
	_cleanup_(freep) char *out = NULL;
	size_t klen = strlen(key);

	for (const char *p = cmdline; *p;) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		/* the kernel treats '-' and '_' in parameter names alike */
		if (len > klen && p[klen] == '=' && modname_eq_n(p, key, klen)) {
			const char *v = p + klen + 1;
			size_t vlen = len - klen - 1;
			char *joined;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
				v++, vlen -= 2;
			if (asprintf(&joined, "%s%s%.*s", out ? out : "", out && vlen ? "," : "",
				     (int)vlen, v) < 0)
				return -ENOMEM;
			free(out);
			out = joined;
		}
		p += len;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int modconf_read_cmdline(struct modconf *m)
{
	_cleanup_(freep) char *path = igd_path(m->ctx, "/proc/cmdline");
	_cleanup_(freep) char *line = NULL, *bl = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = sysfs_read_line(path, &line);
	if (r == -ENOENT || r == -ENODATA)
		return 0;
	if (r < 0)
		return r;
	r = modconf_cmdline_values(line, "modprobe.blacklist", &bl);
	if (r >= 0 && bl)
		r = names_add_split(&m->blacklist_cmdline, bl, ",");
	if (r >= 0)
		r = modconf_cmdline_values(line, "vfio_pci.ids", &m->vfio_ids_cmdline);
	return r;
}
