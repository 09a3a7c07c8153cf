/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libkmod.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "admin/modconf.h"
#include "core/fileio.h"
#include "core/sysfs.h"

/* Where modprobe reads its configuration, in its order (kmod's defaults, and usr/lib for usr-merged roots). */
static const char *const conf_dirs[] = {
	"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d",
};

/* A list of module names. */
struct names {
	char **v;
	size_t n;
};

struct modconf {
	const struct igd_ctx *ctx;
	char *release;
	struct kmod_ctx *kmod;
	struct names blacklist;         /* modprobe.d */
	struct names blacklist_cmdline; /* modprobe.blacklist= of the root's proc/cmdline */
	struct names softdep_vfio;      /* modules with "softdep M pre: ... vfio-pci ..." */
	struct names initramfs;         /* etc/initramfs-tools/modules */
	char *vfio_ids;                 /* the last ids= of "options vfio_pci" */
	char *vfio_ids_cmdline;         /* vfio-pci.ids= of the root's proc/cmdline */
};

static void names_done(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct names){};
}

/* Module names compare with '-' and '_' alike, as modprobe and the kernel do. */
static bool modname_eq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];

		if (x != y)
			return false;
		if (x == '\0')
			return true;
	}
	return true;
}

static bool modname_eq(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && modname_eq_n(a, b, strlen(a));
}

static bool names_contains(const struct names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (modname_eq(l->v[i], name))
			return true;
	return false;
}

static int names_add(struct names *l, const char *name, size_t len)
{
	char **v;
	char *s;

	if (len == 0)
		return 0;
	s = strndup(name, len);
	if (!s)
		return -ENOMEM;
	v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	l->v = v;
	l->v[l->n++] = s;
	return 0;
}

/* Adds each item of a list separated by any of sep. */
static int names_add_split(struct names *l, const char *list, const char *sep)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, sep);
		int r = names_add(l, p, len);

		if (r < 0)
			return r;
		p += len;
		p += strspn(p, sep);
	}
	return 0;
}

int modconf_cmdline_values(const char *cmdline, const char *key, char **ret)
{
	_cleanup_(freep) char *out = NULL;
	size_t klen = strlen(key);

	for (const char *p = cmdline; *p;) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		/* the kernel treats '-' and '_' in parameter names alike */
		if (len > klen && p[klen] == '=' && modname_eq_n(p, key, klen)) {
			const char *v = p + klen + 1;
			size_t vlen = len - klen - 1;
			char *joined;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
				v++, vlen -= 2;
			if (asprintf(&joined, "%s%s%.*s", out ? out : "", out && vlen ? "," : "", (int)vlen,
				     v) < 0)
				return -ENOMEM;
			free(out);
			out = joined;
		}
		p += len;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* Reads one pci_match_id() field: a hex number; absent means "any". */
static bool ids_field(const char **p, unsigned long *v)
{
	char *end;

	if (**p == '\0' || **p == ',')
		return false;
	if (**p == ':')
		(*p)++;
	errno = 0;
	*v = strtoul(*p, &end, 16);
	if (end == *p || errno)
		return false;
	*p = end;
	return true;
}

bool modconf_ids_match(const char *ids, const struct pci_device *d)
{
	const unsigned long any = 0xffffffffUL;

	for (const char *p = ids; p && *p;) {
		unsigned long f[6] = { any, any, any, any, 0, 0 };
		size_t n = 0;

		while (n < ELEMENTSOF(f) && ids_field(&p, &f[n]))
			n++;
		/* vfio-pci needs vendor and device; a malformed entry matches nothing */
		if (n >= 2 && (*p == '\0' || *p == ',') && (f[0] == any || f[0] == d->vendor_id) &&
		    (f[1] == any || f[1] == d->device_id) && (f[2] == any || f[2] == d->subsys_vendor_id) &&
		    (f[3] == any || f[3] == d->subsys_device_id) && ((f[4] ^ d->class_code) & f[5]) == 0)
			return true;
		p += strcspn(p, ",");
		p += strspn(p, ",");
	}
	return false;
}

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
static bool softdep_pre_vfio(const char *text)
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
static int options_ids(const char *options, char **ids)
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
		r = names_add(&m->blacklist, kmod_config_iter_get_key(it), strlen(kmod_config_iter_get_key(it)));
	kmod_config_iter_free_iter(it);

	it = kmod_config_get_options(m->kmod);
	for (i = 0; r >= 0 && i < all.options - skip->options && kmod_config_iter_next(it); i++)
		if (modname_eq(kmod_config_iter_get_key(it), "vfio_pci"))
			r = options_ids(kmod_config_iter_get_value(it), &m->vfio_ids);
	kmod_config_iter_free_iter(it);

	it = kmod_config_get_softdeps(m->kmod);
	for (i = 0; r >= 0 && i < all.softdeps - skip->softdeps && kmod_config_iter_next(it); i++)
		if (softdep_pre_vfio(kmod_config_iter_get_value(it)))
			r = names_add(&m->softdep_vfio, kmod_config_iter_get_key(it),
				      strlen(kmod_config_iter_get_key(it)));
	kmod_config_iter_free_iter(it);
	return r;
}

