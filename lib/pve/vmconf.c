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
 * - mapping=NAME is resolved through mapping/pci.cfg (vmconf_mapping.c).
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "core/fileio.h"
#include "core/macro.h"
#include "pve/vmconf.h"
#include "pve/vmconf_internal.h"

#define PCI_CFG "/etc/pve/mapping/pci.cfg"

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
	int b = vmc_parse_boolean(value);

	if (b < 0)
		return vmc_bad(what, "option '%s' is not a boolean: '%s'", key, value);
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
		if (!vmc_configid_is_valid(value))
			return vmc_bad(what, "invalid mapping name '%s'", value);
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
			return vmc_bad(what, "invalid mdev type '%s'", value);
		return string_option(value, &h->mdev);
	case HP_DRIVER:
		if (strcmp(value, "keep") != 0 && strcmp(value, "vfio") != 0)
			return vmc_bad(what, "option 'driver' is 'vfio' or 'keep', not '%s'", value);
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

	r = vmc_prop_split(part, &key, &value, what);
	if (r < 0)
		return r;
	k = key ? hostpci_key_lookup(key) : HP_HOST;
	if (k == HP_UNKNOWN)
		return 0;
	if (*seen & (1u << k))
		return vmc_bad(what, "option '%s' given twice", hostpci_keys[k]);
	*seen |= 1u << k;
	return hostpci_option(h, k, value, host, what);
}

/* vm_hostpci_parse, with the reason for -EBADMSG in *what (malloc'd). */
static int hostpci_parse(const char *value, struct vm_hostpci *ret, char **what)
{
	_cleanup_(vm_hostpci_done) struct vm_hostpci h = { .rombar = -1 };
	_cleanup_(vmc_addr_vec_done) struct vmc_addr_vec addrs = {};
	_cleanup_(freep) char *copy = NULL;
	const char *host = NULL;
	char *cursor, *part;
	unsigned seen = 0;
	int r;

	if (!value || vmc_is_blank(value))
		return vmc_bad(what, "empty value");
	copy = cursor = strdup(value);
	if (!copy)
		return -ENOMEM;
	while ((part = vmc_prop_next(&cursor))) {
		r = hostpci_part(&h, part, &seen, &host, what);
		if (r < 0)
			return r;
	}
	if (host && h.mapping)
		return vmc_bad(what, "both host and mapping are set");
	if (!host && !h.mapping)
		return vmc_bad(what, "neither host nor mapping is set");
	if (host) {
		r = vmc_addr_vec_parse(host, &addrs, what);
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
	free(h->alt_iommugroup);
	free(h->mapping);
	free(h->mdev);
	free(h->romfile);
	*h = (struct vm_hostpci){ .rombar = -1 };
}

/* ---- the VM config ---- */

struct conf_reader {
	const struct igd_ctx *ctx;
	char *path;
	unsigned line;
	int error; /* the first -EBADMSG, once every line was looked at */
	struct vm_hostpci slot[VM_HOSTPCI_MAX];
	bool present[VM_HOSTPCI_MAX];
	char *machine, *vga, *vga_raw, *hookscript;
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
	free(c->hookscript);
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

	/*
	 * qemu-server starts the VM without it: parse_vm_config's "key: value"
	 * pattern wants a value (else it warns and skips the line), and
	 * parse_hostpci returns nothing for an empty one. Refusing the start
	 * here would refuse what Proxmox allows; an earlier line of the key stays.
	 */
	if (vmc_is_blank(value)) {
		igd_log(c->ctx, LOG_WARNING, "%s:%u: ignoring %s without a value; Proxmox starts the VM without it",
			c->path, c->line, key);
		return 0;
	}
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
	if (strcmp(key, "hookscript") == 0 && *value)
		return string_option(value, &c->hookscript);
	if (strcmp(key, "vga") == 0 && *value) {
		free(c->vga);
		c->vga = NULL;
		if (string_option(value, &c->vga_raw) < 0)
			return -ENOMEM;
		return vmc_prop_default_value(value, "type", &c->vga);
	}
	if (strcmp(key, "template") == 0) {
		int b = vmc_parse_boolean(value);

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
	vmc_rstrip(line);
	if (line[0] == '\0' || vmc_is_blank(line) || line[0] == '#')
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
				return vmc_oom(c->ctx);
		}
		r = vm_mapping_resolve_alts(c->ctx, cfg, node, h->mapping, &h->addrs, &h->n_addrs,
					    &h->alt_ends, &h->alt_iommugroup, &h->n_alts);
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
			return vmc_oom(c->ctx);
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
		.hookscript = TAKE_PTR(c->hookscript),
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
		return vmc_oom(ctx);
	/* pmxcfs has no symlinks but its own (qemu-server/ is one, a directory): refuse one here */
	r = file_open_regular(c.path, FILE_NOFOLLOW, &f, NULL);
	if (r < 0) {
		log_error(ctx, "VM %" PRIu32 ": cannot open %s: %s", vmid, c.path, file_strerror(r));
		return r;
	}
	r = vmc_read_lines(ctx, f, c.path, conf_line, &c);
	if (r < 0)
		return r == -ENOMEM ? vmc_oom(ctx) : r;
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
	free(c->hookscript);
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
	if (!machine || vmc_prop_default_value(machine, "type", &type) < 0)
		return machine && strstr(machine, "q35");
	return type && strstr(type, "q35");
}
