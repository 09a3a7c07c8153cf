/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check: the groups the [regroup] functions will get, predicted from their header types (split_predict.h). */
#include <stdlib.h>

#include "admin/checks.h"
#include "core/macro.h"
#include "topology/split_predict.h"

static int warn_shared(const struct igd_config *cfg, const struct split_outcome *o, struct check_report *r)
{
	_cleanup_(freep) char *with = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&with, &size);

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_with; i++)
		fprintf(f, "%s%s", i ? ", " : "", PCI_ADDR_STR(&o->with[i]));
	if (fclose(f) != 0)
		return -ENOMEM;
	return check_report_add(r, CHECK_WARN, "split",
				"%s will stay grouped with %s after the split: a function with the multi-function "
				"bit in its header type finds the present functions of its slot when it comes "
				"back; %s",
				PCI_ADDR_STR(&o->addr), with,
				addr_list_contains(&cfg->vfio_devices, &o->addr)
					? "as a [vfio] device it cannot be passed through without them"
					: "the split cannot give it a group of its own");
}

int check_split(const struct igd_config *cfg, const struct snapshot *snap, struct check_report *r)
{
	_cleanup_(split_prediction_done) struct split_prediction p = {};
	size_t own = 0, shared = 0;
	int k;

	if (cfg->functions.n == 0 || !snap->iommu_groups)
		return 0;
	k = split_predict(snap, cfg->functions.v, cfg->functions.n, &p);
	if (k < 0)
		return k;
	for (size_t i = 0; i < p.n; i++) {
		own += p.v[i].fate == SPLIT_OWN_GROUP;
		if (p.v[i].fate != SPLIT_SHARED)
			continue;
		shared++;
		k = warn_shared(cfg, &p.v[i], r);
		if (k < 0)
			return k;
	}
	if (shared == 0 && own > 0)
		return check_report_add(r, CHECK_OK, "split",
					"%zu of the %zu [regroup] functions will get an IOMMU group of their own "
					"(predicted from their header types)%s",
					own, p.n, own == p.n ? "" : "; the others cannot be predicted");
	return 0;
}
