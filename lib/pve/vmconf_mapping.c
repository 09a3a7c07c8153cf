/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PCI mappings, read the way pve-guest-common reads them, and this
 * node's name as they name it.
 *
 * mapping/pci.cfg (SectionConfig without a type): "ID" on a line of its own
 * starts a section, its properties follow as indented "key value" lines up
 * to the next empty line; lines starting with optional whitespace and '#'
 * are comments; "map" repeats. A later section with the same ID wins. Each
 * map is a property string; those whose node= is this node count, in
 * order: each is one alternative (qemu-server's parse_hostpci), whose path
 * may list several addresses joined by ';', passed together.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/fileio.h"
#include "core/macro.h"
#include "core/parse.h"
#include "core/sysfs.h"
#include "pve/vmconf.h"
#include "pve/vmconf_internal.h"

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
	/* links followed (a host may link it), but a FIFO there must not block */
	r = file_read_line(path, 0, &line);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		igd_log(ctx, r == -ENOENT || r == -ENODATA ? LOG_DEBUG : LOG_WARNING,
			"Cannot read %s (%s), using uname's node name", path, file_strerror(r));
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
		return vmc_oom(ctx);
	if (!node) {
		if (uname(&u) < 0)
			return igd_log_errno(ctx, LOG_ERR, errno, "uname failed: %m");
		if (first_label(u.nodename, &node) < 0)
			return vmc_oom(ctx);
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
	struct vmc_addr_vec addrs;
	size_t *ends; /* one per map line for node: where its path ends in addrs */
	int *groups;  /* ... and its iommugroup=, or -1 */
	size_t n_ends;
};

static void map_reader_reset(struct map_reader *m)
{
	vmc_addr_vec_done(&m->addrs);
	free(m->ends);
	free(m->groups);
	m->ends = NULL;
	m->groups = NULL;
	m->n_ends = 0;
}

/* An iommugroup= value: a decimal integer. */
static int parse_group(const char *v, int *ret, char **what)
{
	if (safe_atoi(v, ret) < 0)
		return vmc_bad(what, "invalid iommugroup '%s'", v);
	return 0;
}

/* "node=pve,path=0000:00:1f.3,id=8086:a348,iommugroup=7,..." -> node, path (pointing into value), group. */
static int map_entry_split(char *value, const char **ret_node, const char **ret_path, int *ret_group,
			   char **what)
{
	const char *node = NULL, *path = NULL;
	char *cursor = value, *part, *key = NULL, *v = NULL;
	int r;

	while ((part = vmc_prop_next(&cursor))) {
		r = vmc_prop_split(part, &key, &v, what);
		if (r < 0)
			return r;
		if (!key)
			return vmc_bad(what, "value without a key: '%s'", v);
		if (strcmp(key, "node") == 0 || strcmp(key, "path") == 0) {
			const char **slot = key[0] == 'n' ? &node : &path;

			if (*slot)
				return vmc_bad(what, "option '%s' given twice", key);
			*slot = v;
		} else if (strcmp(key, "iommugroup") == 0) {
			r = parse_group(v, ret_group, what);
			if (r < 0)
				return r;
		}
	}
	if (!node)
		return vmc_bad(what, "no node=");
	if (!path)
		return vmc_bad(what, "no path=");
	*ret_node = node;
	*ret_path = path;
	return 0;
}

/* A map line of the wanted mapping: its path, when its node is ours. */
static int map_entry(struct map_reader *m, char *value, char **what)
{
	_cleanup_(vmc_addr_vec_done) struct vmc_addr_vec addrs = {};
	const char *node = NULL, *path = NULL;
	size_t *ends;
	int *groups, group = -1, r;

	r = map_entry_split(value, &node, &path, &group, what);
	if (r < 0)
		return r;
	if (strcmp(node, m->node) != 0)
		return 0;
	r = vmc_addr_vec_parse(path, &addrs, what);
	if (r < 0)
		return r;
	ends = reallocarray(m->ends, m->n_ends + 1, sizeof(*ends));
	if (!ends)
		return -ENOMEM;
	m->ends = ends;
	groups = reallocarray(m->groups, m->n_ends + 1, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	m->groups = groups;
	r = vmc_addr_vec_append(&m->addrs, &addrs);
	if (r < 0)
		return r;
	m->groups[m->n_ends] = group;
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
	m->wanted = vmc_configid_is_valid(line) && strcmp(line, m->name) == 0;
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
		vmc_rstrip(line);
		map_header(m, line);
		return 0;
	}
	if (line[0] == '\0') {
		/* only an empty line ends a section: SectionConfig's "while ($line = ...)" */
		m->in_section = m->wanted = false;
		return 0;
	}
	vmc_rstrip(line);
	if (line[0] != '\0' && !isspace((unsigned char)line[0])) {
		igd_log(m->ctx, LOG_WARNING,
			"%s:%u: ignoring '%s': a mapping starts only after an empty line", m->path,
			m->line, line);
		return 0;
	}
	if (!m->wanted || vmc_is_blank(line))
		return 0;
	return map_property(m, line);
}

int vm_mapping_resolve(const struct igd_ctx *ctx, const char *cfg_path, const char *node,
		       const char *name, struct pci_addr **ret, size_t *ret_n)
{
	_cleanup_(freep) size_t *ends = NULL;
	size_t n_alts;

	_cleanup_(freep) int *groups = NULL;

	return vm_mapping_resolve_alts(ctx, cfg_path, node, name, ret, ret_n, &ends, &groups, &n_alts);
}

int vm_mapping_resolve_alts(const struct igd_ctx *ctx, const char *cfg_path, const char *node,
			    const char *name, struct pci_addr **ret, size_t *ret_n, size_t **ret_ends,
			    int **ret_groups, size_t *ret_n_alts)
{
	_cleanup_(fclosep) FILE *f = NULL;
	struct map_reader m = { .ctx = ctx, .path = cfg_path, .node = node, .name = name };
	int r;

	r = file_open_regular(cfg_path, FILE_NOFOLLOW, &f, NULL);
	if (r < 0 && r != -ENOENT) {
		log_error(ctx, "mapping '%s': cannot open %s: %s", name, cfg_path, file_strerror(r));
		return r;
	}
	if (f) {
		r = vmc_read_lines(ctx, f, cfg_path, map_line, &m);
		if (r == -ENOMEM)
			r = vmc_oom(ctx);
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
	*ret_groups = m.groups;
	*ret_n_alts = m.n_ends;
	return 0;
}
