/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Showing untrusted text (an argument, a value read from a file) in one log line. */
#pragma once

#include <stddef.h>

/*
 * A printable copy of at most max bytes of s, malloc'd: printable ASCII as
 * is, backslash and single quote escaped (\\, \'), \n \r \t as such, every
 * other byte (control characters such as ESC, DEL, bytes above 0x7f) as
 * \xHH; "..." follows when s was longer than max. So the result has no
 * terminal control sequence and no line break, and is at most 4 * max + 3
 * bytes long. NULL when out of memory.
 */
char *escape_cut(const char *s, size_t max);
