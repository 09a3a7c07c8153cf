/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The library context: made once per process, passed to every call.
 * It holds the filesystem root under which everything on the system is
 * read or written (sys/, dev/, proc/, run/, etc/pve/, usr/share/), the
 * config path and the log callback. Nothing in the library is global.
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "core/macro.h"

#define IGD_DEFAULT_ROOT "/"
#define IGD_DEFAULT_CONFIG "/etc/igd-regroup.conf"
#define IGD_ENV_ROOT "IGD_REGROUP_ROOT"
#define IGD_ENV_CONFIG "IGD_REGROUP_CONFIG"

/* priority is a syslog level (LOG_ERR ... LOG_DEBUG); msg has no trailing newline. */
typedef void (*igd_log_fn)(void *userdata, int priority, const char *msg);

struct igd_ctx;

/* root: NULL or "" means "/". Returns 0 or -errno (-EINVAL for a relative root). */
int igd_ctx_new(const char *root, const char *config_path, struct igd_ctx **ret);
struct igd_ctx *igd_ctx_free(struct igd_ctx *ctx);
static inline void igd_ctx_freep(struct igd_ctx **p)
{
	igd_ctx_free(*p);
}

void igd_ctx_set_log_fn(struct igd_ctx *ctx, igd_log_fn fn, void *userdata);
/* Messages above this priority are dropped (default LOG_INFO). */
void igd_ctx_set_log_level(struct igd_ctx *ctx, int max_priority);

/* The root, always ending without a slash ("" for "/"), so that root + "/sys/..." is a path. */
const char *igd_ctx_root(const struct igd_ctx *ctx);
bool igd_ctx_root_is_host(const struct igd_ctx *ctx);
const char *igd_ctx_config_path(const struct igd_ctx *ctx);

/*
 * A path under the root: rel must start with '/'. Returns a malloc'd string
 * or NULL (errno = ENOMEM). Formatting is vasprintf, so nothing truncates.
 */
char *igd_path(const struct igd_ctx *ctx, const char *fmt, ...) _printf_(2, 3);

void igd_log(const struct igd_ctx *ctx, int priority, const char *fmt, ...) _printf_(3, 4);

/*
 * Log with an error number and return it as -errno: "%m" in fmt expands to
 * strerror(err). Use where the caller knows the context:
 *   return igd_log_errno(ctx, LOG_ERR, r, "Failed to remove %s: %m", path);
 */
int igd_log_errno(const struct igd_ctx *ctx, int priority, int err, const char *fmt, ...)
	_printf_(4, 5);

#define log_error(ctx, ...) igd_log(ctx, LOG_ERR, __VA_ARGS__)
#define log_warning(ctx, ...) igd_log(ctx, LOG_WARNING, __VA_ARGS__)
#define log_notice(ctx, ...) igd_log(ctx, LOG_NOTICE, __VA_ARGS__)
#define log_info(ctx, ...) igd_log(ctx, LOG_INFO, __VA_ARGS__)
#define log_debug(ctx, ...) igd_log(ctx, LOG_DEBUG, __VA_ARGS__)
