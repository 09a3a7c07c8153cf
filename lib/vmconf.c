/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A Proxmox VM's config and the PCI mappings, read the way qemu-server and
 * pve-guest-common read them:
 *
 * - qemu-server parse_vm_config: "key: value" lines, key [a-z][a-z_-]*\d*
 *   at the start of the line, value trimmed; '#' lines are the description;
 *   the first "[...]" line ends the current config (snapshots, [PENDING],
 *   [special:...] follow it). A later line for the same key wins.
 * - hostpciN (N = 0..15) is a property string (JSONSchema
 *   parse_property_string): ','-separated, empty parts skipped, "key=value"
 *   or one bare value for the default key "host"; a key given twice is an
 *   error. Options we do not know are accepted and ignored, so that a newer
 *   Proxmox's options do not stop the hook. Addresses as its pattern takes
 *   them: a domain of 4 or more hex digits (VMD), the slot form, "a;b".
 * - mapping/pci.cfg (SectionConfig without a type): "ID" on a line of its
 *   own starts a section, its properties follow as indented "key value"
 *   lines up to the next empty line; lines starting with optional
 *   whitespace and '#' are comments; "map" repeats. A later section with
 *   the same ID wins. Each map is a property string; those whose node=
 *   is this node count, in order: each is one alternative (qemu-server's
 *   parse_hostpci), whose path may list several addresses joined by ';',
 *   passed together.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "macro.h"
#include "sysfs.h"
#include "vmconf.h"

#define PCI_CFG "/etc/pve/mapping/pci.cfg"

/* ---- small helpers ---- */

/* Sets *what to a malloc'd message and returns -EBADMSG (-ENOMEM when even that fails). */
static int bad(char **what, const char *fmt, ...) _printf_(2, 3);
static int bad(char **what, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(what, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*what = NULL;
		return -ENOMEM;
	}
	return -EBADMSG;
}

