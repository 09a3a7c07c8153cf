/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A unified diff (diff -u, three lines of context) of two small texts. */
#pragma once

#include <stdio.h>

/*
 * Prints the diff of a (named a_name) to b (b_name) to out; nothing when they
 * are equal. Texts are split at '\n'. Line-based LCS: meant for config files
 * (up to a few thousand lines). 0, 1 when they differ, or -ENOMEM.
 */
int udiff_print(FILE *out, const char *a_name, const char *a, const char *b_name, const char *b);
