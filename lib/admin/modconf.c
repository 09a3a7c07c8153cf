/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module configuration of the root's kernel (modconf.h): opened, and asked about a device. */
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "admin/modconf_internal.h"
#include "core/sysfs.h"

static int kernel_release(const struct igd_ctx *ctx, char **ret, char **ret_reason)
{
	_cleanup_(freep) char *path = NULL, *dir = NULL, *found = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	struct utsname u;
	int r;

	if (igd_ctx_root_is_host(ctx)) {
		if (uname(&u) < 0)
			return negative_errno();
		*ret = strdup(u.release);
		return *ret ? 0 : -ENOMEM;
	}
	path = igd_path(ctx, "/proc/sys/kernel/osrelease");
	if (!path)
		return -ENOMEM;
	r = sysfs_read_line(path, ret);
	if (r != -ENOENT)
		return r;
	/* a root without proc/sys: the one kernel it has modules for */
	dir = igd_path(ctx, "/lib/modules");
	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (found) {
			if (asprintf(ret_reason,
				     "several kernels in /lib/modules (%s, %s) and no "
				     "/proc/sys/kernel/osrelease",
				     found, de->d_name) < 0)
				return -ENOMEM;
			return -ENOENT;
		}
		found = strdup(de->d_name);
		if (!found)
			return -ENOMEM;
	}
	if (!found) {
		if (asprintf(ret_reason, "no kernel modules in /lib/modules") < 0)
			return -ENOMEM;
		return -ENOENT;
	}
	*ret = TAKE_PTR(found);
	return 0;
}

/* libkmod looks aliases up in the binary index only; depmod writes it */
static int alias_index_exists(const struct igd_ctx *ctx, const char *release, char **ret_reason)
{
	_cleanup_(freep) char *index = igd_path(ctx, "/lib/modules/%s/modules.alias.bin", release);
	struct stat st;

	if (!index)
		return -ENOMEM;
	if (stat(index, &st) < 0) {
		if (errno != ENOENT)
			return negative_errno();
		if (asprintf(ret_reason, "no /lib/modules/%s/modules.alias.bin", release) < 0)
			return -ENOMEM;
		return -ENOENT;
	}
	return 0;
}

int modconf_new(const struct igd_ctx *ctx, struct modconf **ret, char **ret_reason)
{
	_cleanup_(modconf_freep) struct modconf *m = NULL;
	_cleanup_(freep) char *dir = NULL;
	int r;

	*ret_reason = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	r = kernel_release(ctx, &m->release, ret_reason);
	if (r < 0)
		return r;
	dir = igd_path(ctx, "/lib/modules/%s", m->release);
	if (!dir)
		return -ENOMEM;
	r = alias_index_exists(ctx, m->release, ret_reason);
	if (r >= 0)
		r = modconf_kmod_new(ctx, dir, &m->kmod);
	if (r >= 0)
		r = modconf_read_modprobe_d(m, dir);
	if (r >= 0)
		r = modconf_read_cmdline(m);
	if (r >= 0)
		r = modconf_read_initramfs_modules(m);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}

struct modconf *modconf_free(struct modconf *m)
{
	if (!m)
		return NULL;
	kmod_unref(m->kmod);
	free(m->release);
	names_done(&m->blacklist);
	names_done(&m->blacklist_cmdline);
	names_done(&m->softdep_vfio);
	names_done(&m->initramfs);
	free(m->vfio_ids);
	free(m->vfio_ids_cmdline);
	free(m);
	return NULL;
}

const char *modconf_kernel_release(const struct modconf *m)
{
	return m->release;
}

const char *modconf_vfio_ids(const struct modconf *m)
{
	return m->vfio_ids;
}

const char *modconf_vfio_ids_cmdline(const struct modconf *m)
{
	return m->vfio_ids_cmdline;
}

bool modconf_vfio_in_initramfs(const struct modconf *m)
{
	return names_contains(&m->initramfs, "vfio_pci");
}

static void kmod_module_unref_listp(struct kmod_list **l)
{
	kmod_module_unref_list(*l);
}

int modconf_device_lookup(struct modconf *m, const char *modalias, const struct pci_device *d,
			  struct modconf_device *ret)
{
	_cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
	struct modconf_device md = {};
	struct kmod_list *l;
	int r;

	r = kmod_module_new_from_lookup(m->kmod, modalias, &list);
	if (r < 0)
		return r;
	kmod_list_foreach (l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);
		struct modconf_claim *c;

		bool seen = modname_eq(name, "vfio_pci");

		/* one module matches through several aliases (its id, and its class) */
		for (size_t i = 0; i < md.n_claims && !seen; i++)
			seen = modname_eq(md.claims[i].module, name);
		if (seen) {
			kmod_module_unref(mod);
			continue;
		}
		c = reallocarray(md.claims, md.n_claims + 1, sizeof(*c));
		if (!c) {
			kmod_module_unref(mod);
			modconf_device_done(&md);
			return -ENOMEM;
		}
		md.claims = c;
		c = &md.claims[md.n_claims];
		*c = (struct modconf_claim){
			.module = strdup(name),
			.blacklisted = names_contains(&m->blacklist, name),
			.blacklisted_cmdline = names_contains(&m->blacklist_cmdline, name),
			.softdep_vfio = names_contains(&m->softdep_vfio, name),
			.in_initramfs = names_contains(&m->initramfs, name),
		};
		kmod_module_unref(mod);
		if (!c->module) {
			modconf_device_done(&md);
			return -ENOMEM;
		}
		md.n_claims++;
	}
	/* modprobe appends the command line's options after modprobe.d's: its ids= wins */
	md.vfio_ids = !m->vfio_ids_cmdline && m->vfio_ids && modconf_ids_match(m->vfio_ids, d);
	md.vfio_ids_cmdline = m->vfio_ids_cmdline && modconf_ids_match(m->vfio_ids_cmdline, d);
	*ret = md;
	return 0;
}

void modconf_device_done(struct modconf_device *md)
{
	for (size_t i = 0; i < md->n_claims; i++)
		free(md->claims[i].module);
	free(md->claims);
	*md = (struct modconf_device){};
}

bool modconf_claim_kept_off(const struct modconf_device *md, const struct modconf_claim *c)
{
	if (c->blacklisted || c->blacklisted_cmdline)
		return true;
	return (md->vfio_ids || md->vfio_ids_cmdline) && c->softdep_vfio;
}

bool modconf_device_kept_off(const struct modconf_device *md)
{
	for (size_t i = 0; i < md->n_claims; i++)
		if (!modconf_claim_kept_off(md, &md->claims[i]))
			return false;
	return true;
}
