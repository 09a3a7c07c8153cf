/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"
#include "fuzz-util.h"

static char *root;

static void die(const char *what)
{
	perror(what);
	abort();
}

static void drop(void *userdata, int priority, const char *msg)
{
}

static void mkdirs(const char *rel)
{
	_cleanup_(freep) char *path = NULL;

	if (asprintf(&path, "%s%s", root, rel) < 0)
		die("asprintf");
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die(path);
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
}

const char *fuzz_root(void)
{
	if (!root) {
		const char *tmp = getenv("TMPDIR");

		if (asprintf(&root, "%s/igd-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
			die("asprintf");
		if (!mkdtemp(root))
			die("mkdtemp");
		mkdirs("/etc/pve/qemu-server");
		mkdirs("/etc/pve/mapping");
		mkdirs("/run/qemu-server");
		mkdirs("/var/spool/cron/crontabs");
		mkdirs("/root");
		fuzz_write("/etc/hostname", (const uint8_t *)"pve\n", 4);
	}
	return root;
}

struct igd_ctx *fuzz_ctx(void)
{
	static struct igd_ctx *ctx;

	if (!ctx) {
		if (igd_ctx_new(fuzz_root(), NULL, &ctx) < 0)
			die("igd_ctx_new");
		igd_ctx_set_log_fn(ctx, drop, NULL);
		igd_ctx_set_log_level(ctx, LOG_DEBUG);
	}
	return ctx;
}

void fuzz_write(const char *rel, const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;

	if (asprintf(&path, "%s%s", fuzz_root(), rel) < 0)
		die("asprintf");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0)
			die(path);
		data += n;
		size -= (size_t)n;
	}
}

char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);

	if (!s)
		die("strndup");
	return s;
}

void fuzz_split(const uint8_t *data, size_t size, char **head, const uint8_t **rest, size_t *rest_size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;

	*head = fuzz_str(data, n);
	*rest = nl ? nl + 1 : data + size;
	*rest_size = nl ? size - n - 1 : 0;
}