static int oom(const struct igd_ctx *ctx)
{
	return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Out of memory");
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* pve-configid: [a-z][a-z0-9_-]+, case-insensitive. */
static bool configid_is_valid(const char *s)
{
	if (!isalpha((unsigned char)s[0]) || !s[1])
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* JSONSchema parse_boolean: 1/on/yes/true, 0/off/no/false, any case. */
static int parse_boolean(const char *s)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

typedef int (*line_fn)(void *userdata, unsigned line, char *s);

/*
 * Calls fn for each line of f (numbered from 1, with its newline) until fn
 * returns non-zero: a positive value stops the reading with 0, a negative
 * one is returned. Lines have no length limit.
 */
static int read_lines(const struct igd_ctx *ctx, FILE *f, const char *path, line_fn fn,
		      void *userdata)
{
	_cleanup_(freep) char *s = NULL;
	size_t cap = 0;
	unsigned line = 0;
	int r;

	for (;;) {
		errno = 0;
		if (getline(&s, &cap, f) < 0)
			break;
		r = fn(userdata, ++line, s);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (ferror(f))
		return igd_log_errno(ctx, LOG_ERR, errno > 0 ? errno : EIO, "Failed to read %s: %m",
				     path);
	return errno == ENOMEM ? -ENOMEM : 0;
}

/* ---- property strings ---- */

/* The next non-blank ','-separated part of *cursor (a mutable string), or NULL at the end. */
static char *prop_next(char **cursor)
{
	char *part;

	while ((part = strsep(cursor, ",")))
		if (!is_blank(part))
			return part;
	return NULL;
}

/* Splits part into key and value at the first '='; a bare value gets key NULL. */
static int prop_split(char *part, char **ret_key, char **ret_value, char **what)
{
	char *eq = strchr(part, '=');

	if (!eq) {
		*ret_key = NULL;
		*ret_value = part;
		return 0;
	}
	if (eq == part)
		return bad(what, "option without a name in '%s'", part);
	*eq = '\0';
	if (!eq[1])
		return bad(what, "option '%s' has no value", part);
	*ret_key = part;
	*ret_value = eq + 1;
	return 0;
}

/*
 * The default element of a property string ("virtio" in "virtio,memory=64"),
 * or the value of key= when it is written out; NULL in *ret when neither.
 */
static int prop_default_value(const char *value, const char *key, char **ret)
{
	_cleanup_(freep) char *copy = strdup(value);
	char *cursor = copy, *part;

	if (!copy)
		return -ENOMEM;
	while ((part = prop_next(&cursor))) {
		char *eq = strchr(part, '=');

		if (!eq || ((size_t)(eq - part) == strlen(key) && strncmp(part, key, eq - part) == 0)) {
			char *v = strdup(eq ? eq + 1 : part);

			if (!v)
				return -ENOMEM;
			*ret = v;
			return 0;
		}
	}
	*ret = NULL;
	return 0;
}

/* ---- address lists ("0000:00:02.0;0000:00:02.1") ---- */

struct addr_vec {
	struct pci_addr *v;
	size_t n;
};

static void addr_vec_done(struct addr_vec *a)
{
	free(a->v);
	*a = (struct addr_vec){};
}

static int addr_vec_parse(const char *list, struct addr_vec *ret, char **what)
{
	_cleanup_(freep) char *copy = strdup(list);
	_cleanup_(freep) struct pci_addr *v = NULL;
	char *cursor = copy, *tok;
	size_t n = 1;

	if (!copy)
		return -ENOMEM;
	for (const char *s = list; *s; s++)
		n += *s == ';';
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; (tok = strsep(&cursor, ";")); i++)
		if (pci_addr_parse(tok, PCI_ADDR_ALLOW_SLOT | PCI_ADDR_LONG_DOMAIN, &v[i]) < 0)
			return bad(what, "invalid PCI address '%s'", tok);
	ret->v = TAKE_PTR(v);
	ret->n = n;
	return 0;
}

static int addr_vec_append(struct addr_vec *dst, const struct addr_vec *src)
{
	struct pci_addr *v;

	if (src->n == 0)
		return 0;
	v = reallocarray(dst->v, dst->n + src->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v + dst->n, src->v, src->n * sizeof(*v));
	dst->v = v;
	dst->n += src->n;
	return 0;
}

/* ---- hostpciN values ---- */

enum hostpci_key {
	HP_HOST,
	HP_MAPPING,
	HP_LEGACY_IGD,
	HP_PCIE,
	HP_X_VGA,
	HP_ROMBAR,
	HP_ROMFILE,
	HP_MDEV,
	HP_DRIVER,
	HP_VENDOR_ID, /* from here: Proxmox options accepted and ignored */
	HP_DEVICE_ID,
	HP_SUB_VENDOR_ID,
	HP_SUB_DEVICE_ID,
	_HP_MAX,
	HP_UNKNOWN = -1,
};

static const char *const hostpci_keys[_HP_MAX] = {
	[HP_HOST] = "host",
	[HP_MAPPING] = "mapping",
	[HP_LEGACY_IGD] = "legacy-igd",
	[HP_PCIE] = "pcie",
	[HP_X_VGA] = "x-vga",
	[HP_ROMBAR] = "rombar",
	[HP_ROMFILE] = "romfile",
	[HP_MDEV] = "mdev",
	[HP_DRIVER] = "driver",
	[HP_VENDOR_ID] = "vendor-id",
	[HP_DEVICE_ID] = "device-id",
	[HP_SUB_VENDOR_ID] = "sub-vendor-id",
	[HP_SUB_DEVICE_ID] = "sub-device-id",
};

static enum hostpci_key hostpci_key_lookup(const char *name)
{
	for (int k = 0; k < _HP_MAX; k++)
		if (strcmp(hostpci_keys[k], name) == 0)
			return k;
	return HP_UNKNOWN;
}

static int bool_option(const char *key, const char *value, bool *ret, char **what)
{
	int b = parse_boolean(value);

	if (b < 0)
		return bad(what, "option '%s' is not a boolean: '%s'", key, value);
	*ret = b;
	return 0;
}

static int string_option(const char *value, char **ret)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 0;
}

static int hostpci_option(struct vm_hostpci *h, enum hostpci_key k, const char *value,
			  const char **host, char **what)
{
	bool b = false;
	int r;

	switch (k) {
	case HP_HOST:
		*host = value;
		return 0;
	case HP_MAPPING:
		if (!configid_is_valid(value))
			return bad(what, "invalid mapping name '%s'", value);
		return string_option(value, &h->mapping);
	case HP_LEGACY_IGD:
		return bool_option(hostpci_keys[k], value, &h->legacy_igd, what);
	case HP_PCIE:
		return bool_option(hostpci_keys[k], value, &h->pcie, what);
	case HP_X_VGA:
		return bool_option(hostpci_keys[k], value, &h->x_vga, what);
	case HP_ROMBAR:
		r = bool_option(hostpci_keys[k], value, &b, what);
		if (r < 0)
			return r;
		h->rombar = b;
		return 0;
	case HP_ROMFILE:
		return string_option(value, &h->romfile);
	case HP_MDEV:
		/* qemu-server's pattern: the type names a sysfs directory */
		if (strpbrk(value, "/.:"))
			return bad(what, "invalid mdev type '%s'", value);
		return string_option(value, &h->mdev);
	case HP_DRIVER:
		if (strcmp(value, "keep") != 0 && strcmp(value, "vfio") != 0)
			return bad(what, "option 'driver' is 'vfio' or 'keep', not '%s'", value);
		h->driver_keep = strcmp(value, "keep") == 0;
		return 0;
	default:
		return 0;
	}
}

/* One element of the value: a bare host, a known option (once each), or an ignored one. */
static int hostpci_part(struct vm_hostpci *h, char *part, unsigned *seen, const char **host,
			char **what)
{
	enum hostpci_key k;
	char *key = NULL, *value = NULL;
	int r;

	r = prop_split(part, &key, &value, what);
	if (r < 0)
		return r;
	k = key ? hostpci_key_lookup(key) : HP_HOST;
	if (k == HP_UNKNOWN)
		return 0;
	if (*seen & (1u << k))
		return bad(what, "option '%s' given twice", hostpci_keys[k]);
	*seen |= 1u << k;
	return hostpci_option(h, k, value, host, what);
}

/* vm_hostpci_parse, with the reason for -EBADMSG in *what (malloc'd). */
static int hostpci_parse(const char *value, struct vm_hostpci *ret, char **what)
{
	_cleanup_(vm_hostpci_done) struct vm_hostpci h = { .rombar = -1 };
	_cleanup_(addr_vec_done) struct addr_vec addrs = {};
	_cleanup_(freep) char *copy = NULL;
	const char *host = NULL;
	char *cursor, *part;
	unsigned seen = 0;
	int r;

	if (!value || is_blank(value))
		return bad(what, "empty value");
	copy = cursor = strdup(value);
	if (!copy)
		return -ENOMEM;
	while ((part = prop_next(&cursor))) {
		r = hostpci_part(&h, part, &seen, &host, what);
		if (r < 0)
			return r;
	}
	if (host && h.mapping)
		return bad(what, "both host and mapping are set");
	if (!host && !h.mapping)
		return bad(what, "neither host nor mapping is set");
	if (host) {
		r = addr_vec_parse(host, &addrs, what);
		if (r < 0)
			return r;
		h.alt_ends = malloc(sizeof(*h.alt_ends));
		if (!h.alt_ends)
			return -ENOMEM;
		/* a host= list is one alternative, passed together */
		h.alt_ends[0] = addrs.n;
		h.n_alts = 1;
		h.addrs = TAKE_PTR(addrs.v);
		h.n_addrs = addrs.n;
	}
	*ret = h;
	h = (struct vm_hostpci){};
	return 0;
}

int vm_hostpci_parse(const char *value, struct vm_hostpci *ret)
{
	_cleanup_(freep) char *what = NULL;

	return hostpci_parse(value, ret, &what);
}

void vm_hostpci_done(struct vm_hostpci *h)
{
	if (!h)
		return;
	free(h->addrs);
	free(h->alt_ends);
	free(h->mapping);
	free(h->mdev);
	free(h->romfile);
	*h = (struct vm_hostpci){ .rombar = -1 };
}

/* ---- the node name ---- */

/* The first label of s ("pve" for " pve.example.org\n"), malloc'd; NULL in *ret when empty. */
static int first_label(const char *s, char **ret)
{
	char *label;
	size_t n;

	s += strspn(s, " \t\r\n");
	n = strcspn(s, ". \t\r\n");
	if (n == 0) {
		*ret = NULL;
		return 0;
	}
	label = strndup(s, n);
	if (!label)
		return -ENOMEM;
	*ret = label;
	return 0;
}

static int node_from_hostname_file(const struct igd_ctx *ctx, char **ret)
{
	_cleanup_(freep) char *path = igd_path(ctx, "/etc/hostname");
	_cleanup_(freep) char *line = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = sysfs_read_line(path, &line);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		igd_log_errno(ctx, LOG_DEBUG, r, "Cannot read %s (%m), using uname's node name", path);
		*ret = NULL;
		return 0;
	}
	return first_label(line, ret);
}