/* The root's kernel command line: modprobe.blacklist= and vfio-pci.ids= only. */
static int read_cmdline(struct modconf *m)
{
	_cleanup_(freep) char *path = igd_path(m->ctx, "/proc/cmdline");
	_cleanup_(freep) char *line = NULL, *bl = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = sysfs_read_line(path, &line);
	if (r == -ENOENT || r == -ENODATA)
		return 0;
	if (r < 0)
		return r;
	r = modconf_cmdline_values(line, "modprobe.blacklist", &bl);
	if (r >= 0 && bl)
		r = names_add_split(&m->blacklist_cmdline, bl, ",");
	if (r >= 0)
		r = modconf_cmdline_values(line, "vfio_pci.ids", &m->vfio_ids_cmdline);
	return r;
}

/* etc/initramfs-tools/modules: one module per line, with its arguments; '#' comments. */
static int read_initramfs_modules(struct modconf *m)
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
			if (asprintf(ret_reason, "several kernels in /lib/modules (%s, %s) and no "
				     "/proc/sys/kernel/osrelease", found, de->d_name) < 0)
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

int modconf_new(const struct igd_ctx *ctx, struct modconf **ret, char **ret_reason)
{
	_cleanup_(modconf_freep) struct modconf *m = NULL;
	_cleanup_(freep) char *dir = NULL, *index = NULL;
	const char *paths[ELEMENTSOF(conf_dirs) + 1] = {};
	char *owned[ELEMENTSOF(conf_dirs)] = {};
	struct entry_counts skip;
	struct stat st;
	int r = 0;

	*ret_reason = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	r = kernel_release(ctx, &m->release, ret_reason);
	if (r < 0)
		return r;
	dir = igd_path(ctx, "/lib/modules/%s", m->release);
	index = igd_path(ctx, "/lib/modules/%s/modules.alias.bin", m->release);
	if (!dir || !index)
		return -ENOMEM;
	/* libkmod looks aliases up in the binary index only; depmod writes it */
	if (stat(index, &st) < 0) {
		if (errno != ENOENT)
			return negative_errno();
		if (asprintf(ret_reason, "no /lib/modules/%s/modules.alias.bin", m->release) < 0)
			return -ENOMEM;
		return -ENOENT;
	}

	for (size_t i = 0; i < ELEMENTSOF(conf_dirs) && r == 0; i++) {
		owned[i] = igd_path(ctx, "%s", conf_dirs[i]);
		paths[i] = owned[i];
		if (!owned[i])
			r = -ENOMEM;
	}
	if (r == 0) {
		m->kmod = kmod_new(dir, paths);
		if (!m->kmod)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(conf_dirs); i++)
		free(owned[i]);
	if (r < 0)
		return r;
	kmod_set_log_fn(m->kmod, kmod_log, (void *)ctx);

	r = cmdline_counts(ctx, dir, &skip);
	if (r >= 0)
		r = read_config(m, &skip);
	if (r >= 0)
		r = read_cmdline(m);
	if (r >= 0)
		r = read_initramfs_modules(m);
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
	kmod_list_foreach(l, list) {
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
