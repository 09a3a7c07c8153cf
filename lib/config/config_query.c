/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Questions asked of a loaded config: is this VM or address in it, which functions does a VM stop reset. */
#include <errno.h>
#include <stdlib.h>

#include "config/config.h"

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
		if (from == &cfg->reset_functions || pci_addr_in(&from->v[i], passed, n))
			l.v[l.n++] = from->v[i];
	*ret = l;
	return 0;
}

bool addr_list_contains(const struct addr_list *l, const struct pci_addr *a)
{
	return pci_addr_in(a, l->v, l->n);
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
