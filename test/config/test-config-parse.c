/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config's key table and its value parsers: the table covers every
 * section and key of the shipped file and of igd-regroup.conf(5) and nothing
 * else; its rows are complete; the list splitter's edge cases; every list
 * key, whatever its items, goes through the one list parser with the same
 * rules and messages; the enums' "expected" texts are their spellings.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "testutil.h"

#define NAME "t.conf"

static char *tmpdir;
static struct tu_log logbuf;
static struct igd_ctx *ctx;

static void setup(void)
{
	tmpdir = tu_mkdtemp();
	logbuf = (struct tu_log){};
	ctx = tu_ctx_new(tmpdir, &logbuf);
}

static void teardown(void)
{
	igd_ctx_free(ctx);
	ctx = NULL;
	tu_log_reset(&logbuf);
	tu_rm_rf(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

static const char *log_text(void)
{
	return logbuf.buf ? logbuf.buf : "";
}

/* ---- the table against the shipped file and the man page ---- */

/* "section key" pairs, one per line, each once; pairs_sorted() hands them out sorted. */
struct pairs {
	char *buf;
	size_t len;
	FILE *f;
};

static void pairs_add(struct pairs *p, const char *section, const char *key)
{
	_cleanup_(freep) char *line = NULL;

	ck_assert_int_ge(asprintf(&line, "\n%s %s\n", section, key), 0);
	fflush(p->f);
	if (!strstr(p->buf, line))
		fputs(line + 1, p->f);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *pairs_sorted(struct pairs *p)
{
	char **lines = NULL;
	size_t n = 0;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(fclose(p->f), 0);
	for (char *s = p->buf, *save = NULL, *l; (l = strtok_r(s, "\n", &save)); s = NULL) {
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		ck_assert_ptr_nonnull(lines);
		lines[n++] = l;
	}
	qsort(lines, n, sizeof(*lines), compare_strings);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	ck_assert_int_eq(fclose(f), 0);
	free(lines);
	free(p->buf);
	return out;
}

static void pairs_open(struct pairs *p)
{
	*p = (struct pairs){};
	p->f = open_memstream(&p->buf, &p->len);
	ck_assert_ptr_nonnull(p->f);
	fputc('\n', p->f); /* every pair is then "\nsection key\n" in buf */
}

static char *table_pairs(void)
{
	struct pairs p;

	pairs_open(&p);
	for (size_t i = 0; i < config_n_keys; i++)
		pairs_add(&p, config_section_names[config_keys[i].section], config_keys[i].name);
	return pairs_sorted(&p);
}

static char *source_file(const char *rel)
{
	const char *srcdir = getenv("IGD_TEST_SRCDIR");
	_cleanup_(freep) char *path = NULL;
	char *text;

	/* `make check` sets IGD_TEST_SRCDIR; run by hand from the top directory, "test" is it. */
	path = tu_path(srcdir && *srcdir ? srcdir : "test", rel);
	text = tu_read_file(path);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	return text;
}

/*
 * The shipped file's sections and keys, set or commented out: "[s]" and
 * "#[s]" headers, "key =" and "#key =" lines ("# text" is prose).
 */
static char *shipped_pairs(void)
{
	_cleanup_(freep) char *text = source_file("../conf/igd-regroup.conf");
	_cleanup_(freep) char *section = strdup("");
	struct pairs p;

	pairs_open(&p);
	for (char *s = text, *save = NULL, *l; (l = strtok_r(s, "\n", &save)); s = NULL) {
		char name[64], eq[2];

		l += l[0] == '#';
		if (sscanf(l, "[%63[a-z]]", name) == 1) {
			free(section);
			section = strdup(name);
			ck_assert_ptr_nonnull(section);
		} else if (sscanf(l, "%63[a-z_] %1[=]", name, eq) == 2) {
			ck_assert_msg(*section, "key '%s' before any section in the shipped file", name);
			pairs_add(&p, section, name);
		}
	}
	return pairs_sorted(&p);
}

/* The man page's keys: ".TP" then ".B key", under '.SH "[section]"'. */
static char *man_pairs(void)
{
	_cleanup_(freep) char *text = source_file("../conf/igd-regroup.conf.5");
	_cleanup_(freep) char *section = NULL;
	bool tp = false;
	struct pairs p;

	pairs_open(&p);
	for (char *s = text, *save = NULL, *l; (l = strtok_r(s, "\n", &save)); s = NULL) {
		char name[64];

		if (strncmp(l, ".SH ", 4) == 0) {
			free(section);
			section = sscanf(l, ".SH \"[%63[a-z]]\"", name) == 1 ? strdup(name) : NULL;
		} else if (tp && section && sscanf(l, ".B %63[a-z_]", name) == 1 &&
			   strlen(l) == 3 + strlen(name))
			pairs_add(&p, section, name);
		tp = strcmp(l, ".TP") == 0;
	}
	return pairs_sorted(&p);
}

START_TEST(table_covers_shipped_file)
{
	_cleanup_(freep) char *table = table_pairs();
	_cleanup_(freep) char *shipped = shipped_pairs();

	ck_assert_uint_eq(config_n_keys, 12);
	ck_assert_str_eq(shipped, table);
}
END_TEST

START_TEST(table_covers_man_page)
{
	_cleanup_(freep) char *table = table_pairs();
	_cleanup_(freep) char *man = man_pairs();

	ck_assert_str_eq(man, table);
}
END_TEST

/* Each row is complete for its parser, and each (section, key) is there once. */
START_TEST(table_rows_complete)
{
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];

		ck_assert_ptr_nonnull(config_section_names[k->section]);
		ck_assert_ptr_nonnull(k->name);
		ck_assert_ptr_nonnull(k->parse);
		ck_assert_msg(config_key_find(k->section, k->name) == k, "[%s] %s is in the table twice",
			      config_section_names[k->section], k->name);
		ck_assert_uint_lt(k->offset, sizeof(struct igd_config));
		if (k->parse == config_parse_list) {
			ck_assert_ptr_nonnull(k->items);
			ck_assert_uint_ne(k->n_offset, k->offset);
			ck_assert_uint_le(k->n_offset + sizeof(size_t), sizeof(struct igd_config));
			ck_assert_msg(k->empty_ok, "the list '%s' must allow an empty value", k->name);
		}
		if (k->parse == config_parse_unsigned || k->items == &config_item_vmid) {
			ck_assert_uint_gt(k->max, 0);
			ck_assert_uint_le(k->min, k->max);
		}
		if (k->parse == config_parse_enum)
			ck_assert_ptr_nonnull(k->enum_type);
		if (k->parse == config_parse_checked_string)
			ck_assert_ptr_nonnull(k->rule);
	}
	ck_assert_ptr_null(config_key_find(CONFIG_SECTION_VFIO, "functions"));
	ck_assert_ptr_null(config_key_find(CONFIG_SECTION_NONE, "functions"));
	ck_assert_int_eq(config_section_from_name("hook"), CONFIG_SECTION_HOOK);
	ck_assert_int_eq(config_section_from_name("Hook"), CONFIG_SECTION_IGNORED);
	ck_assert_int_eq(config_section_from_name(""), CONFIG_SECTION_IGNORED);
}
END_TEST

/* "a, b or c": what the messages say an enum expects is exactly its spellings. */
static void expect_expected(const struct config_enum *e)
{
	_cleanup_(freep) char *joined = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&joined, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < e->n; i++)
		fprintf(f, "%s%s", i == 0 ? "" : i + 1 == e->n ? " or " : ", ", e->names[i]);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(e->expected, joined);
}

