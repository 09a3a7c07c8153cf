/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict number parsing for what the kernel, Proxmox or a user wrote: the
 * whole string is the number, or it is refused. strtoul() alone accepts
 * leading blanks, a sign ("-1" becomes ULONG_MAX), trailing junk and an
 * empty string, and atoi() cannot report anything at all.
 *
 * Accepted: one or more digits of the base and nothing else; leading zeros
 * are allowed ("007" is 7). Base 16 also takes a "0x" or "0X" prefix, the
 * way the kernel prints flags ("0x1003"). Refused with -EINVAL: NULL, "",
 * blanks anywhere, a sign, any other character. A number that does not fit
 * the type is -ERANGE. *ret is only written on success.
 */
#pragma once

#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int unhexchar(char c);

int safe_atou_base(const char *s, unsigned base, unsigned *ret);
int safe_atou64(const char *s, uint64_t *ret);

static inline int safe_atou(const char *s, unsigned *ret)
{
	return safe_atou_base(s, 10, ret);
}

/* A decimal that fits an int; digits only, so never negative. */
int safe_atoi(const char *s, int *ret);

/* "A:B" with sep ':' (or another): two decimals under the rules above, nothing around them. */
int safe_atou64_pair(const char *s, char sep, uint64_t *ret_a, uint64_t *ret_b);

/* A device number as sysfs and mountinfo write it, "8:0". */
int parse_devnum(const char *s, unsigned *ret_major, unsigned *ret_minor);
