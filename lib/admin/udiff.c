/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/udiff.h"
#include "core/macro.h"

#define CONTEXT 3
#define MAX(x, y) ((x) > (y) ? (x) : (y))
#define MIN(x, y) ((x) < (y) ? (x) : (y))
/* LCS table cells at most (a few thousand lines each way); beyond it, one hunk replaces all */
#define MAX_CELLS (16u * 1024 * 1024)

struct line {
	const char *s;
	size_t len;
	bool no_newline; /* the text's last line, without '\n': unequal to the same line with one */
};

struct lines {
	struct line *v;
	size_t n;
	bool no_final_newline;
};

static int split(const char *text, struct lines *ret)
{
	struct lines l = {};
	size_t cap = 1;

	for (const char *p = text; *p; p++)
		cap += *p == '\n';
	l.v = calloc(cap, sizeof(*l.v));
	if (!l.v)
		return -ENOMEM;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		l.v[l.n++] = (struct line){ p, len, !nl };
		if (!nl) {
			l.no_final_newline = true;
			break;
		}
		p = nl + 1;
	}
	*ret = l;
	return 0;
}

static bool line_eq(const struct line *x, const struct line *y)
{
	return x->len == y->len && x->no_newline == y->no_newline && memcmp(x->s, y->s, x->len) == 0;
}

enum op_kind { OP_KEEP = ' ', OP_DEL = '-', OP_ADD = '+' };

struct op {
	char kind;
	size_t a, b; /* the line index in a (KEEP, DEL) and in b (KEEP, ADD) */
};

/* The edit script: LCS over suffixes, walked from the front. *ret has n_a + n_b entries at most. */
static int edit_script(const struct lines *a, const struct lines *b, struct op **ret, size_t *ret_n)
{
	size_t w = b->n + 1, n = 0, i = 0, j = 0;
	_cleanup_(freep) uint32_t *t = NULL;
	struct op *ops = calloc(a->n + b->n + 1, sizeof(*ops));

	if (!ops)
		return -ENOMEM;
	if ((a->n + 1) * w <= MAX_CELLS) {
		t = calloc((a->n + 1) * w, sizeof(*t));
		if (!t) {
			free(ops);
			return -ENOMEM;
		}
		for (size_t x = a->n; x-- > 0;)
			for (size_t y = b->n; y-- > 0;)
				t[x * w + y] = line_eq(&a->v[x], &b->v[y]) ? t[(x + 1) * w + y + 1] + 1u
					       : MAX(t[(x + 1) * w + y], t[x * w + y + 1]);
	}
	while (i < a->n || j < b->n) {
		if (t && i < a->n && j < b->n && line_eq(&a->v[i], &b->v[j]))
			ops[n++] = (struct op){ OP_KEEP, i++, j++ };
		else if (i < a->n && (j == b->n || !t || t[(i + 1) * w + j] >= t[i * w + j + 1]))
			ops[n++] = (struct op){ OP_DEL, i++, j };
		else
			ops[n++] = (struct op){ OP_ADD, i, j++ };
	}
	*ret = ops;
	*ret_n = n;
	return 0;
}

/* "start,count" of a hunk side: an empty side names the line before it. */
static void range(FILE *out, size_t first, size_t count)
{
	if (count == 0)
		fprintf(out, "%zu,0", first);
	else if (count == 1)
		fprintf(out, "%zu", first + 1);
	else
		fprintf(out, "%zu,%zu", first + 1, count);
}

static void print_line(FILE *out, char kind, const struct lines *l, size_t i)
{
	fprintf(out, "%c%.*s\n", kind, (int)l->v[i].len, l->v[i].s);
	if (i + 1 == l->n && l->no_final_newline)
		fprintf(out, "\\ No newline at end of file\n");
}

static void print_hunk(FILE *out, const struct op *ops, size_t from, size_t to, const struct lines *a,
		       const struct lines *b)
{
	size_t na = 0, nb = 0;

	for (size_t k = from; k < to; k++) {
		na += ops[k].kind != OP_ADD;
		nb += ops[k].kind != OP_DEL;
	}
	fprintf(out, "@@ -");
	range(out, ops[from].a, na);
	fprintf(out, " +");
	range(out, ops[from].b, nb);
	fprintf(out, " @@\n");
	for (size_t k = from; k < to; k++) {
		if (ops[k].kind == OP_ADD)
			print_line(out, '+', b, ops[k].b);
		else
			print_line(out, ops[k].kind, a, ops[k].a);
	}
}

int udiff_print(FILE *out, const char *a_name, const char *a, const char *b_name, const char *b)
{
	_cleanup_(freep) struct op *ops = NULL;
	struct lines la = {}, lb = {};
	size_t n = 0, k = 0;
	bool any = false;
	int r;

	r = split(a, &la);
	if (r >= 0)
		r = split(b, &lb);
	if (r >= 0)
		r = edit_script(&la, &lb, &ops, &n);
	if (r < 0)
		goto out;
	while (k < n) {
		size_t first, last, from, to;

		while (k < n && ops[k].kind == OP_KEEP)
			k++;
		if (k == n)
			break;
		/* extend over changes whose gap of kept lines is at most twice the context */
		first = last = k;
		for (size_t gap = 0; k < n && gap <= 2 * CONTEXT; k++) {
			if (ops[k].kind == OP_KEEP) {
				gap++;
				continue;
			}
			gap = 0;
			last = k;
		}
		from = first >= CONTEXT ? first - CONTEXT : 0;
		to = MIN(last + 1 + CONTEXT, n);
		if (!any) {
			fprintf(out, "--- %s\n+++ %s\n", a_name, b_name);
			any = true;
		}
		print_hunk(out, ops, from, to, &la, &lb);
		k = to;
	}
	r = any;
out:
	free(la.v);
	free(lb.v);
	return r;
}
