/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/parse.h"
#include "core/sysfs.h"
#include "topology/proc_fds.h"

/* A pid directory of /proc, or the VMID of a pid file: a decimal number and nothing else. */
static bool is_number(const char *s)
{
	unsigned v;

	return safe_atou(s, &v) == 0;
}

int proc_fds_foreach(const struct igd_ctx *ctx, const char *pid, int (*fn)(const char *target, void *userdata),
		     void *userdata)
{
	_cleanup_(freep) char *fddir = igd_path(ctx, "/proc/%s/fd", pid);
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!fddir)
		return -ENOMEM;
	d = opendir(fddir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		_cleanup_(freep) char *link = NULL, *target = NULL;
		int r;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&link, "%s/%s", fddir, de->d_name) < 0)
			return -ENOMEM;
		r = file_read_link(link, &target);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue; /* closed meanwhile */
		r = fn(target, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

int proc_pids_foreach(const struct igd_ctx *ctx, int (*fn)(const char *pid, void *userdata), void *userdata)
{
	_cleanup_(freep) char *procdir = igd_path(ctx, "/proc");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!procdir)
		return -ENOMEM;
	d = opendir(procdir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int r;

		if (!is_number(de->d_name))
			continue;
		r = fn(de->d_name, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The pid in <dir>/<name> when name is VMID.pid: 0 and *ret_vmid, *ret_pid; -ENOENT when not one. */
static int read_pid_file(const char *dir, const char *name, unsigned *ret_vmid, int *ret_pid)
{
	_cleanup_(freep) char *stem = NULL, *path = NULL, *content = NULL;
	size_t len = strlen(name);
	unsigned vmid;
	int pid;

	if (len < 5 || strcmp(name + len - 4, ".pid") != 0)
		return -ENOENT;
	stem = strndup(name, len - 4);
	if (!stem)
		return -ENOMEM;
	if (len - 4 > 9 || safe_atou(stem, &vmid) < 0)
		return -ENOENT;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	/* a FIFO or a link there must not block or mislead: skipped like an unreadable file */
	if (file_read_line(path, FILE_NOFOLLOW, &content) < 0)
		return -ENOENT;
	if (safe_atoi(content, &pid) < 0 || pid == 0)
		return -ENOENT;
	*ret_vmid = vmid;
	*ret_pid = pid;
	return 0;
}

int qemu_vms_foreach(const struct igd_ctx *ctx, int (*fn)(unsigned vmid, int pid, void *userdata),
		     void *userdata)
{
	_cleanup_(freep) char *dir = igd_path(ctx, "/run/qemu-server");
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		_cleanup_(freep) char *procdir = NULL;
		unsigned vmid;
		int pid, r;

		r = read_pid_file(dir, de->d_name, &vmid, &pid);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		procdir = igd_path(ctx, "/proc/%d", pid);
		if (!procdir)
			return -ENOMEM;
		if (access(procdir, F_OK) < 0)
			continue; /* a stale pid file: the VM is not running */
		r = fn(vmid, pid, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

struct vmid_search {
	int pid;
	unsigned vmid;
};

static int match_vmid(unsigned vmid, int pid, void *userdata)
{
	struct vmid_search *s = userdata;

	if (pid == s->pid && !s->vmid)
		s->vmid = vmid;
	return 0;
}

unsigned qemu_vmid_of_pid(const struct igd_ctx *ctx, int pid)
{
	struct vmid_search s = { .pid = pid };

	if (qemu_vms_foreach(ctx, match_vmid, &s) < 0)
		return 0;
	return s.vmid;
}
