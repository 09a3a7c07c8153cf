/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modprobe.d through libkmod (the library modprobe itself uses), and
 * etc/initramfs-tools/modules.
 */
#include <stdarg.h>
#include <string.h>

#include "admin/modconf_internal.h"
#include "core/fileio.h"

/* Where modprobe reads its configuration, in its order (kmod's defaults, and usr/lib for usr-merged roots). */
static const char *const conf_dirs[] = {
	"/etc/modprobe.d",
	"/run/modprobe.d",
	"/usr/local/lib/modprobe.d",
	"/lib/modprobe.d",
	/* usr-merged roots */
	"/usr/lib/modprobe.d",
};

static _printf_(6, 0) void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
				    const char *format, va_list args)
{
	_cleanup_(freep) char *msg = NULL;

	if (vasprintf(&msg, format, args) < 0)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	igd_log(data, LOG_DEBUG, "libkmod: %s", msg);
}

/*
 * How many blacklist, options and softdep entries libkmod takes from the
 * running kernel's /proc/cmdline: a context without configuration files
 * holds only those. libkmod appends them after every file's entries.
 */
struct entry_counts {
	size_t blacklists, options, softdeps;
};

static size_t iter_count(struct kmod_config_iter *it)
{
	size_t n = 0;

	while (it && kmod_config_iter_next(it))
		n++;
	kmod_config_iter_free_iter(it);
	return n;
}

static int count_entries(struct kmod_ctx *k, struct entry_counts *ret)
{
	struct kmod_config_iter *b = kmod_config_get_blacklists(k), *o = kmod_config_get_options(k),
				*s = kmod_config_get_softdeps(k);

	if (!b || !o || !s) {
		kmod_config_iter_free_iter(b);
		kmod_config_iter_free_iter(o);
		kmod_config_iter_free_iter(s);
		return -ENOMEM;
	}
	*ret = (struct entry_counts){ iter_count(b), iter_count(o), iter_count(s) };
	return 0;
}

static int cmdline_counts(const struct igd_ctx *ctx, const char *dir, struct entry_counts *ret)
{
	static const char *const no_files[] = { NULL };
	struct kmod_ctx *k = kmod_new(dir, no_files);
	int r;

	if (!k)
		return -ENOMEM;
	kmod_set_log_fn(k, kmod_log, (void *)ctx);
	r = count_entries(k, ret);
	kmod_unref(k);
	return r;
}

/*
 * "pre: a b post: c", libkmod's text of a softdep: vfio-pci is among the pre
 * modules. Module names hold no ':', so "pre:" and "post:" are found as
 * substrings (kmod 30 writes "pre: apost: c", without the blank).
 */
bool modconf_softdep_pre_vfio(const char *text)
{
	const char *pre = strstr(text, "pre:"), *end;

	if (!pre)
		return false;
	pre += strlen("pre:");
	end = strstr(pre, "post:");
	if (!end)
		end = pre + strlen(pre);
	for (const char *p = pre; p < end;) {
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (p + len > end)
			len = end - p;
		if (len == 8 && modname_eq_n(p, "vfio_pci", 8))
			return true;
		p += len;
	}
	return false;
}

/* The last ids= among vfio_pci's options ("ids=8086:a348 disable_vga=1"). */
int modconf_options_ids(const char *options, char **ids)
{
	for (const char *p = options; *p;) {
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len > 4 && strncmp(p, "ids=", 4) == 0) {
			const char *v = p + 4;
			size_t vlen = len - 4;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
				v++, vlen -= 2;
			free(*ids);
			*ids = strndup(v, vlen);
			if (!*ids)
				return -ENOMEM;
		}
		p += len;
	}
	return 0;
}

/* The entries from the configuration files: all but the last skip ones (the command line's). */
static int read_config(struct modconf *m, const struct entry_counts *skip)
{
	struct entry_counts all;
	struct kmod_config_iter *it;
	size_t i;
	int r;

	r = count_entries(m->kmod, &all);
	if (r < 0)
		return r;
	if (all.blacklists < skip->blacklists || all.options < skip->options || all.softdeps < skip->softdeps)
		return -EPROTO; /* libkmod did not put the command line last */

	it = kmod_config_get_blacklists(m->kmod);
	for (i = 0, r = 0; r >= 0 && i < all.blacklists - skip->blacklists && kmod_config_iter_next(it); i++)
		r = names_add(&m->blacklist, kmod_config_iter_get_key(it),
			      strlen(kmod_config_iter_get_key(it)));
	kmod_config_iter_free_iter(it);

	it = kmod_config_get_options(m->kmod);
	for (i = 0; r >= 0 && i < all.options - skip->options && kmod_config_iter_next(it); i++)
		if (modname_eq(kmod_config_iter_get_key(it), "vfio_pci"))
			r = modconf_options_ids(kmod_config_iter_get_value(it), &m->vfio_ids);
	kmod_config_iter_free_iter(it);

	it = kmod_config_get_softdeps(m->kmod);
	for (i = 0; r >= 0 && i < all.softdeps - skip->softdeps && kmod_config_iter_next(it); i++)
		if (modconf_softdep_pre_vfio(kmod_config_iter_get_value(it)))
			r = names_add(&m->softdep_vfio, kmod_config_iter_get_key(it),
				      strlen(kmod_config_iter_get_key(it)));
	kmod_config_iter_free_iter(it);
	return r;
}

int modconf_kmod_new(const struct igd_ctx *ctx, const char *dir, struct kmod_ctx **ret)
{
	const char *paths[ELEMENTSOF(conf_dirs) + 1] = {};
	char *owned[ELEMENTSOF(conf_dirs)] = {};
	struct kmod_ctx *k = NULL;
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(conf_dirs) && r == 0; i++) {
		owned[i] = igd_path(ctx, "%s", conf_dirs[i]);
		paths[i] = owned[i];
		if (!owned[i])
			r = -ENOMEM;
	}
	if (r == 0) {
		k = kmod_new(dir, paths);
		if (!k)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(conf_dirs); i++)
		free(owned[i]);
	if (r < 0)
		return r;
	kmod_set_log_fn(k, kmod_log, (void *)ctx);
	*ret = k;
	return 0;
}

int modconf_read_modprobe_d(struct modconf *m, const char *dir)
{
	struct entry_counts skip;
	int r;

	r = cmdline_counts(m->ctx, dir, &skip);
	if (r < 0)
		return r;
	return read_config(m, &skip);
}

/* etc/initramfs-tools/modules: one module per line, with its arguments; '#' comments. */
int modconf_read_initramfs_modules(struct modconf *m)
{
	_cleanup_(freep) char *path = igd_path(m->ctx, "/etc/initramfs-tools/modules");
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t cap = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = file_open_regular(path, 0, &f, NULL);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	while (getline(&line, &cap, f) >= 0) {
		const char *p = line + strspn(line, " \t");

		if (*p == '#')
			continue;
		r = names_add(&m->initramfs, p, strcspn(p, " \t\n"));
		if (r < 0)
			return r;
	}
	return 0;
}
