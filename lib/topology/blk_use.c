/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The uses of one block device as words: each use is kept once, with its
 * rank, and described in rank order ("LVM data2: thin pool, VM 100").
 */
#include <stdio.h>
#include <string.h>

#include "topology/blk_internal.h"

/* More than this many uses (a pool with many datasets, many bind mounts) are counted, not listed. */
#define USES_LISTED 6

int blk_add_use(struct blk *x, enum blk_use_rank rank, const char *text)
{
	struct blk_use *v;

	x->used = true;
	for (size_t i = 0; i < x->n_uses; i++)
		if (strcmp(x->uses[i].text, text) == 0)
			return 0;
	v = reallocarray(x->uses, x->n_uses + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	x->uses = v;
	v[x->n_uses].rank = rank;
	v[x->n_uses].text = strdup(text);
	if (!v[x->n_uses].text)
		return -ENOMEM;
	x->n_uses++;
	return 0;
}

int blk_set_doubt(struct blk *x, const char *why)
{
	if (x->doubt)
		return 0;
	x->doubt = strdup(why);
	return x->doubt ? 0 : -ENOMEM;
}

char *blk_describe(const struct blk *x)
{
	_cleanup_(freep) char *s = NULL;
	size_t len = 0, listed = 0;
	FILE *m;

	if (x->n_uses == 0)
		return NULL;
	m = open_memstream(&s, &len);
	if (!m)
		return NULL;
	for (int rank = USE_RANK_MEMBER; rank <= USE_RANK_VM; rank++)
		for (size_t i = 0; i < x->n_uses; i++)
			if ((int)x->uses[i].rank == rank && listed++ < USES_LISTED)
				fprintf(m, "%s%s", listed > 1 ? ", " : "", x->uses[i].text);
	if (listed > USES_LISTED)
		fprintf(m, " and %zu more", listed - USES_LISTED);
	if (fclose(m) != 0)
		return NULL;
	return TAKE_PTR(s);
}
