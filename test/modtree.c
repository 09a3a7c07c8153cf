/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/macro.h"
#include "modtree.h"
#include "testutil.h"

#define INDEX_MAGIC 0xB007F457u
#define INDEX_VERSION 0x00020001u
#define INDEX_NODE_VALUES 0x40000000u
#define INDEX_NODE_CHILDS 0x20000000u
#define INDEX_CHILDMAX 128

/* A trie with one character per arc; values sit on the node that ends a key. */
struct node {
	struct node *child[INDEX_CHILDMAX];
	char **values;
	unsigned *priority;
	size_t n_values;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < INDEX_CHILDMAX; i++)
		node_free(n->child[i]);
	for (size_t i = 0; i < n->n_values; i++)
		free(n->values[i]);
	free(n->values);
	free(n->priority);
	free(n);
}

static void node_add(struct node *root, const char *key, const char *value, unsigned priority)
{
	struct node *n = root;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		ck_assert_msg(*p < INDEX_CHILDMAX, "modtree: non-ASCII key %s", key);
		if (!n->child[*p]) {
			n->child[*p] = calloc(1, sizeof(struct node));
			ck_assert_ptr_nonnull(n->child[*p]);
		}
		n = n->child[*p];
	}
	n->values = reallocarray(n->values, n->n_values + 1, sizeof(*n->values));
	n->priority = reallocarray(n->priority, n->n_values + 1, sizeof(*n->priority));
	ck_assert(n->values && n->priority);
	n->values[n->n_values] = strdup(value);
	ck_assert_ptr_nonnull(n->values[n->n_values]);
	n->priority[n->n_values++] = priority;
}

static void put32(FILE *f, uint32_t v)
{
	uint32_t be = htonl(v);

	ck_assert_int_eq(fwrite(&be, sizeof(be), 1, f), 1);
}

/* Writes the children first (their offsets go into the parent), then the node; returns its offset word. */
static uint32_t node_write(FILE *f, const struct node *n)
{
	uint32_t offs[INDEX_CHILDMAX] = {};
	int first = -1, last = -1;
	uint32_t flags = 0;
	long at;

	for (int c = 0; c < INDEX_CHILDMAX; c++) {
		if (!n->child[c])
			continue;
		offs[c] = node_write(f, n->child[c]);
		if (first < 0)
			first = c;
		last = c;
	}
	at = ftell(f);
	ck_assert(at > 0 && at < 0x0FFFFFFF);
	if (first >= 0) {
		flags |= INDEX_NODE_CHILDS;
		fputc(first, f);
		fputc(last, f);
		for (int c = first; c <= last; c++)
			put32(f, offs[c]);
	}
	if (n->n_values) {
		flags |= INDEX_NODE_VALUES;
		put32(f, n->n_values);
		for (size_t i = 0; i < n->n_values; i++) {
			put32(f, n->priority[i]);
			fputs(n->values[i], f);
			fputc('\0', f);
		}
	}
	return (uint32_t)at | flags;
}

static int index_write(const char *path, const struct node *root)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "we");
	uint32_t root_off;

	if (!f)
		return negative_errno();
	put32(f, INDEX_MAGIC);
	put32(f, INDEX_VERSION);
	put32(f, 0); /* the root's offset, known once the tree is written */
	root_off = node_write(f, root);
	ck_assert_int_eq(fseek(f, 8, SEEK_SET), 0);
	put32(f, root_off);
	if (fflush(f) != 0)
		return negative_errno();
	return 0;
}

/* root/dir/leaf, malloc'd */
static char *leaf_path(const char *root, const char *dir, const char *leaf)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s/%s", root, dir, leaf), 0);
	return p;
}

int modtree_build(const char *root, const char *release, const char *text)
{
	_cleanup_(freep) char *dir = NULL, *copy = strdup(text), *alias_txt = NULL, *dep_txt = NULL;
	_cleanup_(freep) char *alias_path = NULL, *dep_path = NULL;
	struct node *aliases = calloc(1, sizeof(*aliases)), *deps = calloc(1, sizeof(*deps));
	size_t alias_len = 0, dep_len = 0;
	unsigned prio = 0;
	char *save = NULL;
	FILE *a, *d;
	int r;

	ck_assert(copy && aliases && deps);
	ck_assert_int_ge(asprintf(&dir, "lib/modules/%s", release), 0);
	tu_mkdir_p(root, dir);
	a = open_memstream(&alias_txt, &alias_len);
	d = open_memstream(&dep_txt, &dep_len);
	ck_assert(a && d);
	fputs("# Aliases extracted from modules themselves.\n", a);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kw[16], pattern[256], module[64];
		_cleanup_(freep) char *dep = NULL;
		struct node *n = deps;

		if (line[strspn(line, " \t")] == '#')
			continue;
		ck_assert_msg(sscanf(line, "%15s %255s %63s", kw, pattern, module) == 3 && strcmp(kw, "alias") == 0,
			      "modtree: not an alias line: %s", line);
		fprintf(a, "alias %s %s\n", pattern, module);
		node_add(aliases, pattern, module, prio++);
		/* one modules.dep line per module: is it in the dep trie already? */
		for (const unsigned char *p = (const unsigned char *)module; n && *p; p++)
			n = *p < INDEX_CHILDMAX ? n->child[*p] : NULL;
		if (n && n->n_values)
			continue;
		ck_assert_int_ge(asprintf(&dep, "kernel/%s.ko:", module), 0);
		fprintf(d, "%s\n", dep);
		node_add(deps, module, dep, 0);
	}
	ck_assert_int_eq(fclose(a), 0);
	ck_assert_int_eq(fclose(d), 0);
	ck_assert_int_ge(asprintf(&alias_path, "%s/modules.alias", dir), 0);
	ck_assert_int_ge(asprintf(&dep_path, "%s/modules.dep", dir), 0);
	tu_write_file(root, alias_path, alias_txt);
	tu_write_file(root, dep_path, dep_txt);
	free(alias_path);
	free(dep_path);
	alias_path = leaf_path(root, dir, "modules.alias.bin");
	dep_path = leaf_path(root, dir, "modules.dep.bin");
	r = index_write(alias_path, aliases);
	if (r >= 0)
		r = index_write(dep_path, deps);
	node_free(aliases);
	node_free(deps);
	return r;
}
