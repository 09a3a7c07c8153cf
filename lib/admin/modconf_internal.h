/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the module configuration's files (modconf.h describes it):
 *   modconf.c         the kernel release, opening, and a device's claims
 *   modconf_read.c    modprobe.d through libkmod, and etc/initramfs-tools/modules
 *   modconf_cmdline.c the root's kernel command line
 *   modconf_ids.c     the vfio-pci ids= matcher
 *   modconf_names.c   lists of module names, compared as modprobe does
 */
#pragma once

#include <libkmod.h>
#include <stdbool.h>
#include <stddef.h>

#include "admin/modconf.h"

/* A list of module names. */
struct names {
	char **v;
	size_t n;
};

struct modconf {
	const struct igd_ctx *ctx;
	char *release;
	struct kmod_ctx *kmod;
	struct names blacklist;		/* modprobe.d */
	struct names blacklist_cmdline; /* modprobe.blacklist= of the root's proc/cmdline */
	struct names softdep_vfio;	/* modules with "softdep M pre: ... vfio-pci ..." */
	struct names initramfs;		/* etc/initramfs-tools/modules */
	char *vfio_ids;			/* the last ids= of "options vfio_pci" */
	char *vfio_ids_cmdline;		/* vfio-pci.ids= of the root's proc/cmdline */
};

/* Module names compare with '-' and '_' alike, as modprobe and the kernel do. */
bool modname_eq_n(const char *a, const char *b, size_t n);
bool modname_eq(const char *a, const char *b);

void names_done(struct names *l);
bool names_contains(const struct names *l, const char *name);
/* Adds the first len characters of name (nothing when len is 0). 0 or -ENOMEM. */
int names_add(struct names *l, const char *name, size_t len);
/* Adds each item of a list separated by any of sep. 0 or -ENOMEM. */
int names_add_split(struct names *l, const char *list, const char *sep);

/* libkmod over the root's modprobe.d directories and lib/modules/<release> (dir), logging to ctx. */
int modconf_kmod_new(const struct igd_ctx *ctx, const char *dir, struct kmod_ctx **ret);
/* Blacklists, vfio_pci's ids= and softdeps on vfio-pci from modprobe.d, without the running kernel's command line. */
int modconf_read_modprobe_d(struct modconf *m, const char *dir);
/* etc/initramfs-tools/modules; none is fine. */
int modconf_read_initramfs_modules(struct modconf *m);
/* The root's kernel command line: modprobe.blacklist= and vfio-pci.ids= only; none is fine. */
int modconf_read_cmdline(struct modconf *m);
