/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `igd-regroup detect [--write]`: read the host, propose, print the config
 * or write it where nothing of the admin's can be lost.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/detect.h"
#include "admin/detect_agents.h"
#include "admin/udiff.h"
#include "core/fileio.h"
#include "core/macro.h"

/* Config files are small; a bigger one is not ours. */
#define MAX_CONFIG_SIZE (1024 * 1024)

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The proposal's text, malloc'd in *ret. 0 or -errno (logged). */
static int propose_text(const struct igd_ctx *ctx, char **ret)
{
	struct snapshot snap = {};
	struct detect_input in = {};
	struct detect_proposal p = {};
	struct detect_vm *vms = NULL;
	struct leftovers lo = {};
	char **agents = NULL, *text = NULL;
	size_t n_agents = 0, size = 0;
	FILE *f;
	int r;

	r = snapshot_read(ctx, &snap);
	if (r < 0)
		return r;
	in.snap = &snap;
	r = detect_read_vms(ctx, detect_igpu(&snap), detect_audio(&snap), &vms, &in.n_vms);
	if (r >= 0)
		r = leftovers_cron(ctx, &lo);
	if (r >= 0) {
		in.leftovers = &lo;
		in.vms = vms;
		in.agents_unknown = detect_running_agents(ctx, &agents, &n_agents) < 0;
		in.agents = agents;
		in.n_agents = n_agents;
		r = detect_propose(&in, &p);
	}
	if (r >= 0) {
		f = open_memstream(&text, &size);
		if (f) {
			detect_print(f, &in, &p);
			r = fclose(f) == 0 ? 0 : -ENOMEM;
		} else
			r = -ENOMEM;
	}
	if (r == -ENOMEM)
		log_error(ctx, "Out of memory while proposing a config.");
	detect_proposal_done(&p);
	leftovers_done(&lo);
	strv_free(agents, n_agents);
	free(vms);
	snapshot_done(&snap);
	if (r < 0) {
		free(text);
		return r;
	}
	*ret = text;
	return 0;
}

/* The file's content in *ret; NULL with 0 when it does not exist. Refuses anything but a regular file. */
static int read_current(const struct igd_ctx *ctx, const char *path, char **ret)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *buf = NULL;
	struct stat st;
	size_t n;
	int r;

	*ret = NULL;
	r = file_open_regular(path, FILE_NOFOLLOW, &f, &st);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_error(ctx, "Cannot read %s: %s; not touched.", path, file_strerror(r));
		return r;
	}
	if (st.st_size > MAX_CONFIG_SIZE) {
		log_error(ctx, "%s is larger than 1 MiB; not touched.", path);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f))
		return igd_log_errno(ctx, LOG_ERR, EIO, "Cannot read %s: %m", path);
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

/* Writes text to path through a temporary file in its directory and rename(2): never half a file. */
static int write_atomic(const struct igd_ctx *ctx, const char *path, const char *text)
{
	_cleanup_(freep) char *copy = strdup(path), *tmp = NULL;
	_cleanup_(closep) int fd = -1, dfd = -1;
	const char *dir;
	size_t len = strlen(text), done = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (asprintf(&tmp, "%s/.igd-regroup.conf.XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot create a file in %s: %m", dir);
	if (fchmod(fd, 0644) < 0)
		r = -errno;
	while (r == 0 && done < len) {
		ssize_t k = write(fd, text + done, len - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		else
			done += (size_t)k;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return igd_log_errno(ctx, LOG_ERR, -r, "Cannot write %s: %m; it is unchanged.", path);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

int detect_run(const struct igd_ctx *ctx, bool write, FILE *out)
{
	const char *path = igd_ctx_config_path(ctx);
	_cleanup_(freep) char *text = NULL, *current = NULL;
	int r;

	r = propose_text(ctx, &text);
	if (r < 0)
		return r;
	if (!write) {
		fputs(text, out);
		return 0;
	}
	r = read_current(ctx, path, &current);
	if (r < 0)
		return r;
	if (current && strcmp(current, text) == 0) {
		log_info(ctx, "%s already holds this config; nothing written.", path);
		return 0;
	}
	if (current && strcmp(current, detect_shipped_config) != 0) {
		r = udiff_print(out, path, current, "proposed by igd-regroup detect", text);
		if (r < 0)
			return r;
		log_error(ctx, "%s is not the shipped default: not overwritten. The diff above is what detect "
			       "proposes; edit the file, or move it away and run detect --write again.",
			  path);
		return 1;
	}
	r = write_atomic(ctx, path, text);
	if (r < 0)
		return r;
	log_notice(ctx, "Wrote %s%s. Next: igd-regroup check, then igd-regroup apply --dry-run.", path,
		   current ? " (it was the shipped default)" : "");
	return 0;
}
