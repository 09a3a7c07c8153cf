/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The global lock and our directory under /run: what other local users can
 * (not) do to them, what is refused at the lock path, and the lock file of
 * older versions during an upgrade.
 */
#include <check.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lock.h"
#include "testutil.h"

#define NOBODY 65534

static char *root;
static struct igd_ctx *ctx;
static struct tu_log logbuf;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
}

static void teardown(void)
{
	tu_root_teardown(&root, &ctx, &logbuf);
}

static void assert_logged(const char *needle)
{
	ck_assert_msg(tu_log_contains(&logbuf, needle), "expected '%s' in the log", needle);
}

static struct stat stat_of(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);
	struct stat st;

	ck_assert_msg(lstat(p, &st) == 0, "lstat %s: %s", p, strerror(errno));
	return st;
}

/* An open file description of rel holding an exclusive flock, as another process would. */
static int hold(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);
	int fd = open(p, O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", p, strerror(errno));
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

static bool is_locked(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);
	_cleanup_(closep) int fd = open(p, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

static bool exists(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	return access(p, F_OK) == 0;
}

static void chmod_rel(const char *rel, mode_t mode)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	ck_assert_int_eq(chmod(p, mode), 0);
}

static void rm_rel(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	tu_rm_rf(p);
}

static void mkfifo_rel(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	ck_assert_int_eq(mkfifo(p, 0600), 0);
}

static void chown_rel(const char *rel, uid_t uid)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	ck_assert_int_eq(lchown(p, uid, uid), 0);
}

START_TEST(takes_in_a_root_only_directory)
{
	struct igd_lock l = IGD_LOCK_NULL;
	struct stat st;

	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), 0);
	st = stat_of("run/igd-regroup");
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	ck_assert_uint_eq(st.st_uid, geteuid());
	st = stat_of("run/igd-regroup/lock");
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 077, 0);
	ck_assert(is_locked("run/igd-regroup/lock"));
	/* never created where any user can write */
	ck_assert(!exists("run/lock/igd-regroup.lock"));
	igd_lock_release(&l);
	igd_lock_release(&l);
	ck_assert(!is_locked("run/igd-regroup/lock"));
}
END_TEST

/*
 * The other user, in a child: returns its exit status (its cleanups run
 * before the _exit). Reports on ready 'd' when it could not create our
 * directory, 'l' when it could not create our lock, then holds on until
 * done is closed.
 */
static int as_nobody(int ready, int done)
{
	_cleanup_(freep) char *old = tu_path(root, "run/lock/igd-regroup.lock");
	_cleanup_(freep) char *dir = tu_path(root, "run/igd-regroup");
	_cleanup_(freep) char *ours = tu_path(root, "run/igd-regroup/lock");
	_cleanup_(closep) int fd = -1;
	char c;

	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		return 10;
	/* what it can: its own file at the old lock path, held */
	fd = open(old, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return 11;
	/* what it cannot: our directory and our lock */
	c = (mkdir(dir, 0777) < 0 && errno == EACCES) ? 'd' : 'D';
	(void)!write(ready, &c, 1);
	c = (open(ours, O_RDWR | O_CREAT | O_CLOEXEC, 0666) < 0) ? 'l' : 'L';
	(void)!write(ready, &c, 1);
	(void)!read(done, &c, 1); /* hold everything until the parent is done */
	return 0;
}

/*
 * Another local user does all it can in the tree before us: it holds a lock
 * file of its own in the world-writable run/lock, and tries to create our
 * directory and our lock. We still take the lock at once.
 */
START_TEST(an_unprivileged_user_cannot_block_us)
{
	int ready[2], done[2], status;
	struct igd_lock l = IGD_LOCK_NULL;
	char report = 0;
	pid_t child;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP an_unprivileged_user_cannot_block_us: needs root to become uid %d\n", NOBODY);
		return;
	}
	ck_assert_int_eq(chmod(root, 0755), 0);
	tu_mkdir_p(root, "run/lock");
	chmod_rel("run/lock", 01777);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(done[1]);
		close(ready[0]);
		_exit(as_nobody(ready[1], done[0]));
	}
	close(ready[1]);
	close(done[0]);
	ck_assert_int_eq(read(ready[0], &report, 1), 1);
	ck_assert_msg(report == 'd', "uid %d could create run/igd-regroup", NOBODY);
	ck_assert_int_eq(read(ready[0], &report, 1), 1);
	ck_assert_msg(report == 'l', "uid %d could create run/igd-regroup/lock", NOBODY);
	ck_assert_uint_eq(stat_of("run/lock/igd-regroup.lock").st_uid, NOBODY);
	ck_assert(is_locked("run/lock/igd-regroup.lock"));

	/* no wait at all: a timeout of 0 fails at once if anything is held */
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), 0);
	ck_assert(!tu_log_contains(&logbuf, "Waiting for the lock"));
	ck_assert_int_eq(l.legacy_fd, -1);
	ck_assert_uint_eq(stat_of("run/igd-regroup").st_uid, 0);
	ck_assert_uint_eq(stat_of("run/igd-regroup/lock").st_uid, 0);
	igd_lock_release(&l);

	close(done[1]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(ready[0]);
}
END_TEST