int vm_node_name(const struct igd_ctx *ctx, char **ret)
{
	_cleanup_(freep) char *node = NULL;
	struct utsname u;
	int r;

	r = node_from_hostname_file(ctx, &node);
	if (r < 0)
		return oom(ctx);
	if (!node) {
		if (uname(&u) < 0)
			return igd_log_errno(ctx, LOG_ERR, errno, "uname failed: %m");
		if (first_label(u.nodename, &node) < 0)
			return oom(ctx);
		if (!node)
			return igd_log_errno(ctx, LOG_ERR, ENODATA, "Cannot determine this node's name");
	}
	*ret = TAKE_PTR(node);
	return 0;
}

/* ---- mapping/pci.cfg ---- */

struct map_reader {
	const struct igd_ctx *ctx;
	const char *path;
	const char *node;
	const char *name;
	unsigned line;
	bool in_section; /* between a header and the next empty line */
	bool wanted;     /* ... and its ID is name */
	bool defined;    /* a section named name was seen */
	struct addr_vec addrs;
	size_t *ends; /* one per map line for node: where its path ends in addrs */
	size_t n_ends;
};

static void map_reader_reset(struct map_reader *m)
{
	addr_vec_done(&m->addrs);
	free(m->ends);
	m->ends = NULL;
	m->n_ends = 0;
}

