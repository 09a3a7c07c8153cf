/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the readers of a VM's config (vmconf.c) and of the PCI mappings
 * (vmconf_mapping.c) share: lines without a length limit, Proxmox's
 * property strings and booleans, lists of PCI addresses.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "core/context.h"
#include "core/pci_addr.h"

/* Sets *what to a malloc'd message and returns -EBADMSG (-ENOMEM when even that fails). */
int vmc_bad(char **what, const char *fmt, ...) _printf_(2, 3);
/* Logs "Out of memory", returns -ENOMEM. */
int vmc_oom(const struct igd_ctx *ctx);
void vmc_rstrip(char *s);
bool vmc_is_blank(const char *s);
/* pve-configid: [a-z][a-z0-9_-]+, case-insensitive. */
bool vmc_configid_is_valid(const char *s);
/* JSONSchema parse_boolean: 1/on/yes/true, 0/off/no/false, any case; else -EINVAL. */
int vmc_parse_boolean(const char *s);

typedef int (*vmc_line_fn)(void *userdata, unsigned line, char *s);
/*
 * Calls fn for each line of f (numbered from 1, with its newline) until fn
 * returns non-zero: a positive value stops the reading with 0, a negative
 * one is returned. Lines have no length limit.
 */
int vmc_read_lines(const struct igd_ctx *ctx, FILE *f, const char *path, vmc_line_fn fn,
		   void *userdata);

/* The next non-blank ','-separated part of *cursor (a mutable string), or NULL at the end. */
char *vmc_prop_next(char **cursor);
/* Splits part into key and value at the first '='; a bare value gets key NULL. 0 or -EBADMSG. */
int vmc_prop_split(char *part, char **ret_key, char **ret_value, char **what);
/* The default element of a property string, or the value of key=; NULL in *ret when neither. */
int vmc_prop_default_value(const char *value, const char *key, char **ret);

/* A list of addresses ("0000:00:02.0;0000:00:02.1"), slots and VMD domains allowed. */
struct vmc_addr_vec {
	struct pci_addr *v;
	size_t n;
};
void vmc_addr_vec_done(struct vmc_addr_vec *a);
int vmc_addr_vec_parse(const char *list, struct vmc_addr_vec *ret, char **what);
int vmc_addr_vec_append(struct vmc_addr_vec *dst, const struct vmc_addr_vec *src);