START_TEST(refuses_a_symlink_at_the_lock_path)
{
	struct igd_lock l = IGD_LOCK_NULL;

	tu_write_file(root, "elsewhere", "");
	tu_symlink(root, "run/igd-regroup/lock", "../../elsewhere");
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -EPERM);
	assert_logged("/run/igd-regroup/lock: it is a symbolic link; remove it and run again.");
	ck_assert_int_eq(l.fd, -1);
}
END_TEST

START_TEST(refuses_a_fifo_at_the_lock_path)
{
	struct igd_lock l = IGD_LOCK_NULL;

	tu_mkdir_p(root, "run/igd-regroup");
	mkfifo_rel("run/igd-regroup/lock");
	/* returns at once (Check's timeout catches a hang) */
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -EPERM);
	assert_logged("/run/igd-regroup/lock: it is a FIFO, not a regular file; remove it and run again.");
}
END_TEST

START_TEST(refuses_a_lock_owned_by_another_user)
{
	struct igd_lock l = IGD_LOCK_NULL;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP refuses_a_lock_owned_by_another_user: needs root to chown\n");
		return;
	}
	tu_write_file(root, "run/igd-regroup/lock", "");
	chown_rel("run/igd-regroup/lock", NOBODY);
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -EPERM);
	assert_logged("/run/igd-regroup/lock: it is owned by uid 65534, not by root; remove it and run again.");
}
END_TEST

START_TEST(refuses_a_directory_that_is_not_ours)
{
	struct igd_lock l = IGD_LOCK_NULL;

	/* a symlink to a directory somebody else controls */
	tu_mkdir_p(root, "tmp/x");
	tu_symlink(root, "run/igd-regroup", "../tmp/x");
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -EPERM);
	assert_logged("/run/igd-regroup: it is not a directory (a symbolic link); remove it and run again.");
	tu_log_reset(&logbuf);
	rm_rel("run/igd-regroup");

	/* writable by others */
	tu_mkdir_p(root, "run/igd-regroup");
	chmod_rel("run/igd-regroup", 0777);
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -EPERM);
	assert_logged("/run/igd-regroup: it is writable by group or others (mode 0777); fix with: chmod 0755 ");
	tu_log_reset(&logbuf);

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP refuses_a_directory_that_is_not_ours (owner): needs root to chown\n");
		return;
	}
	chmod_rel("run/igd-regroup", 0755);
	chown_rel("run/igd-regroup", NOBODY);
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -EPERM);
	assert_logged("/run/igd-regroup: it is owned by uid 65534, not by root; remove it and run again.");
	ck_assert(!exists("run/igd-regroup/lock"));
}
END_TEST