/* "node=pve,path=0000:00:1f.3,id=8086:a348,..." -> node and path (pointing into value). */
static int map_entry_split(char *value, const char **ret_node, const char **ret_path, char **what)
{
	const char *node = NULL, *path = NULL;
	char *cursor = value, *part, *key = NULL, *v = NULL;
	int r;

	while ((part = prop_next(&cursor))) {
		r = prop_split(part, &key, &v, what);
		if (r < 0)
			return r;
		if (!key)
			return bad(what, "value without a key: '%s'", v);
		if (strcmp(key, "node") == 0 || strcmp(key, "path") == 0) {
			const char **slot = key[0] == 'n' ? &node : &path;

			if (*slot)
				return bad(what, "option '%s' given twice", key);
			*slot = v;
		}
	}
	if (!node)
		return bad(what, "no node=");
	if (!path)
		return bad(what, "no path=");
	*ret_node = node;
	*ret_path = path;
	return 0;
}

/* A map line of the wanted mapping: its path, when its node is ours. */
static int map_entry(struct map_reader *m, char *value, char **what)
{
	_cleanup_(addr_vec_done) struct addr_vec addrs = {};
	const char *node = NULL, *path = NULL;
	size_t *ends;
	int r;

	r = map_entry_split(value, &node, &path, what);
	if (r < 0)
		return r;
	if (strcmp(node, m->node) != 0)
		return 0;
	r = addr_vec_parse(path, &addrs, what);
	if (r < 0)
		return r;
	ends = reallocarray(m->ends, m->n_ends + 1, sizeof(*ends));
	if (!ends)
		return -ENOMEM;
	m->ends = ends;
	r = addr_vec_append(&m->addrs, &addrs);
	if (r < 0)
		return r;
	m->ends[m->n_ends++] = m->addrs.n;
	return 0;
}

