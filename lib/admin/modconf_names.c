/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lists of module names, compared with '-' and '_' alike. */
#include <string.h>

#include "admin/modconf_internal.h"

void names_done(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct names){};
}

bool modname_eq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];

		if (x != y)
			return false;
		if (x == '\0')
			return true;
	}
	return true;
}

bool modname_eq(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && modname_eq_n(a, b, strlen(a));
}

bool names_contains(const struct names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (modname_eq(l->v[i], name))
			return true;
	return false;
}

int names_add(struct names *l, const char *name, size_t len)
{
	char **v;
	char *s;

	if (len == 0)
		return 0;
	s = strndup(name, len);
	if (!s)
		return -ENOMEM;
	v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	l->v = v;
	l->v[l->n++] = s;
	return 0;
}

int names_add_split(struct names *l, const char *list, const char *sep)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, sep);
		int r = names_add(l, p, len);

		if (r < 0)
			return r;
		p += len;
		p += strspn(p, sep);
	}
	return 0;
}