START_TEST(enum_expected_texts)
{
	expect_expected(&config_reset_phases);
	expect_expected(&config_net_actions);
}
END_TEST

/* ---- the list splitter ---- */

struct split_case {
	const char *value;
	const char *items; /* joined by '|'; NULL: rejected */
	const char *problem;
};

static const struct split_case split_cases[] = {
	{ "", "", NULL },
	{ "   ", "", NULL },
	{ "\t \t", "", NULL },
	{ "a", "a", NULL },
	{ "  a  ", "a", NULL },
	{ "a b", "a|b", NULL },
	{ "a,b", "a|b", NULL },
	{ "a, b", "a|b", NULL },
	{ "a ,b", "a|b", NULL },
	{ "a , b", "a|b", NULL },
	{ "a\t,\tb", "a|b", NULL },
	{ "a   b\tc", "a|b|c", NULL },
	{ "a b,c , d", "a|b|c|d", NULL },
	{ "abc,de", "abc|de", NULL },
	{ "a:b.c@d", "a:b.c@d", NULL },
	{ ",", NULL, "empty element" },
	{ ",a", NULL, "empty element" },
	{ "  , a", NULL, "empty element" },
	{ "a,,b", NULL, "empty element" },
	{ "a, ,b", NULL, "empty element" },
	{ "a ,  , b", NULL, "empty element" },
	{ "a,,", NULL, "empty element" },
	{ "a,", NULL, "trailing comma" },
	{ "a , ", NULL, "trailing comma" },
	{ "a b,", NULL, "trailing comma" },
};

START_TEST(split_list)
{
	const struct split_case *c = &split_cases[_i];
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(freep) char **items = NULL;
	_cleanup_(freep) char *joined = NULL;
	const char *problem = NULL;
	size_t n = 0, len = 0;
	FILE *f;
	int r;

	r = config_list_split(c->value, &buf, &items, &n, &problem);
	if (!c->items) {
		ck_assert_msg(r == -EINVAL, "'%s' should be rejected", c->value);
		ck_assert_str_eq(problem, c->problem);
		ck_assert_ptr_null(buf);
		ck_assert_ptr_null(items);
		return;
	}
	ck_assert_msg(r == 0, "'%s' should split", c->value);
	ck_assert_ptr_null(problem);
	f = open_memstream(&joined, &len);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "|" : "", items[i]);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(joined, c->items);
	ck_assert_ptr_null(items[n]);
}
END_TEST