/* An indented "key value" line of the wanted section. */
static int map_property(struct map_reader *m, char *line)
{
	_cleanup_(freep) char *what = NULL;
	char *key = line + strspn(line, " \t"), *value;
	int r;

	value = key + strcspn(key, " \t");
	if (*value)
		*value++ = '\0';
	value += strspn(value, " \t");
	if (strcmp(key, "map") != 0)
		return 0;
	r = map_entry(m, value, &what);
	if (r == -EBADMSG)
		igd_log(m->ctx, LOG_WARNING, "%s:%u: mapping '%s': ignoring map entry: %s", m->path,
			m->line, m->name, what);
	return r == -EBADMSG ? 0 : r;
}

/* A line outside a section: a header "ID", or something SectionConfig ignores too. */
static void map_header(struct map_reader *m, const char *line)
{
	if (line[0] == '\0' || isspace((unsigned char)line[0]) || strpbrk(line, " \t"))
		return;
	m->in_section = true;
	m->wanted = configid_is_valid(line) && strcmp(line, m->name) == 0;
	if (m->wanted) {
		/* a later section with the same ID replaces the earlier one */
		m->defined = true;
		map_reader_reset(m);
	}
}

static int map_line(void *userdata, unsigned n, char *line)
{
	struct map_reader *m = userdata;

	m->line = n;
	line[strcspn(line, "\n")] = '\0';
	if (line[strspn(line, " \t")] == '#')
		return 0;
	if (!m->in_section) {
		rstrip(line);
		map_header(m, line);
		return 0;
	}
	if (line[0] == '\0') {
		/* only an empty line ends a section: SectionConfig's "while ($line = ...)" */
		m->in_section = m->wanted = false;
		return 0;
	}
	rstrip(line);
	if (line[0] != '\0' && !isspace((unsigned char)line[0])) {
		igd_log(m->ctx, LOG_WARNING,
			"%s:%u: ignoring '%s': a mapping starts only after an empty line", m->path,
			m->line, line);
		return 0;
	}
	if (!m->wanted || is_blank(line))
		return 0;
	return map_property(m, line);
}

int vm_mapping_resolve(const struct igd_ctx *ctx, const char *cfg_path, const char *node,
		       const char *name, struct pci_addr **ret, size_t *ret_n)
{
	_cleanup_(freep) size_t *ends = NULL;
	size_t n_alts;

	return vm_mapping_resolve_alts(ctx, cfg_path, node, name, ret, ret_n, &ends, &n_alts);
}

int vm_mapping_resolve_alts(const struct igd_ctx *ctx, const char *cfg_path, const char *node,
			    const char *name, struct pci_addr **ret, size_t *ret_n, size_t **ret_ends,
			    size_t *ret_n_alts)
{
	_cleanup_(fclosep) FILE *f = NULL;
	struct map_reader m = { .ctx = ctx, .path = cfg_path, .node = node, .name = name };
	int r;

	f = fopen(cfg_path, "re");
	if (!f && errno != ENOENT)
		return igd_log_errno(ctx, LOG_ERR, errno, "mapping '%s': cannot open %s: %m", name,
				     cfg_path);
	if (f) {
		r = read_lines(ctx, f, cfg_path, map_line, &m);
		if (r == -ENOMEM)
			r = oom(ctx);
		if (r < 0) {
			map_reader_reset(&m);
			return r;
		}
	}
	if (!m.defined)
		return igd_log_errno(ctx, LOG_ERR, ENXIO, "mapping '%s' is not defined in %s", name,
				     cfg_path);
	if (m.addrs.n == 0) {
		map_reader_reset(&m);
		return igd_log_errno(ctx, LOG_ERR, ENXIO,
				     "mapping '%s' has no entry for node '%s' in %s", name, node,
				     cfg_path);
	}
	*ret = m.addrs.v;
	*ret_n = m.addrs.n;
	*ret_ends = m.ends;
	*ret_n_alts = m.n_ends;
	return 0;
}

/* ---- the VM config ---- */

