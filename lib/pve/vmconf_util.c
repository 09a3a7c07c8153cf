/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the VM config and mapping readers: see vmconf_internal.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/macro.h"
#include "pve/vmconf_internal.h"

/* ---- small helpers ---- */

/* Sets *what to a malloc'd message and returns -EBADMSG (-ENOMEM when even that fails). */
int vmc_bad(char **what, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(what, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*what = NULL;
		return -ENOMEM;
	}
	return -EBADMSG;
}

int vmc_oom(const struct igd_ctx *ctx)
{
	return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Out of memory");
}

void vmc_rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

bool vmc_is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* pve-configid: [a-z][a-z0-9_-]+, case-insensitive. */
bool vmc_configid_is_valid(const char *s)
{
	if (!isalpha((unsigned char)s[0]) || !s[1])
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* JSONSchema parse_boolean: 1/on/yes/true, 0/off/no/false, any case. */
int vmc_parse_boolean(const char *s)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

/*
 * Calls fn for each line of f (numbered from 1, with its newline) until fn
 * returns non-zero: a positive value stops the reading with 0, a negative
 * one is returned. Lines have no length limit.
 */
int vmc_read_lines(const struct igd_ctx *ctx, FILE *f, const char *path, vmc_line_fn fn,
		      void *userdata)
{
	_cleanup_(freep) char *s = NULL;
	size_t cap = 0;
	unsigned line = 0;
	int r;

	for (;;) {
		errno = 0;
		if (getline(&s, &cap, f) < 0)
			break;
		r = fn(userdata, ++line, s);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (ferror(f))
		return igd_log_errno(ctx, LOG_ERR, errno > 0 ? errno : EIO, "Failed to read %s: %m",
				     path);
	return errno == ENOMEM ? -ENOMEM : 0;
}

/* ---- property strings ---- */

/* The next non-blank ','-separated part of *cursor (a mutable string), or NULL at the end. */
char *vmc_prop_next(char **cursor)
{
	char *part;

	while ((part = strsep(cursor, ",")))
		if (!vmc_is_blank(part))
			return part;
	return NULL;
}

/* Splits part into key and value at the first '='; a bare value gets key NULL. */
int vmc_prop_split(char *part, char **ret_key, char **ret_value, char **what)
{
	char *eq = strchr(part, '=');

	if (!eq) {
		*ret_key = NULL;
		*ret_value = part;
		return 0;
	}
	if (eq == part)
		return vmc_bad(what, "option without a name in '%s'", part);
	*eq = '\0';
	if (!eq[1])
		return vmc_bad(what, "option '%s' has no value", part);
	*ret_key = part;
	*ret_value = eq + 1;
	return 0;
}

/*
 * The default element of a property string ("virtio" in "virtio,memory=64"),
 * or the value of key= when it is written out; NULL in *ret when neither.
 */
int vmc_prop_default_value(const char *value, const char *key, char **ret)
{
	_cleanup_(freep) char *copy = strdup(value);
	char *cursor = copy, *part;

	if (!copy)
		return -ENOMEM;
	while ((part = vmc_prop_next(&cursor))) {
		char *eq = strchr(part, '=');

		if (!eq || ((size_t)(eq - part) == strlen(key) && strncmp(part, key, eq - part) == 0)) {
			char *v = strdup(eq ? eq + 1 : part);

			if (!v)
				return -ENOMEM;
			*ret = v;
			return 0;
		}
	}
	*ret = NULL;
	return 0;
}

/* ---- address lists ("0000:00:02.0;0000:00:02.1") ---- */

void vmc_addr_vec_done(struct vmc_addr_vec *a)
{
	free(a->v);
	*a = (struct vmc_addr_vec){};
}

int vmc_addr_vec_parse(const char *list, struct vmc_addr_vec *ret, char **what)
{
	_cleanup_(freep) char *copy = strdup(list);
	_cleanup_(freep) struct pci_addr *v = NULL;
	char *cursor = copy, *tok;
	size_t n = 1;

	if (!copy)
		return -ENOMEM;
	for (const char *s = list; *s; s++)
		n += *s == ';';
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; (tok = strsep(&cursor, ";")); i++)
		if (pci_addr_parse(tok, PCI_ADDR_ALLOW_SLOT | PCI_ADDR_LONG_DOMAIN, &v[i]) < 0)
			return vmc_bad(what, "invalid PCI address '%s'", tok);
	ret->v = TAKE_PTR(v);
	ret->n = n;
	return 0;
}

int vmc_addr_vec_append(struct vmc_addr_vec *dst, const struct vmc_addr_vec *src)
{
	struct pci_addr *v;

	if (src->n == 0)
		return 0;
	v = reallocarray(dst->v, dst->n + src->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v + dst->n, src->v, src->n * sizeof(*v));
	dst->v = v;
	dst->n += src->n;
	return 0;
}
