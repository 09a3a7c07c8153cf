/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config loader's inside, shared by its files: config.c (the key table,
 * the handler inih calls, load and free), config_reader.c (the line reader
 * inih reads through), config_parse.c (one parser per kind of value, one
 * for every list), config_names.c (spellings and name rules) and
 * config_errors.c (the reporting and its cap). Not for other objects.
 *
 * The key table follows systemd's conf-parser idea: one row per section and
 * key, naming the parser and the field it fills; a parser serves every key
 * of its kind, and what differs between keys (range, item type, spellings,
 * name rule) is in the row.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"
#include "core/macro.h"

enum config_section {
	CONFIG_SECTION_NONE,	/* before the first header */
	CONFIG_SECTION_IGNORED, /* unknown or broken header: already reported, its keys are skipped */
	CONFIG_SECTION_REGROUP,
	CONFIG_SECTION_VFIO,
	CONFIG_SECTION_HOOK,
	CONFIG_SECTION_NETWORK,
	_CONFIG_SECTION_MAX,
};

/* "regroup", ...; NULL for NONE and IGNORED. */
extern const char *const config_section_names[_CONFIG_SECTION_MAX];

struct config_key;

/* The state of one load; cfg starts as the defaults and is handed out only when no error was seen. */
struct config_parser {
	const struct igd_ctx *ctx;
	const char *name; /* the path or the name given, for messages */
	FILE *f;	  /* read from f, or ... */
	const char *text; /* ... from the rest of this string */

	char *line; /* the current line: no newline, no trailing whitespace */
	size_t line_size;
	unsigned lineno;
	bool handled;  /* inih called the handler for the current line, or it needs no more checks */
	bool prev_key; /* mirrors inih's prev_name: an indented line now is a continuation */
	enum config_section section;
	unsigned *seen; /* per row of the key table: the line it was set on, 0 if not yet */

	unsigned n_errors;
	int fatal; /* -ENOMEM or a read error: stop caring about the contents */
	struct igd_config cfg;
};

/*
 * A value parser: checks value for key k, reports every problem (and returns
 * -EINVAL), or stores it in the field k names. -ENOMEM is also recorded in
 * p->fatal. An existing value of the field (a default) is freed.
 */
typedef int (*config_value_parser)(struct config_parser *p, const struct config_key *k, const char *value);

/* What one item of a list is: how to read, compare and free it. */
struct config_item_type {
	const char *noun; /* in "duplicate NOUN 'item' in 'key'" */
	size_t size;	  /* of one item in the array */
	/* Reads item into *ret (size bytes) or reports why not. */
	int (*parse)(struct config_parser *p, const struct config_key *k, const char *item, void *ret);
	bool (*equal)(const void *a, const void *b);
	void (*done)(void *item); /* NULL: nothing to free */
};

/* The spellings of an enum, indexed by value, and how a message lists them. */
struct config_enum {
	const char *const *names;
	size_t n;
	const char *expected; /* "post-stop, pre-stop or none": names[0..n) joined */
};

/* A string with a rule: "interface name" and why one is not valid. */
struct config_string_rule {
	const char *what;
	const char *(*problem)(const char *value); /* NULL when valid */
};

/* One row of the key table. */
struct config_key {
	enum config_section section;
	const char *name;
	config_value_parser parse;
	size_t offset;	   /* of the field in struct igd_config */
	size_t n_offset;   /* lists: of the item count (a size_t) that goes with the array at offset */
	bool empty_ok;	   /* an empty value is allowed: an empty list, or no value (NULL) */
	unsigned min, max; /* numbers, and lists of numbers */
	const struct config_item_type *items;  /* config_parse_list */
	const struct config_enum *enum_type;   /* config_parse_enum */
	const struct config_string_rule *rule; /* config_parse_checked_string */
};

/* The table: every section and key of the file, in the order the man page lists them. */
extern const struct config_key config_keys[];
extern const size_t config_n_keys;

/* The row for section and name, or NULL. */
const struct config_key *config_key_find(enum config_section section, const char *name);
/* The section called name (its spelling is exact), or CONFIG_SECTION_IGNORED. */
enum config_section config_section_from_name(const char *name);

/* ---- value parsers (config_parse.c) ---- */

int config_parse_unsigned(struct config_parser *p, const struct config_key *k, const char *value);
int config_parse_bool(struct config_parser *p, const struct config_key *k, const char *value);
int config_parse_enum(struct config_parser *p, const struct config_key *k, const char *value);
int config_parse_checked_string(struct config_parser *p, const struct config_key *k, const char *value);
int config_parse_list(struct config_parser *p, const struct config_key *k, const char *value);

extern const struct config_item_type config_item_pci_addr, config_item_vmid, config_item_unit;

/*
 * Splits a list at spaces and/or single commas: "a, b", "a,b" and "a b" are
 * the same, and blanks around the list do not count; "a,,b", ", a", "a , ,b"
 * and "a," are -EINVAL with *ret_problem "empty element" or "trailing comma".
 * On success *ret_buf is a copy of value that the *ret_n items of *ret_items
 * point into (both malloc'd; *ret_items is NULL-terminated). -ENOMEM.
 */
int config_list_split(const char *value, char **ret_buf, char ***ret_items, size_t *ret_n,
		      const char **ret_problem);

/* yes/true/on/1 and no/false/off/0, in any case: 0 or -EINVAL, *ret untouched on failure. */
int config_boolean_from_string(const char *s, bool *ret);

/* ---- spellings and name rules (config_names.c) ---- */

extern const struct config_enum config_reset_phases, config_net_actions;
extern const struct config_string_rule config_rule_ifname, config_rule_chain_path;
/* Why name is not a unit name we accept, or NULL. */
const char *config_unit_name_problem(const char *name);

/* ---- reading lines (config_reader.c) ---- */

/* inih's ini_reader: p is the stream. */
char *config_reader(char *str, int num, void *stream);
/* Checks the last line read, once inih is done with it (the reader does this for every other line). */
void config_reader_finish(struct config_parser *p);

/* ---- errors (config_errors.c) ---- */

/*
 * Logs "NAME:LINE: message" and counts it; past the first CONFIG_ERRORS_SHOWN
 * only counts. Returns -EINVAL, for "return config_report(...)".
 */
int config_report_at(struct config_parser *p, unsigned line, const char *fmt, ...) _printf_(3, 4);
#define config_report(p, ...) config_report_at((p), (p)->lineno, __VA_ARGS__)
/* Records that memory ran out; returns -ENOMEM. */
int config_oom(struct config_parser *p);
/* After the last line: logs how many errors were not shown; -EINVAL if there was any error, else 0. */
int config_errors_finish(struct config_parser *p);
