/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "core/parse.h"
#include "core/pci_addr.h"

/* Reads a run of 1..max hex digits at *p into *val and its length into *len; advances *p. */
static int take_hex(const char **p, unsigned max, unsigned *val, unsigned *len)
{
	unsigned v = 0, n = 0;
	int d;

	while ((d = unhexchar((*p)[n])) >= 0) {
		if (++n > max)
			return -EINVAL;
		v = v * 16 + (unsigned)d;
	}
	if (n == 0)
		return -EINVAL;
	*p += n;
	*val = v;
	*len = n;
	return 0;
}

int pci_addr_parse(const char *s, unsigned flags, struct pci_addr *ret)
{
	unsigned val[3], len[3], nf = 0;
	struct pci_addr a = {};
	const char *p = s;

	if (!s)
		return -EINVAL;

	/* Two or three ':'-separated hex fields: [domain:]bus:device */
	for (;;) {
		/* only the first field can be a long domain; the checks below place it */
		if (nf == 3 || take_hex(&p, nf == 0 && (flags & PCI_ADDR_LONG_DOMAIN) ? 8 : 4, &val[nf], &len[nf]) < 0)
			return -EINVAL;
		nf++;
		if (*p != ':')
			break;
		p++;
	}
	if (nf < 2)
		return -EINVAL;

	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '7')
			return -EINVAL;
		a.func = (uint8_t)(*p - '0');
		a.has_func = true;
		p++;
	}
	if (*p != '\0')
		return -EINVAL;
	if (!a.has_func && !(flags & PCI_ADDR_ALLOW_SLOT))
		return -EINVAL;

	/* The domain is written in full (4 digits, or more for a VMD domain) or not at all. */
	unsigned b = nf - 2;
	if (nf == 3 && (len[0] < 4 || (len[0] > 4 && !(flags & PCI_ADDR_LONG_DOMAIN))))
		return -EINVAL;
	if (len[b] > 2 || len[b + 1] > 2 || val[b + 1] > 0x1f)
		return -EINVAL;

	a.domain = nf == 3 ? val[0] : 0;
	a.bus = (uint8_t)val[b];
	a.dev = (uint8_t)val[b + 1];
	*ret = a;
	return 0;
}

const char *pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_STRLEN])
{
	if (a->has_func)
		snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%u", a->domain, a->bus, (unsigned)(a->dev & 0x1f),
			 (unsigned)(a->func & 7));
	else
		snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x", a->domain, a->bus, (unsigned)(a->dev & 0x1f));
	return buf;
}

int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->has_func != b->has_func)
		return a->has_func ? 1 : -1;
	if (a->has_func && a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return 0;
}

bool pci_addr_equal(const struct pci_addr *a, const struct pci_addr *b)
{
	return pci_addr_cmp(a, b) == 0;
}

bool pci_addr_in(const struct pci_addr *a, const struct pci_addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pci_addr_equal(a, &v[i]))
			return true;
	return false;
}

bool pci_addr_in_slot(const struct pci_addr *a, const struct pci_addr *s)
{
	if (a->domain != s->domain || a->bus != s->bus || a->dev != s->dev)
		return false;
	return !s->has_func || (a->has_func && a->func == s->func);
}
