/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"

char *escape_cut(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1), n = len > max ? max : len;
	char *out = malloc(4 * n + 4), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\\':
		case '\'':
			*o++ = '\\';
			*o++ = (char)c;
			break;
		case '\n':
			o = stpcpy(o, "\\n");
			break;
		case '\r':
			o = stpcpy(o, "\\r");
			break;
		case '\t':
			o = stpcpy(o, "\\t");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				*o++ = (char)c;
			else
				o += sprintf(o, "\\x%02x", c);
		}
	}
	strcpy(o, len > max ? "..." : "");
	return out;
}
