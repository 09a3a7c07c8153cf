/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "core/parse.h"

int unhexchar(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..len); by hand rather than with strtoull: no locale, no blanks, no sign to strip first. */
static int parse_u64(const char *s, size_t len, unsigned base, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || (base != 10 && base != 16))
		return -EINVAL;
	if (base == 16 && len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = unhexchar(s[i]);

		if (d < 0 || (unsigned)d >= base)
			return -EINVAL;
		if (v > (max - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	*ret = v;
	return 0;
}

int safe_atou_base(const char *s, unsigned base, unsigned *ret)
{
	uint64_t v;
	int r = parse_u64(s, s ? strlen(s) : 0, base, UINT_MAX, &v);

	if (r < 0)
		return r;
	*ret = (unsigned)v;
	return 0;
}

int safe_atou64(const char *s, uint64_t *ret)
{
	return parse_u64(s, s ? strlen(s) : 0, 10, UINT64_MAX, ret);
}

int safe_atoi(const char *s, int *ret)
{
	uint64_t v;
	int r = parse_u64(s, s ? strlen(s) : 0, 10, INT_MAX, &v);

	if (r < 0)
		return r;
	*ret = (int)v;
	return 0;
}

int safe_atou64_pair(const char *s, char sep, uint64_t *ret_a, uint64_t *ret_b)
{
	const char *p = s ? strchr(s, sep) : NULL;
	uint64_t a, b;
	int r;

	if (!p)
		return -EINVAL;
	r = parse_u64(s, (size_t)(p - s), 10, UINT64_MAX, &a);
	if (r >= 0)
		r = parse_u64(p + 1, strlen(p + 1), 10, UINT64_MAX, &b);
	if (r < 0)
		return r;
	*ret_a = a;
	*ret_b = b;
	return 0;
}

int parse_devnum(const char *s, unsigned *ret_major, unsigned *ret_minor)
{
	uint64_t major, minor;
	int r = safe_atou64_pair(s, ':', &major, &minor);

	if (r < 0)
		return r;
	if (major > UINT_MAX || minor > UINT_MAX)
		return -ERANGE;
	*ret_major = (unsigned)major;
	*ret_minor = (unsigned)minor;
	return 0;
}