struct conf_reader {
	const struct igd_ctx *ctx;
	char *path;
	unsigned line;
	int error; /* the first -EBADMSG, once every line was looked at */
	struct vm_hostpci slot[VM_HOSTPCI_MAX];
	bool present[VM_HOSTPCI_MAX];
	char *machine, *vga, *vga_raw;
	bool is_template;
};

static void conf_reader_done(struct conf_reader *c)
{
	for (size_t i = 0; i < VM_HOSTPCI_MAX; i++)
		vm_hostpci_done(&c->slot[i]);
	free(c->path);
	free(c->machine);
	free(c->vga);
	free(c->vga_raw);
}

/* N of "hostpciN" for N = 0..15 without leading zeros; -2 for hostpci16..99; else -1. */
static int hostpci_index(const char *key)
{
	const char *d;
	unsigned n = 0;

	if (strncmp(key, "hostpci", 7) != 0)
		return -1;
	d = key + 7;
	if (!isdigit((unsigned char)d[0]) || (d[0] == '0' && d[1]) || strlen(d) > 2)
		return -1;
	for (; *d; d++) {
		if (!isdigit((unsigned char)*d))
			return -1;
		n = n * 10 + (unsigned)(*d - '0');
	}
	return n < VM_HOSTPCI_MAX ? (int)n : -2;
}

static int conf_hostpci(struct conf_reader *c, const char *key, int index, const char *value)
{
	_cleanup_(freep) char *what = NULL;
	struct vm_hostpci h;
	int r;

	r = hostpci_parse(value, &h, &what);
	if (r == -EBADMSG) {
		igd_log(c->ctx, LOG_ERR, "%s:%u: %s: %s", c->path, c->line, key, what);
		if (!c->error)
			c->error = r;
		return 0;
	}
	if (r < 0)
		return r;
	h.index = (unsigned)index;
	vm_hostpci_done(&c->slot[index]);
	c->slot[index] = h;
	c->present[index] = true;
	return 0;
}

static int conf_key(struct conf_reader *c, const char *key, const char *value)
{
	int index = hostpci_index(key);

	if (index >= 0)
		return conf_hostpci(c, key, index, value);
	if (index == -2) {
		igd_log(c->ctx, LOG_WARNING, "%s:%u: ignoring %s: Proxmox uses hostpci0 to hostpci%d",
			c->path, c->line, key, VM_HOSTPCI_MAX - 1);
		return 0;
	}
	if (strcmp(key, "machine") == 0 && *value)
		return string_option(value, &c->machine);
	if (strcmp(key, "vga") == 0 && *value) {
		free(c->vga);
		c->vga = NULL;
		if (string_option(value, &c->vga_raw) < 0)
			return -ENOMEM;
		return prop_default_value(value, "type", &c->vga);
	}
	if (strcmp(key, "template") == 0) {
		int b = parse_boolean(value);

		/* qemu-server refuses a config with another value: leave it to qemu-server */
		if (b >= 0)
			c->is_template = b;
		return 0;
	}
	return 0;
}

/* "[name]", "[PENDING]", "[special:cloudinit]": the current config ends here. */
static bool is_section_header(const char *line)
{
	const char *close = strchr(line, ']');

	return line[0] == '[' && close && close[1] == '\0';
}

/* "key: value" with key [a-z][a-z_-]*[0-9]* at the start of the line; splits line in place. */
static bool split_key(char *line, char **ret_key, char **ret_value)
{
	char *s = line;

	if (!islower((unsigned char)*s))
		return false;
	while (islower((unsigned char)*s) || *s == '_' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s != ':')
		return false;
	*s++ = '\0';
	*ret_key = line;
	*ret_value = s + strspn(s, " \t");
	return true;
}

/* 1 when the line ends the current config, else 0 or -errno. */
static int conf_line(void *userdata, unsigned n, char *line)
{
	struct conf_reader *c = userdata;
	char *key, *value;

	c->line = n;
	rstrip(line);
	if (line[0] == '\0' || is_blank(line) || line[0] == '#')
		return 0;
	if (is_section_header(line))
		return 1;
	if (!split_key(line, &key, &value)) {
		igd_log(c->ctx, LOG_DEBUG, "%s:%u: ignoring a line that is not 'key: value'", c->path,
			c->line);
		return 0;
	}
	if (!*value && hostpci_index(key) < 0) {
		igd_log(c->ctx, LOG_DEBUG, "%s:%u: ignoring %s without a value", c->path, c->line,
			key);
		return 0;
	}
	return conf_key(c, key, value);
}