/* Every split of a long list: as many items as the value allows, none lost. */
START_TEST(split_list_longest)
{
	_cleanup_(freep) char *value = malloc(2 * 500);
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(freep) char **items = NULL;
	const char *problem = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(value);
	for (size_t i = 0; i < 500; i++) {
		value[2 * i] = 'x';
		value[2 * i + 1] = ',';
	}
	value[2 * 500 - 1] = '\0';
	ck_assert_int_eq(config_list_split(value, &buf, &items, &n, &problem), 0);
	ck_assert_uint_eq(n, 500);
	ck_assert_str_eq(items[499], "x");
	ck_assert_ptr_null(items[500]);
}
END_TEST

/* ---- every list key through the one list parser ---- */

/* Two distinct valid items of each item type, and a spelling of the first one again. */
static void sample_items(const struct config_item_type *t, const char **a, const char **b, const char **again)
{
	if (t == &config_item_pci_addr) {
		*a = "00:1f.3";
		*b = "0000:00:02.0";
		*again = "0:1f.3";
	} else if (t == &config_item_vmid) {
		*a = "100";
		*b = "4242";
		*again = "0100";
	} else if (t == &config_item_unit) {
		*a = "a.service";
		*b = "b@c.service";
		*again = "a.service";
	} else
		ck_abort_msg("no sample items for a new item type: add them here");
}

static int parse_one(const struct config_key *k, const char *value, struct igd_config *c)
{
	_cleanup_(freep) char *text = NULL;

	ck_assert_int_ge(asprintf(&text, "[%s]\n%s = %s\n", config_section_names[k->section], k->name, value),
			 0);
	tu_log_reset(&logbuf);
	return config_parse_string(ctx, NAME, text, c);
}

static size_t list_count(const struct config_key *k, const struct igd_config *c)
{
	size_t n;

	memcpy(&n, (const char *)c + k->n_offset, sizeof(n));
	return n;
}

static void expect_list_error(const struct config_key *k, const char *value, const char *msg)
{
	_cleanup_(freep) char *want = NULL;
	struct igd_config c;

	ck_assert_int_eq(parse_one(k, value, &c), -EINVAL);
	ck_assert_int_ge(asprintf(&want, "3|" NAME ":2: %s\n", msg), 0);
	ck_assert_str_eq(log_text(), want);
	config_done(&c);
}

START_TEST(every_list_key)
{
	size_t lists = 0;

	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		_cleanup_(freep) char *two = NULL, *dup = NULL, *msg = NULL;
		const char *a, *b, *again;
		struct igd_config c;

		if (k->parse != config_parse_list)
			continue;
		lists++;
		sample_items(k->items, &a, &b, &again);

		/* empty: an empty list, replacing the default (units has one) */
		ck_assert_int_eq(parse_one(k, "", &c), 0);
		ck_assert_uint_eq(list_count(k, &c), 0);
		config_done(&c);

		/* every separator */
		ck_assert_int_ge(asprintf(&two, " %s ,\t%s ", a, b), 0);
		ck_assert_int_eq(parse_one(k, two, &c), 0);
		ck_assert_uint_eq(list_count(k, &c), 2);
		ck_assert_str_eq(log_text(), "");
		config_done(&c);

		/* the same messages, with the key's name */
		ck_assert_int_ge(asprintf(&msg, "empty element in '%s'", k->name), 0);
		expect_list_error(k, ", x", msg);
		free(msg);
		ck_assert_int_ge(asprintf(&msg, "trailing comma in '%s'", k->name), 0);
		expect_list_error(k, "x,", msg);
		free(msg);
		ck_assert_int_ge(asprintf(&dup, "%s %s %s", a, b, again), 0);
		ck_assert_int_ge(asprintf(&msg, "duplicate %s '%s' in '%s'", k->items->noun, again, k->name),
				 0);
		expect_list_error(k, dup, msg);
	}
	ck_assert_uint_eq(lists, 5);
}
END_TEST

/* Each bad item is reported, in order, on the same line; a duplicate of a bad item is just bad. */
START_TEST(list_reports_every_item)
{
	const struct config_key *k = config_key_find(CONFIG_SECTION_NETWORK, "units");
	struct igd_config c;

	ck_assert_int_eq(parse_one(k, "x y.service x y.service z.service", &c), -EINVAL);
	ck_assert_str_eq(log_text(),
			 "3|" NAME
			 ":2: invalid unit name 'x' in 'units' (expected a unit name like networking.service)\n"
			 "3|" NAME
			 ":2: invalid unit name 'x' in 'units' (expected a unit name like networking.service)\n"
			 "3|" NAME ":2: duplicate unit 'y.service' in 'units'\n");
	config_done(&c);
}
END_TEST

static Suite *config_parse_suite(void)
{
	Suite *s = suite_create("config-parse");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, table_covers_shipped_file);
	tcase_add_test(tc, table_covers_man_page);
	tcase_add_test(tc, table_rows_complete);
	tcase_add_test(tc, enum_expected_texts);
	suite_add_tcase(s, tc);

	tc = tcase_create("lists");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, split_list, 0, (int)ELEMENTSOF(split_cases));
	tcase_add_test(tc, split_list_longest);
	tcase_add_test(tc, every_list_key);
	tcase_add_test(tc, list_reports_every_item);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(config_parse_suite)
