/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One parser per kind of value, each serving every key of its kind through
 * its row of the key table: numbers in a range, booleans, enums, strings with
 * a name rule, and lists -- one list parser for every list, whatever its
 * items are (PCI addresses, VMIDs, unit names).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"

static void *field(struct config_parser *p, size_t offset)
{
	return (char *)&p->cfg + offset;
}

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* ---- scalars ---- */

static int parse_number(struct config_parser *p, const char *key, const char *s, unsigned min,
			unsigned max, unsigned *ret)
{
	unsigned long long v;

	/* strtoull alone would take a sign, blanks, "0x" (with base 0) or trailing junk. */
	if (!*s || s[strspn(s, "0123456789")] != '\0')
		return config_report(p, "invalid number '%s' for '%s' (expected decimal digits)", s, key);
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno == ERANGE || v < min || v > max)
		return config_report(p, "value %s for '%s' out of range (%u..%u)", s, key, min, max);
	*ret = (unsigned)v;
	return 0;
}

int config_parse_unsigned(struct config_parser *p, const struct config_key *k, const char *value)
{
	return parse_number(p, k->name, value, k->min, k->max, field(p, k->offset));
}

int config_boolean_from_string(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int config_parse_bool(struct config_parser *p, const struct config_key *k, const char *value)
{
	if (config_boolean_from_string(value, field(p, k->offset)) < 0)
		return config_report(p, "invalid boolean '%s' for '%s' (expected yes or no)", value,
				     k->name);
	return 0;
}

/* The field is an enum: stored as the int it is (checked in config.c, where the table names the fields). */
int config_parse_enum(struct config_parser *p, const struct config_key *k, const char *value)
{
	const struct config_enum *e = k->enum_type;

	for (size_t i = 0; i < e->n; i++)
		if (strcmp(value, e->names[i]) == 0) {
			int v = (int)i;

			memcpy(field(p, k->offset), &v, sizeof(v));
			return 0;
		}
	return config_report(p, "invalid value '%s' for '%s' (expected %s)", value, k->name, e->expected);
}

/* A char * field; an empty value (when the row allows it) stores NULL. */
int config_parse_checked_string(struct config_parser *p, const struct config_key *k, const char *value)
{
	char **f = field(p, k->offset);
	const char *why = *value ? k->rule->problem(value) : NULL;
	char *s = NULL;

	if (why)
		return config_report(p, "invalid %s '%s' for '%s' (%s)", k->rule->what, value, k->name, why);
	if (*value) {
		s = strdup(value);
		if (!s)
			return config_oom(p);
	}
	free(*f);
	*f = s;
	return 0;
}

/* ---- lists ---- */

static bool is_list_separator(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

int config_list_split(const char *value, char **ret_buf, char ***ret_items, size_t *ret_n,
		      const char **ret_problem)
{
	_cleanup_(freep) char *buf = strdup(value);
	_cleanup_(freep) char **items = NULL;
	size_t n = 0;
	char *s;

	if (!buf)
		return -ENOMEM;
	/* Items are separated, so there are at most (len + 1) / 2 of them; one more for the NULL. */
	items = calloc(strlen(buf) / 2 + 2, sizeof(*items));
	if (!items)
		return -ENOMEM;

	s = (char *)skip_space(buf);
	if (*s == ',') {
		*ret_problem = "empty element";
		return -EINVAL;
	}
	while (*s) {
		char *end = s;
		char *next;
		bool comma;

		while (*end && !is_list_separator(*end))
			end++;
		next = (char *)skip_space(end);
		comma = *next == ',';

		if (comma)
			next = (char *)skip_space(next + 1);
		if (comma && (*next == ',' || !*next)) {
			*ret_problem = *next ? "empty element" : "trailing comma";
			return -EINVAL;
		}
		*end = '\0';
		items[n++] = s;
		s = next;
	}

	*ret_buf = TAKE_PTR(buf);
	*ret_items = TAKE_PTR(items);
	*ret_n = n;
	return 0;
}

/* The items read so far, freed with their contents unless handed out. */
struct item_array {
	const struct config_item_type *type;
	char *v;
	size_t n;
};

static void *item_at(const struct item_array *a, size_t i)
{
	return a->v + i * a->type->size;
}

static void item_array_done(struct item_array *a)
{
	for (size_t i = 0; a->type->done && i < a->n; i++)
		a->type->done(item_at(a, i));
	free(a->v);
}

static bool item_array_contains(const struct item_array *a, const void *item)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->type->equal(item_at(a, i), item))
			return true;
	return false;
}