/* Fills in the addresses of every hostpciN: mapping=NAME; logs and returns the first failure. */
static int conf_resolve_mappings(struct conf_reader *c)
{
	_cleanup_(freep) char *node = NULL, *cfg = NULL;
	int first = 0, r;

	for (size_t i = 0; i < VM_HOSTPCI_MAX; i++) {
		struct vm_hostpci *h = &c->slot[i];

		if (!c->present[i] || !h->mapping)
			continue;
		if (!node) {
			r = vm_node_name(c->ctx, &node);
			if (r < 0)
				return r;
			cfg = igd_path(c->ctx, PCI_CFG);
			if (!cfg)
				return oom(c->ctx);
		}
		r = vm_mapping_resolve_alts(c->ctx, cfg, node, h->mapping, &h->addrs, &h->n_addrs,
					    &h->alt_ends, &h->n_alts);
		if (r < 0 && !first)
			first = r;
	}
	return first;
}

static int conf_finish(struct conf_reader *c, uint32_t vmid, struct vm_config *ret)
{
	struct vm_hostpci *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < VM_HOSTPCI_MAX; i++)
		n += c->present[i];
	if (n > 0) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return oom(c->ctx);
	}
	n = 0;
	for (size_t i = 0; i < VM_HOSTPCI_MAX; i++) {
		if (!c->present[i])
			continue;
		v[n++] = c->slot[i];
		c->slot[i] = (struct vm_hostpci){};
		c->present[i] = false;
	}
	*ret = (struct vm_config){
		.vmid = vmid,
		.hostpci = v,
		.n_hostpci = n,
		.machine = TAKE_PTR(c->machine),
		.vga = TAKE_PTR(c->vga),
		.vga_raw = TAKE_PTR(c->vga_raw),
		.is_template = c->is_template,
	};
	return 0;
}

int vm_config_read(const struct igd_ctx *ctx, uint32_t vmid, struct vm_config *ret)
{
	_cleanup_(conf_reader_done) struct conf_reader c = { .ctx = ctx };
	_cleanup_(fclosep) FILE *f = NULL;
	int r;

	c.path = igd_path(ctx, "/etc/pve/qemu-server/%" PRIu32 ".conf", vmid);
	if (!c.path)
		return oom(ctx);
	f = fopen(c.path, "re");
	if (!f)
		return igd_log_errno(ctx, LOG_ERR, errno, "VM %" PRIu32 ": cannot open %s: %m", vmid,
				     c.path);
	r = read_lines(ctx, f, c.path, conf_line, &c);
	if (r < 0)
		return r == -ENOMEM ? oom(ctx) : r;
	if (c.error)
		return c.error;
	r = conf_resolve_mappings(&c);
	if (r < 0)
		return r;
	return conf_finish(&c, vmid, ret);
}

void vm_config_done(struct vm_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_hostpci; i++)
		vm_hostpci_done(&c->hostpci[i]);
	free(c->hostpci);
	free(c->machine);
	free(c->vga);
	free(c->vga_raw);
	*c = (struct vm_config){};
}

const struct pci_addr *vm_hostpci_alt(const struct vm_hostpci *h, size_t k, size_t *ret_n)
{
	size_t start = k ? h->alt_ends[k - 1] : 0;

	*ret_n = h->alt_ends[k] - start;
	return h->addrs + start;
}

/* ---- machine ---- */

bool vm_machine_is_q35(const char *machine)
{
	_cleanup_(freep) char *type = NULL;

	/* "pc-q35-9.2+pve1,viommu=intel": the type is the bare element or type= */
	if (!machine || prop_default_value(machine, "type", &type) < 0)
		return machine && strstr(machine, "q35");
	return type && strstr(type, "q35");
}
