/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <string.h>

#include "core/context.h"

struct igd_ctx {
	char *root; /* "" for "/", else absolute without trailing slash */
	char *config_path;
	igd_log_fn log_fn;
	void *log_userdata;
	int log_level;
};

static void log_to_stderr(void *userdata _unused_, int priority _unused_, const char *msg)
{
	fprintf(stderr, "igd-regroup: %s\n", msg);
}

int igd_ctx_new(const char *root, const char *config_path, struct igd_ctx **ret)
{
	_cleanup_(igd_ctx_freep) struct igd_ctx *ctx = NULL;
	size_t len;

	if (!root || !*root)
		root = IGD_DEFAULT_ROOT;
	if (root[0] != '/')
		return -EINVAL;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;

	len = strlen(root);
	while (len > 0 && root[len - 1] == '/')
		len--;
	ctx->root = strndup(root, len);
	ctx->config_path = strdup(config_path ? config_path : IGD_DEFAULT_CONFIG);
	if (!ctx->root || !ctx->config_path)
		return -ENOMEM;
	ctx->log_fn = log_to_stderr;
	ctx->log_level = LOG_INFO;

	*ret = TAKE_PTR(ctx);
	return 0;
}

struct igd_ctx *igd_ctx_free(struct igd_ctx *ctx)
{
	if (!ctx)
		return NULL;
	free(ctx->root);
	free(ctx->config_path);
	free(ctx);
	return NULL;
}

void igd_ctx_set_log_fn(struct igd_ctx *ctx, igd_log_fn fn, void *userdata)
{
	ctx->log_fn = fn ? fn : log_to_stderr;
	ctx->log_userdata = userdata;
}

void igd_ctx_set_log_level(struct igd_ctx *ctx, int max_priority)
{
	ctx->log_level = max_priority;
}

const char *igd_ctx_root(const struct igd_ctx *ctx)
{
	return ctx->root;
}

bool igd_ctx_root_is_host(const struct igd_ctx *ctx)
{
	return ctx->root[0] == '\0';
}

const char *igd_ctx_config_path(const struct igd_ctx *ctx)
{
	return ctx->config_path;
}

char *igd_path(const struct igd_ctx *ctx, const char *fmt, ...)
{
	_cleanup_(freep) char *rel = NULL;
	char *path = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&rel, fmt, ap);
	va_end(ap);
	if (r < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (asprintf(&path, "%s%s", ctx->root, rel) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return path;
}

static _printf_(3, 0) void log_va(const struct igd_ctx *ctx, int priority, const char *fmt, va_list ap)
{
	_cleanup_(freep) char *msg = NULL;

	if (priority > ctx->log_level)
		return;
	if (vasprintf(&msg, fmt, ap) < 0) {
		ctx->log_fn(ctx->log_userdata, priority, "(out of memory formatting a message)");
		return;
	}
	ctx->log_fn(ctx->log_userdata, priority, msg);
}

void igd_log(const struct igd_ctx *ctx, int priority, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_va(ctx, priority, fmt, ap);
	va_end(ap);
	errno = saved;
}

int igd_log_errno(const struct igd_ctx *ctx, int priority, int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	errno = err; /* for %m */
	va_start(ap, fmt);
	log_va(ctx, priority, fmt, ap);
	va_end(ap);
	errno = err;
	return -err;
}
