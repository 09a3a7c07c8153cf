/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The primitives every reader shares: the strict number parsers
 * (core/parse.h) and the one rule for the first line of a file
 * (file_read_line, sysfs_read_line) and for a link's target.
 */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/parse.h"
#include "core/sysfs.h"
#include "testutil.h"

START_TEST(atou_accepts_digits_only)
{
	unsigned v = 42;

	ck_assert_int_eq(safe_atou("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(safe_atou("4294967295", &v), 0);
	ck_assert_uint_eq(v, UINT_MAX);
	ck_assert_int_eq(safe_atou("007", &v), 0);
	ck_assert_uint_eq(v, 7);
	v = 42;
	ck_assert_int_eq(safe_atou("4294967296", &v), -ERANGE);
	ck_assert_int_eq(safe_atou("99999999999999999999999", &v), -ERANGE);
	/* what strtoul would take: a sign, blanks, junk after, nothing at all */
	ck_assert_int_eq(safe_atou("-1", &v), -EINVAL);
	ck_assert_int_eq(safe_atou("+1", &v), -EINVAL);
	ck_assert_int_eq(safe_atou(" 1", &v), -EINVAL);
	ck_assert_int_eq(safe_atou("1 ", &v), -EINVAL);
	ck_assert_int_eq(safe_atou("1\n", &v), -EINVAL);
	ck_assert_int_eq(safe_atou("12a", &v), -EINVAL);
	ck_assert_int_eq(safe_atou("0x10", &v), -EINVAL);
	ck_assert_int_eq(safe_atou("", &v), -EINVAL);
	ck_assert_int_eq(safe_atou(NULL, &v), -EINVAL);
	/* failures leave the result alone */
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(atou_hex)
{
	unsigned v = 0;

	ck_assert_int_eq(safe_atou_base("0x1003", 16, &v), 0);
	ck_assert_uint_eq(v, 0x1003);
	ck_assert_int_eq(safe_atou_base("1003", 16, &v), 0);
	ck_assert_uint_eq(v, 0x1003);
	ck_assert_int_eq(safe_atou_base("0XfFfF", 16, &v), 0);
	ck_assert_uint_eq(v, 0xffff);
	ck_assert_int_eq(safe_atou_base("0xffffffff", 16, &v), 0);
	ck_assert_uint_eq(v, UINT_MAX);
	ck_assert_int_eq(safe_atou_base("0x100000000", 16, &v), -ERANGE);
	ck_assert_int_eq(safe_atou_base("0x", 16, &v), -EINVAL);
	ck_assert_int_eq(safe_atou_base("0xg", 16, &v), -EINVAL);
	ck_assert_int_eq(safe_atou_base("-0x1", 16, &v), -EINVAL);
	/* only bases 10 and 16 */
	ck_assert_int_eq(safe_atou_base("7", 8, &v), -EINVAL);
	/* a hex digit is not decimal */
	ck_assert_int_eq(safe_atou("1f", &v), -EINVAL);
}
END_TEST

START_TEST(atoi_and_atou64_ranges)
{
	uint64_t u = 0;
	int i = 5;

	ck_assert_int_eq(safe_atoi("2147483647", &i), 0);
	ck_assert_int_eq(i, INT_MAX);
	ck_assert_int_eq(safe_atoi("2147483648", &i), -ERANGE);
	ck_assert_int_eq(safe_atoi("-1", &i), -EINVAL);
	ck_assert_int_eq(i, INT_MAX);
	ck_assert_int_eq(safe_atou64("18446744073709551615", &u), 0);
	ck_assert(u == UINT64_MAX);
	ck_assert_int_eq(safe_atou64("18446744073709551616", &u), -ERANGE);
	ck_assert_int_eq(safe_atou64("1e3", &u), -EINVAL);
}
END_TEST

START_TEST(pairs_and_devnums)
{
	unsigned maj = 1, min = 2;
	uint64_t a = 0, b = 0;

	ck_assert_int_eq(parse_devnum("8:0", &maj, &min), 0);
	ck_assert_uint_eq(maj, 8);
	ck_assert_uint_eq(min, 0);
	ck_assert_int_eq(parse_devnum("259:12", &maj, &min), 0);
	ck_assert_uint_eq(maj, 259);
	ck_assert_uint_eq(min, 12);
	maj = 1;
	min = 2;
	/* what sscanf("%u:%u") let through: blanks, signs, junk after */
	ck_assert_int_eq(parse_devnum(" 8:0", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum("8: 0", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum("-8:0", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum("8:0\n", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum("8:0:1", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum("8", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum(":0", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum("8:", &maj, &min), -EINVAL);
	ck_assert_int_eq(parse_devnum("4294967296:0", &maj, &min), -ERANGE);
	ck_assert_uint_eq(maj, 1);
	ck_assert_uint_eq(min, 2);
	/* $JOURNAL_STREAM, "DEV:INO" */
	ck_assert_int_eq(safe_atou64_pair("64769:1234567890123", ':', &a, &b), 0);
	ck_assert(a == 64769 && b == 1234567890123ULL);
	ck_assert_int_eq(safe_atou64_pair(NULL, ':', &a, &b), -EINVAL);
}
END_TEST

static char *root;

static void setup(void)
{
	root = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rm_rf(root);
	free(root);
	root = NULL;
}

/* file_read_line() on root/rel with flags; the line in *ret, "(unset)" when not written. */
static int read_rel(const char *rel, unsigned flags, char **ret)
{
	_cleanup_(freep) char *p = tu_path(root, rel);
	char *line = NULL;
	int r = file_read_line(p, flags, &line);

	*ret = line ? line : strdup("(unset)");
	return r;
}

START_TEST(read_line_one_rule)
{
	static const unsigned kinds[] = { 0, FILE_NOFOLLOW, FILE_KERNEL };

	tu_write_file(root, "two", "first\nsecond\n");
	tu_write_file(root, "no-newline", "first");
	tu_write_file(root, "newline-only", "\n");
	tu_write_file(root, "empty", "");
	/* the same answers through every opener */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		_cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;

		ck_assert_int_eq(read_rel("two", kinds[k], &a), 0);
		ck_assert_str_eq(a, "first");
		ck_assert_int_eq(read_rel("no-newline", kinds[k], &b), 0);
		ck_assert_str_eq(b, "first");
		/* an empty first line is a line */
		ck_assert_int_eq(read_rel("newline-only", kinds[k], &c), 0);
		ck_assert_str_eq(c, "");
		/* an empty file has none */
		ck_assert_int_eq(read_rel("empty", kinds[k], &d), -ENODATA);
		ck_assert_str_eq(d, "(unset)");
		ck_assert_int_eq(read_rel("missing", kinds[k], &e), -ENOENT);
		ck_assert_str_eq(e, "(unset)");
	}
}
END_TEST

START_TEST(read_line_sysfs_same_rule)
{
	_cleanup_(freep) char *p = tu_path(root, "operstate"), *q = tu_path(root, "empty");
	_cleanup_(freep) char *m = tu_path(root, "missing"), *line = NULL;
	char *none = (char *)"untouched";

	tu_write_file(root, "operstate", "up\n");
	tu_write_file(root, "empty", "");
	ck_assert_int_eq(sysfs_read_line(p, &line), 0);
	ck_assert_str_eq(line, "up");
	ck_assert_int_eq(sysfs_read_line(q, &none), -ENODATA);
	ck_assert_int_eq(sysfs_read_line(m, &none), -ENOENT);
	ck_assert_str_eq(none, "untouched");
}
END_TEST

START_TEST(read_line_refuses_fifo)
{
	_cleanup_(freep) char *fifo = tu_path(root, "fifo"), *a = NULL, *b = NULL;

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* no writer: a blocking open would hang here (Check's timeout) */
	ck_assert_int_eq(read_rel("fifo", 0, &a), -EBADFD);
	ck_assert_int_eq(read_rel("fifo", FILE_NOFOLLOW, &b), -EBADFD);
	/* FILE_KERNEL is for sysfs and procfs only, where no FIFO can be put: not tried here */
}
END_TEST

START_TEST(read_link_not_truncated)
{
	_cleanup_(freep) char *long_target = malloc(3001), *p = tu_path(root, "long"), *t = NULL;
	_cleanup_(freep) char *m = tu_path(root, "missing"), *f = tu_path(root, "file");
	char *none = (char *)"untouched";

	ck_assert_ptr_nonnull(long_target);
	/* longer than the first buffer tried, so the loop grows it */
	memset(long_target, 'x', 3000);
	long_target[0] = '/';
	long_target[3000] = '\0';
	tu_symlink(root, "long", long_target);
	ck_assert_int_eq(file_read_link(p, &t), 0);
	ck_assert_str_eq(t, long_target);
	ck_assert_int_eq(file_read_link(m, &none), -ENOENT);
	tu_write_file(root, "file", "x");
	ck_assert_int_eq(file_read_link(f, &none), -EINVAL);
	ck_assert_str_eq(none, "untouched");
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *num = tcase_create("numbers"), *line = tcase_create("read_line");

	tcase_add_test(num, atou_accepts_digits_only);
	tcase_add_test(num, atou_hex);
	tcase_add_test(num, atoi_and_atou64_ranges);
	tcase_add_test(num, pairs_and_devnums);
	suite_add_tcase(s, num);
	tcase_add_checked_fixture(line, setup, teardown);
	tcase_add_test(line, read_line_one_rule);
	tcase_add_test(line, read_line_sysfs_same_rule);
	tcase_add_test(line, read_line_refuses_fifo);
	tcase_add_test(line, read_link_not_truncated);
	suite_add_tcase(s, line);
	return s;
}

TESTSUITE_MAIN(parse_suite)
