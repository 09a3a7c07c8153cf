/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Questions asked of a loaded config: is this VM or address in it, which functions does a VM stop reset. */
#include <errno.h>
#include <stdlib.h>

#include "config/config.h"

static bool addr_array_contains(const struct pci_addr *v, size_t n, const struct pci_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (pci_addr_equal(&v[i], a))
			return true;
	return false;
}

int config_reset_functions_for(const struct igd_config *cfg, const struct pci_addr *passed, size_t n,
			       struct addr_list *ret)
{
	const struct addr_list *from = cfg->reset_functions.n > 0 ? &cfg->reset_functions : &cfg->functions;
	struct addr_list l = {};

	if (from->n > 0) {
		l.v = calloc(from->n, sizeof(*l.v));
		if (!l.v)
			return -ENOMEM;
	}
	/* an explicit list as it is; else what the VM passed, in [regroup] order */
	for (size_t i = 0; i < from->n; i++)
		if (from == &cfg->reset_functions || addr_array_contains(passed, n, &from->v[i]))
			l.v[l.n++] = from->v[i];
	*ret = l;
	return 0;
}

bool addr_list_contains(const struct addr_list *l, const struct pci_addr *a)
{
	return addr_array_contains(l->v, l->n, a);
}

bool config_vmid_selected(const struct igd_config *cfg, uint32_t vmid)
{
	if (cfg->n_vmids == 0)
		return true;
	for (size_t i = 0; i < cfg->n_vmids; i++)
		if (cfg->vmids[i] == vmid)
			return true;
	return false;
}