/* During an upgrade, a process of the old version holds the old lock file: we wait for it. */
START_TEST(waits_for_the_old_versions_lock)
{
	struct igd_lock l = IGD_LOCK_NULL;
	int old;

	tu_write_file_mode(root, "run/lock/igd-regroup.lock", "4242\n", 0600);
	old = hold("run/lock/igd-regroup.lock");
	ck_assert_int_eq(igd_lock_take(ctx, 60, &l), -ETIMEDOUT);
	assert_logged("/run/lock/igd-regroup.lock (held by pid 4242)...");
	assert_logged("Another igd-regroup run (pid 4242) still holds ");
	/* ours was let go again */
	ck_assert(!is_locked("run/igd-regroup/lock"));
	close(old);

	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), 0);
	ck_assert(is_locked("run/igd-regroup/lock"));
	ck_assert(is_locked("run/lock/igd-regroup.lock"));
	igd_lock_release(&l);
	ck_assert(!is_locked("run/lock/igd-regroup.lock"));
}
END_TEST

/* What the old version never made at its path is ignored, held or not. */
START_TEST(ignores_an_old_lock_that_is_not_the_old_versions)
{
	struct igd_lock l = IGD_LOCK_NULL;
	int held;

	/* readable by others: a user could have opened and flocked it */
	tu_write_file_mode(root, "run/lock/igd-regroup.lock", "", 0644);
	held = hold("run/lock/igd-regroup.lock");
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), 0);
	ck_assert_int_eq(l.legacy_fd, -1);
	igd_lock_release(&l);
	close(held);

	/* a second name of another file (a hard link) */
	rm_rel("run/lock");
	tu_write_file_mode(root, "run/other", "", 0600);
	tu_mkdir_p(root, "run/lock");
	{
		_cleanup_(freep) char *a = tu_path(root, "run/other"), *b = tu_path(root, "run/lock/igd-regroup.lock");

		ck_assert_int_eq(link(a, b), 0);
	}
	held = hold("run/other");
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), 0);
	igd_lock_release(&l);
	close(held);

	/* a FIFO: not even opened in a way that blocks */
	rm_rel("run/lock");
	tu_mkdir_p(root, "run/lock");
	mkfifo_rel("run/lock/igd-regroup.lock");
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), 0);
	ck_assert_int_eq(l.legacy_fd, -1);
	igd_lock_release(&l);
}
END_TEST

/* The holder's pid in the wait message is parsed strictly: garbage says pid 0. */
START_TEST(holder_pid_parsed_strictly)
{
	struct igd_lock l = IGD_LOCK_NULL;
	int held;

	tu_write_file_mode(root, "run/igd-regroup/lock", "12abc\n", 0600);
	held = hold("run/igd-regroup/lock");
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -ETIMEDOUT);
	assert_logged("(held by pid 0)");
	tu_log_reset(&logbuf);
	ck_assert_int_eq(pwrite(held, "99999999999999999999\n", 21, 0), 21);
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -ETIMEDOUT);
	assert_logged("(held by pid 0)");
	tu_log_reset(&logbuf);
	ck_assert_int_eq(ftruncate(held, 0), 0);
	ck_assert_int_eq(pwrite(held, "317\n", 4, 0), 4);
	ck_assert_int_eq(igd_lock_take(ctx, 0, &l), -ETIMEDOUT);
	assert_logged("(held by pid 317)");
	close(held);
}
END_TEST

static Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc;

	tc = tcase_create("lock");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, takes_in_a_root_only_directory);
	tcase_add_test(tc, an_unprivileged_user_cannot_block_us);
	tcase_add_test(tc, refuses_a_symlink_at_the_lock_path);
	tcase_add_test(tc, refuses_a_fifo_at_the_lock_path);
	tcase_add_test(tc, refuses_a_lock_owned_by_another_user);
	tcase_add_test(tc, refuses_a_directory_that_is_not_ours);
	tcase_add_test(tc, waits_for_the_old_versions_lock);
	tcase_add_test(tc, ignores_an_old_lock_that_is_not_the_old_versions);
	tcase_add_test(tc, holder_pid_parsed_strictly);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(lock_suite)
