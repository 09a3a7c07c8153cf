/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-pci's ids= matched against a device, as the kernel's pci_match_id() does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin/modconf.h"
#include "core/macro.h"

/* Reads one pci_match_id() field: a hex number; absent means "any". */
static bool ids_field(const char **p, unsigned long *v)
{
	char *end;

	if (**p == '\0' || **p == ',')
		return false;
	if (**p == ':')
		(*p)++;
	errno = 0;
	*v = strtoul(*p, &end, 16);
	if (end == *p || errno)
		return false;
	*p = end;
	return true;
}

bool modconf_ids_match(const char *ids, const struct pci_device *d)
{
	const unsigned long any = 0xffffffffUL;

	for (const char *p = ids; p && *p;) {
		unsigned long f[6] = { any, any, any, any, 0, 0 };
		size_t n = 0;

		while (n < ELEMENTSOF(f) && ids_field(&p, &f[n]))
			n++;
		/* vfio-pci needs vendor and device; a malformed entry matches nothing */
		if (n >= 2 && (*p == '\0' || *p == ',') && (f[0] == any || f[0] == d->vendor_id) &&
		    (f[1] == any || f[1] == d->device_id) && (f[2] == any || f[2] == d->subsys_vendor_id) &&
		    (f[3] == any || f[3] == d->subsys_device_id) && ((f[4] ^ d->class_code) & f[5]) == 0)
			return true;
		p += strcspn(p, ",");
		p += strspn(p, ",");
	}
	return false;
}
