/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI addresses: strict parsing of what users write, one canonical format. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pci_addr {
	uint32_t domain; /* 16 bits, except behind Intel VMD (10000 and up) */
	uint8_t bus;  /* 0..0xff */
	uint8_t dev;  /* 0..0x1f */
	uint8_t func; /* 0..7, meaningless when !has_func */
	bool has_func;
};

enum {
	/* Also accept a slot without a function ("0000:00:02", "00:02"), as Proxmox's hostpci does. */
	PCI_ADDR_ALLOW_SLOT = 1 << 0,
	/*
	 * Also accept a domain of more than 4 hex digits (up to 8), as sysfs names the
	 * domains behind Intel VMD ("10000:e1:00.0") and as Proxmox's hostpci and
	 * mapping paths accept them.
	 */
	PCI_ADDR_LONG_DOMAIN = 1 << 1,
};

/* "DDDDDDDD:BB:DD.F" + NUL, the longest canonical form (a VMD domain has 5 digits or more) */
#define PCI_ADDR_STRLEN sizeof("ffffffff:00:00.0")

/*
 * Accepted: DDDD:BB:DD.F (domain exactly 4 hex digits; 4 to 8 with
 * PCI_ADDR_LONG_DOMAIN), BB:DD.F and B:DD.F (domain 0000), and with
 * PCI_ADDR_ALLOW_SLOT the same without ".F".
 * Bus and device take 1 or 2 hex digits, the function one decimal digit 0-7.
 * Anything else -- whitespace, a sign, a '/', trailing characters, a field out
 * of range -- returns -EINVAL and leaves *ret untouched.
 */
int pci_addr_parse(const char *s, unsigned flags, struct pci_addr *ret);

/* Canonical lower-case form: "0000:00:1f.3", or "0000:00:02" for a slot. Returns buf. */
const char *pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_STRLEN]);

/* Order: domain, bus, device, function; a slot sorts before its functions. */
int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);
bool pci_addr_equal(const struct pci_addr *a, const struct pci_addr *b);
/* a is one of v[0..n). */
bool pci_addr_in(const struct pci_addr *a, const struct pci_addr *v, size_t n);
/* True when a is the slot s or a function of it (s may be a slot or a function). */
bool pci_addr_in_slot(const struct pci_addr *a, const struct pci_addr *s);

/* For printf: PCI_ADDR_FMT(&a) expands to a temporary formatted string. */
#define PCI_ADDR_STR(a) pci_addr_format((a), (char[PCI_ADDR_STRLEN]){})
