/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module configuration, read with libkmod (the library modprobe itself
 * uses): which host driver modules claim a device's modalias, and whether
 * modprobe.d or the kernel command line keep them off it: the module
 * blacklisted, or vfio-pci given the device's id and loaded before it.
 *
 * Everything is read under the context's root: lib/modules/<release>/ (the
 * aliases), the modprobe.d directories, proc/cmdline and
 * etc/initramfs-tools/modules. libkmod also reads the running kernel's
 * /proc/cmdline on its own; those entries are dropped from what it returns
 * and the root's proc/cmdline is read here instead, so a --root tree never
 * sees this machine's command line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/context.h"
#include "topology/snapshot.h"

struct modconf;

/*
 * Opens the module configuration of the kernel release under the root
 * (uname on the host; under another root its proc/sys/kernel/osrelease, else
 * the only directory in its lib/modules). Returns 0, or -ENOENT when there
 * are no module aliases to read (*ret_reason then says why, malloc'd:
 * "no /lib/modules/6.1.0-9-amd64/modules.alias.bin"), or another -errno.
 */
int modconf_new(const struct igd_ctx *ctx, struct modconf **ret, char **ret_reason);
struct modconf *modconf_free(struct modconf *m);
static inline void modconf_freep(struct modconf **p)
{
	modconf_free(*p);
}

const char *modconf_kernel_release(const struct modconf *m);

/* A host module that claims a device, and what keeps it off. */
struct modconf_claim {
	char *module;          /* as libkmod names it: "snd_hda_intel" */
	bool blacklisted;      /* "blacklist MODULE" in modprobe.d */
	bool blacklisted_cmdline; /* modprobe.blacklist=...MODULE... on the command line */
	bool softdep_vfio;     /* "softdep MODULE pre: vfio-pci" in modprobe.d */
	bool in_initramfs;     /* listed in etc/initramfs-tools/modules */
};

struct modconf_device {
	struct modconf_claim *claims; /* vfio-pci itself is left out */
	size_t n_claims;
	bool vfio_ids;         /* "options vfio-pci ids=" in modprobe.d matches the device (and
				* the command line has no vfio-pci.ids=, which would win) */
	bool vfio_ids_cmdline; /* vfio-pci.ids= on the command line matches it */
};

/*
 * The modules whose aliases match modalias (the device's sysfs modalias
 * file), and their configuration; d gives the ids that vfio-pci's ids= are
 * matched against. Returns 0 or -errno (-ENOMEM).
 */
int modconf_device_lookup(struct modconf *m, const char *modalias, const struct pci_device *d,
			  struct modconf_device *ret);
void modconf_device_done(struct modconf_device *md);

bool modconf_claim_kept_off(const struct modconf_device *md, const struct modconf_claim *c);
/* Every claiming module is kept off (true when none claims it). */
bool modconf_device_kept_off(const struct modconf_device *md);

/*
 * vfio-pci's ids= from modprobe.d as libkmod gives them (the last ids= wins,
 * as in the kernel), or NULL when none is configured.
 */
const char *modconf_vfio_ids(const struct modconf *m);
/* vfio-pci.ids= from the root's kernel command line, or NULL. */
const char *modconf_vfio_ids_cmdline(const struct modconf *m);
/* vfio-pci (vfio_pci) is listed in etc/initramfs-tools/modules. */
bool modconf_vfio_in_initramfs(const struct modconf *m);

/*
 * Exposed for tests. modconf_ids_match: ids is a vfio-pci ids= value
 * ("8086:a348,1234:1111:ffffffff:ffffffff"); true when one entry matches d as
 * the kernel's pci_match_id() would. modconf_cmdline_values: the values of
 * every key= word of cmdline (key compared with '-' and '_' alike), joined
 * with ','; NULL in *ret when there is none. 0 or -ENOMEM.
 */
bool modconf_ids_match(const char *ids, const struct pci_device *d);
int modconf_cmdline_values(const char *cmdline, const char *key, char **ret);

/*
 * Also exposed for tests, the two readers of libkmod's text.
 * modconf_softdep_pre_vfio: text is a softdep's ("pre: a b post: c"); true
 * when vfio-pci (or vfio_pci) is among its pre modules.
 * modconf_options_ids: the value of the last ids= word of options (a module's
 * options line, "ids=8086:a348 disable_vga=1"), quotes removed, replaces
 * *ids; *ids is left as it is when there is none. 0 or -ENOMEM.
 */
bool modconf_softdep_pre_vfio(const char *text);
int modconf_options_ids(const char *options, char **ids);
