/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The upgrade from a version that locked /run/lock/igd-regroup.lock: while
 * dpkg replaces the programs, a process of the old version (a hook waiting
 * for udev, the boot program) may still hold that file, and a new process
 * must not run beside it. So, besides our own lock, we also take the old
 * file, but only when it is there and is what the old version made: a
 * regular file owned by root, one link, no permission for group or others.
 * We never create it: after the next reboot it is gone and nothing takes it.
 * Anything else at that path (a user's file in the world-writable
 * /run/lock, a symlink, a FIFO, a hard link) is ignored, so a user cannot
 * block us through it either. The old version only ever created it 0600 as
 * root, so a user can neither open nor replace it (the sticky /run/lock).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "core/lock.h"
#include "core/parse.h"
#include "core/rundir.h"
#include "core/time_util.h"

#define LOCK_OPEN_FLAGS (O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)

/* The holder's pid, written for the message a waiter prints; advisory only. */
static void write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) == 0 && n > 0)
		(void)!pwrite(fd, buf, (size_t)n, 0);
}

/* The pid a holder wrote, or 0 when the file says nothing usable. */
static long read_pid(int fd)
{
	char buf[32] = {};
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	int v;

	if (n <= 0 || buf[0] < '1' || buf[0] > '9')
		return 0;
	/* "PID\n", as write_pid() puts it; what follows the first line does not matter */
	buf[strcspn(buf, "\n")] = '\0';
	if (safe_atoi(buf, &v) < 0)
		return 0;
	return v;
}

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "another kind of file";
}

static int open_lock(const struct igd_ctx *ctx, const char *path)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;

	/* O_NONBLOCK: a FIFO put here must not block the open; flock ignores it */
	fd = open(path, LOCK_OPEN_FLAGS | O_CREAT, 0600);
	if (fd < 0 && errno == ELOOP) {
		log_error(ctx, "Refusing the lock %s: it is a symbolic link; remove it and run again.", path);
		return -EPERM;
	}
	if (fd < 0)
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot open the lock %s: %m", path);
	if (fstat(fd, &st) < 0)
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot stat the lock %s: %m", path);
	if (!S_ISREG(st.st_mode)) {
		log_error(ctx, "Refusing the lock %s: it is %s, not a regular file; remove it and run again.",
			  path, file_kind(st.st_mode));
		return -EPERM;
	}
	if (!run_owner_ok(st.st_uid)) {
		log_error(ctx, "Refusing the lock %s: it is owned by uid %u, not by root; remove it and run again.",
			  path, (unsigned)st.st_uid);
		return -EPERM;
	}
	return TAKE_FD(fd);
}

/* The old version's lock file when it is one (see the top), else -1. */
static int open_legacy(const struct igd_ctx *ctx, const char *path)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;

	fd = open(path, LOCK_OPEN_FLAGS);
	if (fd < 0) {
		if (errno != ENOENT)
			igd_log_errno(ctx, LOG_DEBUG, errno, "Not taking the old lock %s: %m", path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !run_owner_ok(st.st_uid) || st.st_nlink != 1 ||
	    (st.st_mode & 077)) {
		log_debug(ctx, "Not taking %s: not the lock file an older igd-regroup made.", path);
		return -1;
	}
	return TAKE_FD(fd);
}

void igd_lock_release(struct igd_lock *l)
{
	closep(&l->legacy_fd);
	closep(&l->fd);
	*l = IGD_LOCK_NULL;
}

/* Tries fd once: 1 taken, 0 held by another, -errno. */
static int try_flock(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	return errno == EWOULDBLOCK || errno == EINTR ? 0 : negative_errno();
}

int igd_lock_take(const struct igd_ctx *ctx, unsigned timeout_ms, struct igd_lock *ret)
{
	_cleanup_(freep) char *dir = NULL;
	_cleanup_(freep) char *path = igd_path(ctx, LOCK_FILE);
	_cleanup_(freep) char *legacy = igd_path(ctx, LOCK_FILE_LEGACY);
	_cleanup_(igd_lock_release) struct igd_lock l = IGD_LOCK_NULL;
	bool have = false, have_legacy = false, told = false;
	uint64_t deadline;
	int r;

	if (!path || !legacy)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Out of memory");
	r = run_dir_prepare(ctx, LOG_ERR, &dir);
	if (r < 0)
		return r;
	l.fd = open_lock(ctx, path);
	if (l.fd < 0)
		return l.fd;
	l.legacy_fd = open_legacy(ctx, legacy);
	have_legacy = l.legacy_fd < 0;

	/* ours first, then the old one: the old version takes only the old one, so no deadlock */
	deadline = now_ms() + timeout_ms;
	for (;;) {
		int busy_fd;

		if (!have) {
			r = try_flock(l.fd);
			if (r < 0)
				return igd_log_errno(ctx, LOG_ERR, r, "Cannot lock %s: %m", path);
			have = r > 0;
		}
		if (have && !have_legacy) {
			r = try_flock(l.legacy_fd);
			if (r < 0) {
				/* cannot hold it: an old process cannot either; go on with ours */
				igd_log_errno(ctx, LOG_DEBUG, r, "Cannot lock the old lock file: %m");
				closep(&l.legacy_fd);
				l.legacy_fd = -1;
				r = 1;
			}
			have_legacy = r > 0;
		}
		if (have && have_legacy)
			break;
		busy_fd = have ? l.legacy_fd : l.fd;
		if (!told) {
			log_info(ctx, "Waiting for the lock %s (held by pid %ld)...",
				 have ? legacy : path, read_pid(busy_fd));
			told = true;
		}
		if (now_ms() >= deadline) {
			log_error(ctx,
				  "Another igd-regroup run (pid %ld) still holds %s after %u ms; "
				  "giving up, nothing was changed.",
				  read_pid(busy_fd), have ? legacy : path, timeout_ms);
			return -ETIMEDOUT;
		}
		/* short, bounded poll: flock has no timeout and signals do not belong in a library */
		sleep_ms(20);
	}
	write_pid(l.fd);
	*ret = l;
	l = IGD_LOCK_NULL;
	return 0;
}
