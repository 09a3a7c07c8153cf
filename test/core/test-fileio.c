/* SPDX-License-Identifier: GPL-2.0-or-later */
/* file_open_regular and friends: what they accept, what they refuse, and that nothing blocks. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "testutil.h"

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

static int open_rel(const char *rel, unsigned flags)
{
	_cleanup_(freep) char *p = tu_path(root, rel);
	_cleanup_(fclosep) FILE *f = NULL;
	struct stat st;
	int r;

	r = file_open_regular(p, flags, &f, &st);
	if (r == 0) {
		ck_assert_ptr_nonnull(f);
		ck_assert(S_ISREG(st.st_mode));
		/* reads must not see O_NONBLOCK */
		ck_assert_int_eq(fcntl(fileno(f), F_GETFL) & O_NONBLOCK, 0);
		ck_assert_int_ne(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC, 0);
	}
	return r;
}

START_TEST(regular_file_opens)
{
	tu_write_file(root, "etc/a.conf", "x\n");
	ck_assert_int_eq(open_rel("etc/a.conf", 0), 0);
	ck_assert_int_eq(open_rel("etc/a.conf", FILE_NOFOLLOW), 0);
	ck_assert_int_eq(open_rel("etc/missing.conf", 0), -ENOENT);
}
END_TEST

START_TEST(odd_files_refused_at_once)
{
	_cleanup_(freep) char *fifo = tu_path(root, "fifo");

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* no writer: a blocking open would hang here (Check's timeout) */
	ck_assert_int_eq(open_rel("fifo", 0), -EBADFD);
	ck_assert_int_eq(open_rel("fifo", FILE_NOFOLLOW), -EBADFD);
	tu_mkdir_p(root, "dir");
	ck_assert_int_eq(open_rel("dir", 0), -EISDIR);
	ck_assert_str_eq(file_strerror(-EBADFD), "not a regular file (a FIFO, a device or a socket)");
	ck_assert_str_eq(file_strerror(-ELOOP), "a symbolic link, which is not followed here");
	ck_assert_str_eq(file_strerror(-ENOENT), "No such file or directory");
}
END_TEST

START_TEST(links_followed_only_when_asked)
{
	tu_write_file(root, "real/a.conf", "x\n");
	tu_symlink(root, "link.conf", "real/a.conf");
	tu_symlink(root, "linkdir", "real");
	ck_assert_int_eq(open_rel("link.conf", 0), 0);
	ck_assert_int_eq(open_rel("link.conf", FILE_NOFOLLOW), -ELOOP);
	/* a link in the directories above is followed (/etc/pve/qemu-server is one) */
	ck_assert_int_eq(open_rel("linkdir/a.conf", FILE_NOFOLLOW), 0);
	/* a link to a FIFO is still a FIFO */
	{
		_cleanup_(freep) char *fifo = tu_path(root, "fifo");

		ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	}
	tu_symlink(root, "to-fifo", "fifo");
	ck_assert_int_eq(open_rel("to-fifo", 0), -EBADFD);
}
END_TEST

START_TEST(read_line)
{
	_cleanup_(freep) char *p = tu_path(root, "hostname"), *q = tu_path(root, "empty");
	_cleanup_(freep) char *line = NULL;
	char *none = (char *)"untouched";

	tu_write_file(root, "hostname", "pve.example.org\nsecond\n");
	tu_write_file(root, "empty", "");
	ck_assert_int_eq(file_read_line(p, 0, &line), 0);
	ck_assert_str_eq(line, "pve.example.org");
	ck_assert_int_eq(file_read_line(q, 0, &none), -ENODATA);
	ck_assert_str_eq(none, "untouched");
}
END_TEST

static Suite *fileio_suite(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("open");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, regular_file_opens);
	tcase_add_test(tc, odd_files_refused_at_once);
	tcase_add_test(tc, links_followed_only_when_asked);
	tcase_add_test(tc, read_line);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(fileio_suite)