/* Reads items into a, checking each so that every bad one is reported. */
static int parse_items(struct config_parser *p, const struct config_key *k, char **items, size_t n,
		       struct item_array *a)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		void *slot = item_at(a, a->n);
		int q = a->type->parse(p, k, items[i], slot);

		if (q == -ENOMEM)
			return q;
		if (q < 0) {
			r = q;
			continue;
		}
		if (item_array_contains(a, slot)) {
			if (a->type->done)
				a->type->done(slot);
			r = config_report(p, "duplicate %s '%s' in '%s'", a->type->noun, items[i], k->name);
			continue;
		}
		a->n++;
	}
	return r;
}

/* The field is the array at k->offset with its count at k->n_offset; the old items are freed. */
int config_parse_list(struct config_parser *p, const struct config_key *k, const char *value)
{
	_cleanup_(item_array_done) struct item_array a = { .type = k->items };
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(freep) char **items = NULL;
	struct item_array old = { .type = k->items };
	const char *problem = NULL;
	size_t n;
	int r;

	r = config_list_split(value, &buf, &items, &n, &problem);
	if (r == -EINVAL)
		return config_report(p, "%s in '%s'", problem, k->name);
	if (r < 0)
		return config_oom(p);
	if (n > 0) {
		a.v = calloc(n, a.type->size);
		if (!a.v)
			return config_oom(p);
	}
	r = parse_items(p, k, items, n, &a);
	if (r == -ENOMEM)
		return config_oom(p);
	if (r < 0)
		return r;

	/* The field's pointer is copied bytewise: it is a struct pci_addr *, a uint32_t *, a char **. */
	memcpy(&old.v, field(p, k->offset), sizeof(old.v));
	memcpy(&old.n, field(p, k->n_offset), sizeof(old.n));
	item_array_done(&old);
	memcpy(field(p, k->offset), &a.v, sizeof(a.v));
	memcpy(field(p, k->n_offset), &a.n, sizeof(a.n));
	a = (struct item_array){ .type = k->items };
	return 0;
}

/* ---- list items ---- */

static int item_pci_addr(struct config_parser *p, const struct config_key *k, const char *s, void *ret)
{
	if (pci_addr_parse(s, 0, ret) < 0)
		return config_report(p, "invalid PCI address '%s' in '%s' (expected DDDD:BB:DD.F, e.g. 0000:00:1f.3)",
				     s, k->name);
	return 0;
}

static bool pci_addr_equal_v(const void *a, const void *b)
{
	return pci_addr_equal(a, b);
}

const struct config_item_type config_item_pci_addr = {
	.noun = "PCI address",
	.size = sizeof(struct pci_addr),
	.parse = item_pci_addr,
	.equal = pci_addr_equal_v,
};

static int item_vmid(struct config_parser *p, const struct config_key *k, const char *s, void *ret)
{
	uint32_t *id = ret;
	unsigned v;
	int r;

	r = parse_number(p, k->name, s, k->min, k->max, &v);
	if (r < 0)
		return r;
	*id = v;
	return 0;
}

static bool vmid_equal(const void *a, const void *b)
{
	return *(const uint32_t *)a == *(const uint32_t *)b;
}

const struct config_item_type config_item_vmid = {
	.noun = "vmid",
	.size = sizeof(uint32_t),
	.parse = item_vmid,
	.equal = vmid_equal,
};

static int item_unit(struct config_parser *p, const struct config_key *k, const char *s, void *ret)
{
	const char *why = config_unit_name_problem(s);
	char **unit = ret;

	if (why)
		return config_report(p, "invalid unit name '%s' in '%s' (%s)", s, k->name, why);
	*unit = strdup(s);
	return *unit ? 0 : -ENOMEM;
}

static bool unit_equal(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b) == 0;
}

static void unit_done(void *item)
{
	free(*(char **)item);
}

const struct config_item_type config_item_unit = {
	.noun = "unit",
	.size = sizeof(char *),
	.parse = item_unit,
	.equal = unit_equal,
	.done = unit_done,
};
