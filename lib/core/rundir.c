/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>

#include "core/rundir.h"

bool run_owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

int run_dir_prepare(const struct igd_ctx *ctx, int level, char **ret)
{
	_cleanup_(freep) char *run = igd_path(ctx, "/run");
	_cleanup_(freep) char *dir = igd_path(ctx, RUN_DIR);
	struct stat st;

	if (!run || !dir)
		return igd_log_errno(ctx, level, ENOMEM, "Out of memory");
	/* /run exists on a booted host; a bare test root may lack it */
	if (mkdir(run, 0755) < 0 && errno != EEXIST)
		return igd_log_errno(ctx, level, errno, "Cannot create %s: %m", run);
	if (mkdir(dir, 0755) == 0) {
		/* exactly 0755 whatever the umask: the notifier and the admin read in it */
		if (chmod(dir, 0755) < 0)
			return igd_log_errno(ctx, level, errno, "Cannot set the mode of %s: %m", dir);
	} else if (errno != EEXIST) {
		return igd_log_errno(ctx, level, errno, "Cannot create %s: %m", dir);
	}
	/*
	 * Whoever made it, it must be ours and closed to others. /run itself is
	 * root's (0755) on a host, so nobody else can swap the directory after
	 * this check.
	 */
	if (lstat(dir, &st) < 0)
		return igd_log_errno(ctx, level, errno, "Cannot stat %s: %m", dir);
	if (!S_ISDIR(st.st_mode)) {
		igd_log(ctx, level, "Refusing %s: it is not a directory (%s); remove it and run again.", dir,
			S_ISLNK(st.st_mode) ? "a symbolic link" : "another kind of file");
		return -EPERM;
	}
	if (!run_owner_ok(st.st_uid)) {
		igd_log(ctx, level, "Refusing %s: it is owned by uid %u, not by root; remove it and run again.",
			dir, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		igd_log(ctx, level,
			"Refusing %s: it is writable by group or others (mode %04o); fix with: chmod 0755 %s",
			dir, (unsigned)(st.st_mode & 07777), dir);
		return -EPERM;
	}
	*ret = TAKE_PTR(dir);
	return 0;
}
