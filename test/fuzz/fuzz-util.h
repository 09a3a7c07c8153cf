/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the libFuzzer targets share: a context whose messages are formatted
 * (so every format path runs) and dropped, a scratch root for the readers
 * that take a path, and the input as a C string.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"

/* A context on the scratch root (created once per process, under $TMPDIR). Aborts on failure. */
struct igd_ctx *fuzz_ctx(void);
/* The scratch root's path ("/tmp/igd-fuzz.XXXXXX"). */
const char *fuzz_root(void);
/* Replaces root/rel with data[0..size). Aborts on failure. */
void fuzz_write(const char *rel, const uint8_t *data, size_t size);
/* data[0..size) as a malloc'd NUL-terminated string (embedded NULs end it early). Aborts on OOM. */
char *fuzz_str(const uint8_t *data, size_t size);
/*
 * Splits the input at its first newline: *head is a malloc'd string of what
 * comes before, *rest and *rest_size what comes after (empty when the input has no newline).
 */
void fuzz_split(const uint8_t *data, size_t size, char **head, const uint8_t **rest, size_t *rest_size);
