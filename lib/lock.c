/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "lock.h"
#include "time_util.h"

/* The holder's pid, written for the message a waiter prints; advisory only. */
static void write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) == 0 && n > 0)
		(void)!pwrite(fd, buf, (size_t)n, 0);
}

static int read_pid(int fd)
{
	char buf[32] = {};
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? atoi(buf) : 0;
}

int igd_lock_take(const struct igd_ctx *ctx, unsigned timeout_ms)
{
	_cleanup_(freep) char *run = igd_path(ctx, "/run");
	_cleanup_(freep) char *dir = igd_path(ctx, "/run/lock");
	_cleanup_(freep) char *path = igd_path(ctx, "/run/lock/igd-regroup.lock");
	_cleanup_(closep) int fd = -1;
	uint64_t deadline;

	if (!run || !dir || !path)
		return -ENOMEM;
	/* both exist on a booted host; a bare test root may have neither */
	if ((mkdir(run, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 01777) < 0 && errno != EEXIST))
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot create %s: %m", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot open the lock %s: %m", path);

	deadline = now_ms() + timeout_ms;
	for (bool told = false;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return igd_log_errno(ctx, LOG_ERR, errno, "Cannot lock %s: %m", path);
		if (!told) {
			log_info(ctx, "Waiting for the lock %s (held by pid %d)...", path, read_pid(fd));
			told = true;
		}
		if (now_ms() >= deadline) {
			int pid = read_pid(fd);
			log_error(ctx,
				  "Another igd-regroup run (pid %d) still holds %s after %u ms; "
				  "giving up, nothing was changed.",
				  pid, path, timeout_ms);
			return -ETIMEDOUT;
		}
		/* short, bounded poll: flock has no timeout and signals do not belong in a library */
		sleep_ms(20);
	}
	write_pid(fd);
	return TAKE_FD(fd);
}
