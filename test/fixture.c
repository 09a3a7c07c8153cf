/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Builds a fake root from a topology text (format in fixture.h). The text is
 * parsed completely first (so that lines may refer to later lines: a parent
 * bridge, a slave, a bridge master), then written out. Write errors are kept
 * in fx->err and turn every later write into a no-op: the builder returns the
 * first one instead of checking each of the many small writes.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/pci_addr.h"
#include "fixture.h"

struct fx_words {
	char **v;
	size_t n;
};

struct fx_dev {
	unsigned line;
	struct pci_addr addr;
	char name[PCI_ADDR_STRLEN];
	unsigned vendor, device, sub_vendor, sub_device, class_code, rev, irq;
	int group; /* -1: none */
	int secbus; /* -1: not given */
	bool bridge;
	char *driver, *parent;
	char *dir; /* root-relative, filled on demand by dev_dir() */
};

struct fx_net {
	unsigned line;
	char *name, *dev, *sub, *state, *master;
	bool virt;
	unsigned flags;
	int carrier; /* -1: no carrier file */
	char *dir;
};

struct fx_blk {
	unsigned line;
	char *name, *dev, *parent, *sub;
	bool virt;
	struct fx_words slaves;
	char *dir;
};

struct fx_name {
	unsigned line;
	unsigned vendor;
	int device; /* -1: the vendor line itself */
	char *text;
};

/* link (path, target), module (name, driver), file (path, text), mount (mounts line, mountinfo
 * line), swap (line, NULL), udev (block name, record) */
struct fx_pair {
	unsigned line;
	char *a, *b;
};

struct fx {
	const char *root, *source;
	int err; /* first write error; later writes are skipped */
	bool noiommu;
	char *cmdline;
	struct fx_dev *devs;
	size_t n_devs;
	struct fx_net *nets;
	size_t n_nets;
	struct fx_blk *blks;
	size_t n_blks;
	struct fx_name *names;
	size_t n_names;
	struct fx_pair *links, *modules, *drivers, *files, *mounts, *swaps, *udevs;
	size_t n_links, n_modules, n_drivers, n_files, n_mounts, n_swaps, n_udevs;
};

/*
 * Failing: the message goes to stderr and to Check. Inside a Check test that
 * fails the test; outside one (mkfixture, the simulated binary) Check cannot
 * report it and exits. No ck_assert on success paths either: a passing
 * ck_assert also talks to the test runner, which does not exist there.
 */
__attribute__((noreturn)) static void fx_die(const char *msg)
{
	fprintf(stderr, "fixture: %s\n", msg);
	ck_abort_msg("%s", msg);
}

static void fx_need(bool ok)
{
	if (!ok)
		fx_die("out of memory");
}

/* Appends a zeroed element to a dynamic array and returns a pointer to it. */
#define FX_PUSH(arr, n)                                                                            \
	({                                                                                         \
		(arr) = reallocarray((arr), (n) + 1, sizeof(*(arr)));                              \
		fx_need((arr) != NULL);                                                            \
		memset(&(arr)[n], 0, sizeof(*(arr)));                                              \
		&(arr)[(n)++];                                                                     \
	})

_printf_(1, 2) static char *fx_fmt(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	fx_need(r >= 0);
	return s;
}

static char *fx_strdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	fx_need(!s || d);
	return d;
}

_printf_(3, 4) __attribute__((noreturn)) static void fx_fail(const struct fx *fx, unsigned line,
							     const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL, *full = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (asprintf(&full, "%s:%u: %s", fx->source, line, msg ? msg : "(out of memory)") < 0)
		full = NULL;
	fx_die(full ? full : "(out of memory)");
}

static void words_free(struct fx_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (struct fx_words){};
}

static void fx_free(struct fx *fx)
{
	for (size_t i = 0; i < fx->n_devs; i++) {
		free(fx->devs[i].driver);
		free(fx->devs[i].parent);
		free(fx->devs[i].dir);
	}
	for (size_t i = 0; i < fx->n_nets; i++) {
		struct fx_net *n = &fx->nets[i];
		free(n->name), free(n->dev), free(n->sub), free(n->state), free(n->master), free(n->dir);
	}
	for (size_t i = 0; i < fx->n_blks; i++) {
		struct fx_blk *b = &fx->blks[i];
		free(b->name), free(b->dev), free(b->parent), free(b->sub), free(b->dir);
		words_free(&b->slaves);
	}
	for (size_t i = 0; i < fx->n_names; i++)
		free(fx->names[i].text);
	struct {
		struct fx_pair *v;
		size_t n;
	} pairs[] = {
		{ fx->links, fx->n_links },	{ fx->modules, fx->n_modules }, { fx->drivers, fx->n_drivers },
		{ fx->files, fx->n_files },	{ fx->mounts, fx->n_mounts },	{ fx->swaps, fx->n_swaps },
		{ fx->udevs, fx->n_udevs },
	};
	for (size_t k = 0; k < ELEMENTSOF(pairs); k++) {
		for (size_t i = 0; i < pairs[k].n; i++)
			free(pairs[k].v[i].a), free(pairs[k].v[i].b);
		free(pairs[k].v);
	}
	free(fx->devs), free(fx->nets), free(fx->blks), free(fx->names), free(fx->cmdline);
}

/* ---- Tokens and values ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void split_words(const struct fx *fx, unsigned line, const char *s, struct fx_words *w)
{
	for (;;) {
		size_t len;

		while (is_blank(*s))
			s++;
		if (*s == '\0' || *s == '#')
			return;
		if (*s == '"') {
			const char *end = strchr(s + 1, '"');

			if (!end)
				fx_fail(fx, line, "unterminated quote");
			if (end[1] != '\0' && !is_blank(end[1]))
				fx_fail(fx, line, "text right after a closing quote");
			*FX_PUSH(w->v, w->n) = strndup(s + 1, (size_t)(end - s - 1));
			s = end + 1;
		} else {
			len = strcspn(s, " \t\r");
			*FX_PUSH(w->v, w->n) = strndup(s, len);
			s += len;
		}
		fx_need(w->v[w->n - 1] != NULL);
	}
}

/* words[from..] joined by single blanks, or NULL when there are none. */
static char *join_words(const struct fx_words *w, size_t from)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	if (from >= w->n)
		return NULL;
	f = open_memstream(&s, &len);
	fx_need(f != NULL);
	for (size_t i = from; i < w->n; i++)
		fprintf(f, "%s%s", i > from ? " " : "", w->v[i]);
	fx_need(fclose(f) == 0);
	return s;
}

static unsigned parse_hex(const struct fx *fx, unsigned line, const char *what, const char *s,
			  unsigned max_digits)
{
	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	if (*s == '\0' || strlen(s) > max_digits || strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		fx_fail(fx, line, "bad %s '%s' (up to %u hex digits)", what, s, max_digits);
	return (unsigned)strtoul(s, NULL, 16);
}

static unsigned parse_uint(const struct fx *fx, unsigned line, const char *what, const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > INT_MAX)
		fx_fail(fx, line, "bad %s '%s' (a decimal number)", what, s);
	return (unsigned)v;
}

static void parse_id_pair(const struct fx *fx, unsigned line, const char *s, unsigned *v, unsigned *d)
{
	if (strlen(s) != 9 || s[4] != ':')
		fx_fail(fx, line, "bad id '%s' (VVVV:DDDD)", s);
	_cleanup_(freep) char *vs = strndup(s, 4);
	fx_need(vs != NULL);
	*v = parse_hex(fx, line, "vendor id", vs, 4);
	*d = parse_hex(fx, line, "device id", s + 5, 4);
}

static char *parse_addr(const struct fx *fx, unsigned line, const char *s, struct pci_addr *ret)
{
	struct pci_addr a;

	if (pci_addr_parse(s, 0, &a) < 0)
		fx_fail(fx, line, "bad PCI address '%s'", s);
	if (ret)
		*ret = a;
	return fx_strdup(PCI_ADDR_STR(&a));
}

static void check_name(const struct fx *fx, unsigned line, const char *s)
{
	if (!*s || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		fx_fail(fx, line, "bad name '%s' (one path component)", s);
}

/* An absolute path inside the root; returns it without the leading '/'. */
static char *parse_path(const struct fx *fx, unsigned line, const char *s)
{
	if (s[0] != '/' || s[1] == '\0')
		fx_fail(fx, line, "bad path '%s' (absolute, inside the root)", s);
	for (const char *p = s; (p = strstr(p, "..")); p += 2)
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
			fx_fail(fx, line, "path '%s' leaves the root", s);
	while (*s == '/')
		s++;
	return fx_strdup(s);
}

/* A relative path below a device directory (sub=). */
static char *parse_sub(const struct fx *fx, unsigned line, const char *s)
{
	_cleanup_(freep) char *abs = fx_fmt("/%s", s);

	if (s[0] == '/')
		fx_fail(fx, line, "sub= is relative to the device directory");
	return parse_path(fx, line, abs);
}

/* Splits "key=value" in place; value is NULL for a bare key. */
static char *opt_split(char *word)
{
	char *eq = strchr(word, '=');

	if (!eq)
		return NULL;
	*eq = '\0';
	return eq + 1;
}

static void need_value(const struct fx *fx, unsigned line, const char *key, const char *value)
{
	if (!value || !*value)
		fx_fail(fx, line, "%s= needs a value", key);
}

/* ---- Directives ---- */

static struct fx_dev *find_dev(struct fx *fx, const char *name)
{
	for (size_t i = 0; i < fx->n_devs; i++)
		if (strcmp(fx->devs[i].name, name) == 0)
			return &fx->devs[i];
	return NULL;
}

static void parse_device(struct fx *fx, unsigned line, struct fx_words *w)
{
	struct fx_dev *d;
	struct pci_addr a;

	if (w->n < 3)
		fx_fail(fx, line, "device ADDR VVVV:DDDD [options]");
	_cleanup_(freep) char *name = parse_addr(fx, line, w->v[1], &a);
	if (find_dev(fx, name))
		fx_fail(fx, line, "device %s declared twice", name);
	d = FX_PUSH(fx->devs, fx->n_devs);
	d->line = line;
	d->addr = a;
	strcpy(d->name, name);
	d->group = d->secbus = -1;
	parse_id_pair(fx, line, w->v[2], &d->vendor, &d->device);
	for (size_t i = 3; i < w->n; i++) {
		char *k = w->v[i], *v = opt_split(k);

		if (strcmp(k, "bridge") == 0) {
			d->bridge = true;
			if (v)
				d->secbus = (int)parse_hex(fx, line, "secondary bus", v, 2);
			continue;
		}
		need_value(fx, line, k, v);
		if (strcmp(k, "sub") == 0)
			parse_id_pair(fx, line, v, &d->sub_vendor, &d->sub_device);
		else if (strcmp(k, "class") == 0)
			d->class_code = parse_hex(fx, line, "class", v, 6);
		else if (strcmp(k, "rev") == 0)
			d->rev = parse_hex(fx, line, "revision", v, 2);
		else if (strcmp(k, "irq") == 0)
			d->irq = parse_uint(fx, line, "irq", v);
		else if (strcmp(k, "group") == 0)
			d->group = (int)parse_uint(fx, line, "group", v);
		else if (strcmp(k, "driver") == 0) {
			check_name(fx, line, v);
			free(d->driver);
			d->driver = fx_strdup(v);
		} else if (strcmp(k, "parent") == 0) {
			free(d->parent);
			d->parent = parse_addr(fx, line, v, NULL);
		} else
			fx_fail(fx, line, "unknown device option '%s'", k);
	}
}

static void parse_name(struct fx *fx, unsigned line, struct fx_words *w, bool vendor)
{
	struct fx_name *n;
	unsigned v, d = 0;

	if (w->n < 3)
		fx_fail(fx, line, vendor ? "vendor VVVV NAME" : "name VVVV:DDDD NAME");
	if (vendor)
		v = parse_hex(fx, line, "vendor id", w->v[1], 4);
	else
		parse_id_pair(fx, line, w->v[1], &v, &d);
	for (size_t i = 0; i < fx->n_names; i++)
		if (fx->names[i].vendor == v && fx->names[i].device == (vendor ? -1 : (int)d))
			fx_fail(fx, line, "%s %s named twice", vendor ? "vendor" : "device", w->v[1]);
	n = FX_PUSH(fx->names, fx->n_names);
	n->line = line;
	n->vendor = v;
	n->device = vendor ? -1 : (int)d;
	n->text = join_words(w, 2);
}

static void parse_net(struct fx *fx, unsigned line, struct fx_words *w)
{
	struct fx_net *n;
	const char *flags = NULL, *carrier = NULL;

	if (w->n < 3)
		fx_fail(fx, line, "net NAME (dev=ADDR | virtual) [options]");
	check_name(fx, line, w->v[1]);
	n = FX_PUSH(fx->nets, fx->n_nets);
	n->line = line;
	n->name = fx_strdup(w->v[1]);
	n->state = fx_strdup("up");
	for (size_t i = 2; i < w->n; i++) {
		char *k = w->v[i], *v = opt_split(k);

		if (strcmp(k, "virtual") == 0 && !v) {
			n->virt = true;
			continue;
		}
		need_value(fx, line, k, v);
		if (strcmp(k, "dev") == 0)
			n->dev = parse_addr(fx, line, v, NULL);
		else if (strcmp(k, "sub") == 0)
			n->sub = parse_sub(fx, line, v);
		else if (strcmp(k, "state") == 0) {
			free(n->state);
			n->state = fx_strdup(v);
		} else if (strcmp(k, "flags") == 0)
			flags = v;
		else if (strcmp(k, "carrier") == 0)
			carrier = v;
		else if (strcmp(k, "master") == 0) {
			check_name(fx, line, v);
			n->master = fx_strdup(v);
		} else
			fx_fail(fx, line, "unknown net option '%s'", k);
	}
	if (!n->dev == !n->virt)
		fx_fail(fx, line, "net %s needs exactly one of dev= and virtual", n->name);
	if (n->sub && !n->dev)
		fx_fail(fx, line, "sub= needs dev=");

	/* Defaults as the kernel shows them for such a link. */
	if (strcmp(n->state, "up") == 0)
		n->flags = 0x1003, n->carrier = 1;
	else if (strcmp(n->state, "down") == 0)
		n->flags = 0x1002, n->carrier = -1;
	else
		n->flags = 0x9, n->carrier = 1;
	if (flags)
		n->flags = parse_hex(fx, line, "flags", flags, 8);
	if (carrier && strcmp(carrier, "none") == 0)
		n->carrier = -1;
	else if (carrier && (strcmp(carrier, "0") == 0 || strcmp(carrier, "1") == 0))
		n->carrier = carrier[0] - '0';
	else if (carrier)
		fx_fail(fx, line, "carrier=0, 1 or none");
}

static void parse_block(struct fx *fx, unsigned line, struct fx_words *w)
{
	struct fx_blk *b;

	if (w->n < 3)
		fx_fail(fx, line, "block NAME (dev=ADDR | parent=DISK | virtual) [options]");
	check_name(fx, line, w->v[1]);
	b = FX_PUSH(fx->blks, fx->n_blks);
	b->line = line;
	b->name = fx_strdup(w->v[1]);
	for (size_t i = 2; i < w->n; i++) {
		char *k = w->v[i], *v = opt_split(k);

		if (strcmp(k, "virtual") == 0 && !v) {
			b->virt = true;
			continue;
		}
		need_value(fx, line, k, v);
		if (strcmp(k, "dev") == 0)
			b->dev = parse_addr(fx, line, v, NULL);
		else if (strcmp(k, "parent") == 0) {
			check_name(fx, line, v);
			b->parent = fx_strdup(v);
		} else if (strcmp(k, "sub") == 0)
			b->sub = parse_sub(fx, line, v);
		else if (strcmp(k, "slaves") == 0) {
			for (char *s = v, *save = NULL, *t; (t = strtok_r(s, ",", &save)); s = NULL) {
				check_name(fx, line, t);
				*FX_PUSH(b->slaves.v, b->slaves.n) = fx_strdup(t);
			}
		} else
			fx_fail(fx, line, "unknown block option '%s'", k);
	}
	if (!!b->dev + !!b->parent + b->virt != 1)
		fx_fail(fx, line, "block %s needs exactly one of dev=, parent= and virtual", b->name);
	if (b->sub && !b->dev)
		fx_fail(fx, line, "sub= needs dev=");
}

static void parse_pair(struct fx *fx, unsigned line, struct fx_words *w, const char *d)
{
	struct fx_pair *p;

	if (strcmp(d, "link") == 0) {
		if (w->n != 3)
			fx_fail(fx, line, "link PATH TARGET");
		p = FX_PUSH(fx->links, fx->n_links);
		p->a = parse_path(fx, line, w->v[1]);
		p->b = fx_strdup(w->v[2]);
	} else if (strcmp(d, "file") == 0) {
		if (w->n < 2)
			fx_fail(fx, line, "file PATH [TEXT...]");
		p = FX_PUSH(fx->files, fx->n_files);
		p->a = parse_path(fx, line, w->v[1]);
		p->b = join_words(w, 2);
	} else if (strcmp(d, "module") == 0) {
		if (w->n < 2 || w->n > 3)
			fx_fail(fx, line, "module NAME [driver=DRV]");
		check_name(fx, line, w->v[1]);
		p = FX_PUSH(fx->modules, fx->n_modules);
		p->a = fx_strdup(w->v[1]);
		if (w->n == 3) {
			char *v = opt_split(w->v[2]);

			if (strcmp(w->v[2], "driver") != 0 || !v)
				fx_fail(fx, line, "module NAME [driver=DRV]");
			check_name(fx, line, v);
			p->b = fx_strdup(v);
		} else if (strcmp(p->a, "vfio_pci") == 0)
			p->b = fx_strdup("vfio-pci");
	} else if (strcmp(d, "driver") == 0) {
		if (w->n != 2)
			fx_fail(fx, line, "driver NAME");
		check_name(fx, line, w->v[1]);
		p = FX_PUSH(fx->drivers, fx->n_drivers);
		p->a = fx_strdup(w->v[1]);
	} else if (strcmp(d, "mount") == 0) {
		/* an anonymous device number (as btrfs, ZFS, tmpfs have) unless dev= is given */
		_cleanup_(freep) char *devnum = fx_fmt("0:%u", 1000 + line);
		size_t n = w->n;
		unsigned maj, min;
		char end;

		if (n > 3 && strncmp(w->v[n - 1], "dev=", 4) == 0) {
			if (sscanf(w->v[n - 1] + 4, "%u:%u%c", &maj, &min, &end) != 2)
				fx_fail(fx, line, "mount dev= wants MAJOR:MINOR");
			free(devnum);
			devnum = fx_strdup(w->v[n - 1] + 4);
			n--;
		}
		if (n < 3 || n > 5)
			fx_fail(fx, line, "mount SOURCE MOUNTPOINT [FSTYPE [OPTIONS]] [dev=MAJ:MIN]");
		p = FX_PUSH(fx->mounts, fx->n_mounts);
		p->a = fx_fmt("%s %s %s %s 0 0\n", w->v[1], w->v[2], n > 3 ? w->v[3] : "ext4",
			      n > 4 ? w->v[4] : "rw,relatime");
		p->b = fx_fmt("%u 1 %s / %s %s shared:1 - %s %s rw\n", 100 + line, devnum, w->v[2],
			      n > 4 ? w->v[4] : "rw,relatime", n > 3 ? w->v[3] : "ext4", w->v[1]);
	} else if (strcmp(d, "udev") == 0) {
		if (w->n < 2)
			fx_fail(fx, line, "udev NAME KEY=VALUE...");
		check_name(fx, line, w->v[1]);
		p = FX_PUSH(fx->udevs, fx->n_udevs);
		p->a = fx_strdup(w->v[1]);
		p->b = fx_strdup("");
		for (size_t i = 2; i < w->n; i++) {
			char *t = fx_fmt("%sE:%s\n", p->b, w->v[i]);

			if (!strchr(w->v[i], '='))
				fx_fail(fx, line, "udev %s: '%s' is not KEY=VALUE", w->v[1], w->v[i]);
			free(p->b);
			p->b = t;
		}
	} else { /* swap */
		const char *type;

		if (w->n < 2 || w->n > 3)
			fx_fail(fx, line, "swap SOURCE [partition|file]");
		type = w->n == 3 ? w->v[2] : strncmp(w->v[1], "/dev/", 5) == 0 ? "partition" : "file";
		if (strcmp(type, "partition") != 0 && strcmp(type, "file") != 0)
			fx_fail(fx, line, "swap type is partition or file");
		p = FX_PUSH(fx->swaps, fx->n_swaps);
		p->a = fx_fmt("%-40s%s\t8388604\t\t0\t\t-2\n", w->v[1], type);
	}
	p->line = line;
}

static void parse_line(struct fx *fx, unsigned line, const char *text)
{
	struct fx_words w = {};
	const char *d;

	split_words(fx, line, text, &w);
	if (w.n == 0)
		return;
	d = w.v[0];
	if (strcmp(d, "device") == 0)
		parse_device(fx, line, &w);
	else if (strcmp(d, "vendor") == 0 || strcmp(d, "name") == 0)
		parse_name(fx, line, &w, d[0] == 'v');
	else if (strcmp(d, "net") == 0)
		parse_net(fx, line, &w);
	else if (strcmp(d, "block") == 0)
		parse_block(fx, line, &w);
	else if (strcmp(d, "cmdline") == 0) {
		free(fx->cmdline);
		fx->cmdline = join_words(&w, 1);
		if (!fx->cmdline)
			fx->cmdline = fx_strdup("");
	} else if (strcmp(d, "noiommu") == 0 && w.n == 1)
		fx->noiommu = true;
	else if (strcmp(d, "link") == 0 || strcmp(d, "file") == 0 || strcmp(d, "module") == 0 ||
		 strcmp(d, "driver") == 0 || strcmp(d, "mount") == 0 || strcmp(d, "swap") == 0 ||
		 strcmp(d, "udev") == 0)
		parse_pair(fx, line, &w, d);
	else
		fx_fail(fx, line, "unknown directive '%s'", d);
	words_free(&w);
}

/* ---- Writing ---- */

enum fx_mode {
	FX_REPLACE,
	FX_APPEND,
	FX_KEEP, /* create only when missing */
};

static void fx_set_err(struct fx *fx, int r)
{
	if (r < 0 && fx->err == 0)
		fx->err = r;
}

/* mkdir -p root/rel (rel may be NULL or "" for the root itself). */
static void fx_mkdir(struct fx *fx, const char *rel)
{
	_cleanup_(freep) char *p = fx_fmt("%s/%s", fx->root, rel ? rel : "");
	size_t skip = strlen(fx->root);

	if (fx->err)
		return;
	for (char *s = strchr(p + skip + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (*p && mkdir(p, 0755) < 0 && errno != EEXIST) {
			fx_set_err(fx, -errno);
			return;
		}
		if (!s)
			return;
		*s = '/';
	}
}

static char *dir_of(const char *rel)
{
	const char *slash = strrchr(rel, '/');
	char *d = slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");

	fx_need(d != NULL);
	return d;
}

static void fx_write(struct fx *fx, enum fx_mode mode, const char *rel, const void *data, size_t len)
{
	_cleanup_(freep) char *parent = dir_of(rel);
	_cleanup_(freep) char *p = fx_fmt("%s/%s", fx->root, rel);
	_cleanup_(closep) int fd = -1;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW;

	fx_mkdir(fx, parent);
	if (fx->err)
		return;
	flags |= mode == FX_APPEND ? O_APPEND : mode == FX_KEEP ? O_EXCL : O_TRUNC;
	fd = open(p, flags, 0644);
	if (fd < 0) {
		if (mode != FX_KEEP || errno != EEXIST)
			fx_set_err(fx, -errno);
		return;
	}
	if (write(fd, data, len) != (ssize_t)len)
		fx_set_err(fx, errno ? -errno : -EIO);
}

/* Writes dir/leaf (leaf may be NULL) with formatted content. */
_printf_(5, 6) static void fx_file(struct fx *fx, enum fx_mode mode, const char *dir, const char *leaf,
				   const char *fmt, ...)
{
	_cleanup_(freep) char *rel = leaf ? fx_fmt("%s/%s", dir, leaf) : fx_strdup(dir);
	_cleanup_(freep) char *content = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&content, fmt, ap);
	va_end(ap);
	fx_need(r >= 0);
	fx_write(fx, mode, rel, content, strlen(content));
}

static void fx_symlink(struct fx *fx, const char *rel, const char *target)
{
	_cleanup_(freep) char *parent = dir_of(rel);
	_cleanup_(freep) char *p = fx_fmt("%s/%s", fx->root, rel);

	fx_mkdir(fx, parent);
	if (fx->err)
		return;
	if (unlink(p) < 0 && errno != ENOENT)
		fx_set_err(fx, -errno);
	else if (symlink(target, p) < 0)
		fx_set_err(fx, -errno);
}

/* The relative path from directory from to to, both root-relative: what the kernel's links hold. */
static char *rel_path(const char *from, const char *to)
{
	_cleanup_(freep) char *ups = NULL;
	size_t n_up = 0, len = 0;
	FILE *f;

	for (;;) {
		size_t lf = strcspn(from, "/"), lt = strcspn(to, "/");

		if (lf == 0 || lf != lt || strncmp(from, to, lf) != 0 || to[lt] == '\0')
			break;
		from += lf + (from[lf] == '/');
		to += lt + 1;
	}
	if (*from)
		for (const char *s = from; s; s = strchr(s + 1, '/'))
			n_up++;
	f = open_memstream(&ups, &len);
	fx_need(f != NULL);
	for (size_t i = 0; i < n_up; i++)
		fputs("../", f);
	fputs(to, f);
	fx_need(fclose(f) == 0);
	return TAKE_PTR(ups);
}

/* A kernel-style relative link at dir/leaf pointing to the root-relative target. */
static void fx_link(struct fx *fx, const char *dir, const char *leaf, const char *target)
{
	_cleanup_(freep) char *rel = fx_fmt("%s/%s", dir, leaf);
	_cleanup_(freep) char *t = rel_path(dir, target);

	fx_symlink(fx, rel, t);
}

/* Where an object of an earlier build lives: the root-relative real path of link rel, or NULL. */
static char *existing_dir(const struct fx *fx, const char *rel)
{
	_cleanup_(freep) char *p = fx_fmt("%s/%s", fx->root, rel);
	_cleanup_(freep) char *real_root = realpath(fx->root, NULL);
	_cleanup_(freep) char *real = realpath(p, NULL);
	size_t n;

	if (!real_root || !real)
		return NULL;
	n = strlen(real_root);
	if (strncmp(real, real_root, n) != 0 || real[n] != '/')
		return NULL;
	return fx_strdup(real + n + 1);
}

/* ---- Devices ---- */

static const char *dev_dir(struct fx *fx, struct fx_dev *d, unsigned depth);

/* The directory of PCI device addr: from this text, else from an earlier build. Fails the test if unknown. */
static char *pci_dir(struct fx *fx, unsigned line, const char *addr, unsigned depth)
{
	struct fx_dev *d = find_dev(fx, addr);
	char *dir;

	if (d)
		return fx_strdup(dev_dir(fx, d, depth));
	_cleanup_(freep) char *link = fx_fmt("sys/bus/pci/devices/%s", addr);
	dir = existing_dir(fx, link);
	if (!dir)
		fx_fail(fx, line, "no PCI device %s", addr);
	return dir;
}

static const char *dev_dir(struct fx *fx, struct fx_dev *d, unsigned depth)
{
	if (d->dir)
		return d->dir;
	if (depth > 32)
		fx_fail(fx, d->line, "parent= loop at %s", d->name);
	if (d->parent) {
		_cleanup_(freep) char *p = pci_dir(fx, d->line, d->parent, depth + 1);
		d->dir = fx_fmt("%s/%s", p, d->name);
	} else
		d->dir = fx_fmt("sys/devices/pci%04x:00/%s", d->addr.domain, d->name);
	return d->dir;
}

static bool multifunction(const struct fx *fx, const struct fx_dev *d)
{
	for (size_t i = 0; i < fx->n_devs; i++) {
		const struct fx_dev *o = &fx->devs[i];

		if (o != d && o->addr.domain == d->addr.domain && o->addr.bus == d->addr.bus &&
		    o->addr.dev == d->addr.dev)
			return true;
	}
	return false;
}

/* The secondary bus of a bridge: bridge=BB, else the bus of a child; -1 if unknown. */
static int secondary_bus(const struct fx *fx, const struct fx_dev *d)
{
	if (d->secbus >= 0)
		return d->secbus;
	for (size_t i = 0; i < fx->n_devs; i++)
		if (fx->devs[i].parent && strcmp(fx->devs[i].parent, d->name) == 0)
			return fx->devs[i].addr.bus;
	return -1;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

/* The first 64 bytes of config space, as libpci reads them (header type at 0x0e). */
static void write_config(struct fx *fx, const struct fx_dev *d, const char *dir, int secbus)
{
	_cleanup_(freep) char *rel = fx_fmt("%s/config", dir);
	uint8_t c[64] = {};

	put16(c + 0x00, d->vendor);
	put16(c + 0x02, d->device);
	c[0x08] = (uint8_t)d->rev;
	c[0x09] = (uint8_t)(d->class_code & 0xff);
	c[0x0a] = (uint8_t)((d->class_code >> 8) & 0xff);
	c[0x0b] = (uint8_t)((d->class_code >> 16) & 0xff);
	/*
	 * Bit 7 on function 0 of a slot with several functions, as the lab's
	 * q35 PCH shows (LPC 0x80, the other functions 0x00) and as the boot
	 * split on the seeds' machines implies: a later function with the bit
	 * would rejoin function 0's group at the rescan.
	 */
	c[0x0e] = (uint8_t)((d->bridge ? 0x01 : 0x00) |
			    (d->addr.func == 0 && multifunction(fx, d) ? 0x80 : 0x00));
	if (d->bridge) {
		c[0x18] = d->addr.bus;
		c[0x19] = c[0x1a] = (uint8_t)(secbus < 0 ? 0 : secbus);
	} else {
		put16(c + 0x2c, d->sub_vendor);
		put16(c + 0x2e, d->sub_device);
	}
	c[0x3c] = (uint8_t)(d->irq & 0xff);
	c[0x3d] = d->irq ? 1 : 0;
	fx_write(fx, FX_REPLACE, rel, c, sizeof(c));
}

static void make_driver(struct fx *fx, const char *drv)
{
	_cleanup_(freep) char *dir = fx_fmt("sys/bus/pci/drivers/%s", drv);
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };

	fx_mkdir(fx, dir);
	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		fx_file(fx, FX_KEEP, dir, files[i], "%s", "");
}

static void build_device(struct fx *fx, struct fx_dev *d)
{
	const char *dir = dev_dir(fx, d, 0);
	int secbus = d->bridge ? secondary_bus(fx, d) : -1;
	unsigned n_res = d->bridge ? 11 : 7; /* 6 BARs + ROM, and the 4 bridge windows */

	fx_mkdir(fx, dir);
	fx_file(fx, FX_REPLACE, dir, "vendor", "0x%04x\n", d->vendor);
	fx_file(fx, FX_REPLACE, dir, "device", "0x%04x\n", d->device);
	fx_file(fx, FX_REPLACE, dir, "subsystem_vendor", "0x%04x\n", d->sub_vendor);
	fx_file(fx, FX_REPLACE, dir, "subsystem_device", "0x%04x\n", d->sub_device);
	fx_file(fx, FX_REPLACE, dir, "class", "0x%06x\n", d->class_code);
	fx_file(fx, FX_REPLACE, dir, "revision", "0x%02x\n", d->rev);
	/* the kernel's pci_uevent() format: what udev and modprobe look the drivers up by */
	fx_file(fx, FX_REPLACE, dir, "modalias", "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor,
		d->device, d->sub_vendor, d->sub_device, d->class_code >> 16, (d->class_code >> 8) & 0xff,
		d->class_code & 0xff);
	fx_file(fx, FX_REPLACE, dir, "irq", "%u\n", d->irq);
	fx_file(fx, FX_REPLACE, dir, "resource", "%s", "");
	for (unsigned i = 0; i < n_res; i++)
		fx_file(fx, FX_APPEND, dir, "resource", "%s",
			"0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
	write_config(fx, d, dir, secbus);
	fx_file(fx, FX_REPLACE, dir, "remove", "%s", "");
	fx_file(fx, FX_REPLACE, dir, "rescan", "%s", "");
	fx_file(fx, FX_REPLACE, dir, "driver_override", "(null)\n");
	fx_link(fx, dir, "subsystem", "sys/bus/pci");
	if (d->bridge) {
		_cleanup_(freep) char *bus = secbus < 0 ? fx_fmt("%s/pci_bus", dir)
							: fx_fmt("%s/pci_bus/%04x:%02x", dir, d->addr.domain,
								 (unsigned)secbus);
		fx_mkdir(fx, bus);
	}
	fx_link(fx, "sys/bus/pci/devices", d->name, dir);
	if (d->driver) {
		_cleanup_(freep) char *drv = fx_fmt("sys/bus/pci/drivers/%s", d->driver);

		make_driver(fx, d->driver);
		fx_link(fx, dir, "driver", drv);
		fx_link(fx, drv, d->name, dir);
	}
	if (d->group >= 0 && !fx->noiommu) {
		_cleanup_(freep) char *g = fx_fmt("sys/kernel/iommu_groups/%d", d->group);
		_cleanup_(freep) char *gdev = fx_fmt("%s/devices", g);

		fx_mkdir(fx, gdev);
		fx_file(fx, FX_KEEP, g, "type", "DMA\n");
		fx_link(fx, dir, "iommu_group", g);
		fx_link(fx, gdev, d->name, dir);
	}
}

/* ---- Netdevs ---- */

static struct fx_net *find_net(struct fx *fx, const char *name)
{
	for (size_t i = 0; i < fx->n_nets; i++)
		if (strcmp(fx->nets[i].name, name) == 0)
			return &fx->nets[i];
	return NULL;
}

static void place_net(struct fx *fx, struct fx_net *n)
{
	if (n->virt)
		n->dir = fx_fmt("sys/devices/virtual/net/%s", n->name);
	else {
		_cleanup_(freep) char *p = pci_dir(fx, n->line, n->dev, 0);

		n->dir = n->sub ? fx_fmt("%s/%s", p, n->sub) : fx_fmt("%s/net/%s", p, n->name);
	}
}

static void build_net(struct fx *fx, struct fx_net *n)
{
	fx_mkdir(fx, n->dir);
	fx_file(fx, FX_REPLACE, n->dir, "operstate", "%s\n", n->state);
	fx_file(fx, FX_REPLACE, n->dir, "flags", "0x%x\n", n->flags);
	if (n->carrier >= 0)
		fx_file(fx, FX_REPLACE, n->dir, "carrier", "%d\n", n->carrier);
	fx_link(fx, "sys/class/net", n->name, n->dir);
	if (n->master) {
		struct fx_net *m = find_net(fx, n->master);
		_cleanup_(freep) char *mdir = m ? fx_strdup(m->dir) : NULL;
		_cleanup_(freep) char *upper = fx_fmt("upper_%s", n->master);
		_cleanup_(freep) char *brif = NULL, *bridge = NULL;

		if (!mdir) {
			_cleanup_(freep) char *link = fx_fmt("sys/class/net/%s", n->master);
			mdir = existing_dir(fx, link);
		}
		if (!mdir)
			fx_fail(fx, n->line, "master %s is not declared", n->master);
		brif = fx_fmt("%s/brif", mdir);
		bridge = fx_fmt("%s/bridge", mdir);
		fx_link(fx, n->dir, "master", mdir);
		fx_link(fx, n->dir, upper, mdir);
		fx_mkdir(fx, bridge);
		fx_link(fx, brif, n->name, n->dir);
	}
}

/* ---- Block devices ---- */

static struct fx_blk *find_blk(struct fx *fx, const char *name)
{
	for (size_t i = 0; i < fx->n_blks; i++)
		if (strcmp(fx->blks[i].name, name) == 0)
			return &fx->blks[i];
	return NULL;
}

static const char *blk_dir(struct fx *fx, struct fx_blk *b, unsigned *n_ata, unsigned depth);

/* The directory of block device name: from this text, else from an earlier build. */
static char *blk_dir_by_name(struct fx *fx, unsigned line, const char *name, unsigned *n_ata, unsigned depth)
{
	struct fx_blk *b = find_blk(fx, name);
	char *dir;

	if (b)
		return fx_strdup(blk_dir(fx, b, n_ata, depth));
	_cleanup_(freep) char *link = fx_fmt("sys/class/block/%s", name);
	dir = existing_dir(fx, link);
	if (!dir)
		fx_fail(fx, line, "no block device %s", name);
	return dir;
}

static const char *blk_dir(struct fx *fx, struct fx_blk *b, unsigned *n_ata, unsigned depth)
{
	if (b->dir)
		return b->dir;
	if (depth > 8)
		fx_fail(fx, b->line, "parent= loop at %s", b->name);
	if (b->virt)
		b->dir = fx_fmt("sys/devices/virtual/block/%s", b->name);
	else if (b->parent) {
		_cleanup_(freep) char *p = blk_dir_by_name(fx, b->line, b->parent, n_ata, depth + 1);
		b->dir = fx_fmt("%s/%s", p, b->name);
	} else {
		_cleanup_(freep) char *p = pci_dir(fx, b->line, b->dev, 0);
		const char *ctl_end = strncmp(b->name, "nvme", 4) == 0 ? strchr(b->name + 4, 'n') : NULL;

		if (b->sub)
			b->dir = fx_fmt("%s/%s", p, b->sub);
		else if (ctl_end)
			b->dir = fx_fmt("%s/nvme/%.*s/%s", p, (int)(ctl_end - b->name), b->name, b->name);
		else {
			unsigned k = (*n_ata)++;
			b->dir = fx_fmt("%s/ata%u/host%u/target%u:0:0/%u:0:0:0/block/%s", p, k + 1, k, k, k,
					b->name);
		}
	}
	return b->dir;
}

/* Trailing digits of a partition name: sda3 -> 3, nvme0n1p2 -> 2. */
static unsigned part_number(const char *name)
{
	size_t len = strlen(name), i = len;

	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	return i < len ? (unsigned)strtoul(name + i, NULL, 10) : 1;
}

/* The device number in root/sys/class/block/<name>/dev, or false. */
static bool read_devnum(const struct fx *fx, const char *name, unsigned *major, unsigned *minor)
{
	_cleanup_(freep) char *path = fx_fmt("%s/sys/class/block/%s/dev", fx->root, name);
	_cleanup_(fclosep) FILE *f = fopen(path, "re");

	return f && fscanf(f, "%u:%u", major, minor) == 2;
}

static bool minor_taken(const struct fx *fx, unsigned major, unsigned minor)
{
	_cleanup_(freep) char *dir = fx_fmt("%s/sys/class/block", fx->root);
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;
	unsigned ma, mi;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && read_devnum(fx, de->d_name, &ma, &mi) && ma == major && mi == minor)
			return true;
	return false;
}

/*
 * A block device's minor: the one it has from an earlier build of this tree,
 * else the next one of its major that no device of the tree has, so that an
 * incremental build never gives two devices one number.
 */
static unsigned blk_minor(const struct fx *fx, const char *name, unsigned major, unsigned *next)
{
	unsigned ma, mi;

	if (read_devnum(fx, name, &ma, &mi) && ma == major)
		return mi;
	while (minor_taken(fx, major, *next))
		(*next)++;
	return (*next)++;
}

static void build_blk(struct fx *fx, struct fx_blk *b, unsigned *n_ata, unsigned minors[3])
{
	const char *dir = blk_dir(fx, b, n_ata, 0);
	_cleanup_(freep) char *holders = fx_fmt("%s/holders", dir);
	_cleanup_(freep) char *slaves = fx_fmt("%s/slaves", dir);
	_cleanup_(freep) char *devnode = fx_fmt("dev/%s", b->name);
	unsigned kind = strncmp(b->name, "dm-", 3) == 0 ? 0 : strncmp(b->name, "nvme", 4) == 0 ? 1 : 2;
	static const unsigned majors[3] = { 253, 259, 8 };

	fx_mkdir(fx, holders);
	if (b->parent)
		fx_file(fx, FX_REPLACE, dir, "partition", "%u\n", part_number(b->name));
	else
		fx_mkdir(fx, slaves);
	fx_file(fx, FX_REPLACE, dir, "dev", "%u:%u\n", majors[kind],
		blk_minor(fx, b->name, majors[kind], &minors[kind]));
	fx_link(fx, "sys/class/block", b->name, dir);
	fx_file(fx, FX_KEEP, devnode, NULL, "%s", "");
	for (size_t i = 0; i < b->slaves.n; i++) {
		_cleanup_(freep) char *s = blk_dir_by_name(fx, b->line, b->slaves.v[i], n_ata, 0);
		_cleanup_(freep) char *sh = fx_fmt("%s/holders", s);

		fx_link(fx, slaves, b->slaves.v[i], s);
		fx_link(fx, sh, b->name, dir);
	}
}

/* run/udev/data/b<MAJ:MIN> of a block device built by now (its dev attribute gives the number). */
static void build_udev(struct fx *fx, const struct fx_pair *u)
{
	_cleanup_(freep) char *path = fx_fmt("%s/sys/class/block/%s/dev", fx->root, u->a);
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	_cleanup_(freep) char *rel = NULL;
	unsigned maj, min;

	if (!f || fscanf(f, "%u:%u", &maj, &min) != 2)
		fx_fail(fx, u->line, "udev %s: no such block device", u->a);
	rel = fx_fmt("run/udev/data/b%u:%u", maj, min);
	fx_file(fx, FX_REPLACE, rel, NULL, "%s", u->b);
}

/* ---- Global files ---- */

/*
 * The class section of pci.ids ("C" lines), as the host's pci.ids has it,
 * for the classes the fixtures use: libpci names classes from it.
 */
static const char fx_pci_classes[] = "C 01  Mass storage controller\n"
				     "\t04  RAID bus controller\n"
				     "\t06  SATA controller\n"
				     "\t08  Non-Volatile memory controller\n"
				     "C 02  Network controller\n"
				     "\t00  Ethernet controller\n"
				     "\t80  Network controller\n"
				     "C 03  Display controller\n"
				     "\t00  VGA compatible controller\n"
				     "C 04  Multimedia controller\n"
				     "\t03  Audio device\n"
				     "C 05  Memory controller\n"
				     "\t00  RAM memory\n"
				     "\t80  Memory controller\n"
				     "C 06  Bridge\n"
				     "\t00  Host bridge\n"
				     "\t01  ISA bridge\n"
				     "\t04  PCI bridge\n"
				     "C 07  Communication controller\n"
				     "\t00  Serial controller\n"
				     "\t80  Communication controller\n"
				     "C 0c  Serial bus controller\n"
				     "\t03  USB controller\n"
				     "\t05  SMBus\n"
				     "\t80  Serial bus controller\n"
				     "C 11  Signal processing controller\n"
				     "\t80  Signal processing controller\n"
				     "C ff  Unassigned class\n";

static void build_skeleton(struct fx *fx)
{
	static const char *const dirs[] = {
		"sys/devices",	   "sys/bus/pci/devices",     "sys/bus/pci/drivers", "sys/bus/pci/slots",
		"sys/class/net",   "sys/class/block",	      "sys/kernel/iommu_groups",
		"sys/module",	   "dev",		      "proc",		     "usr/share/misc",
	};

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		fx_mkdir(fx, dirs[i]);
	fx_file(fx, FX_KEEP, "sys/bus/pci/rescan", NULL, "%s", "");
	fx_file(fx, FX_KEEP, "sys/bus/pci/drivers_probe", NULL, "%s", "");
	fx_file(fx, FX_KEEP, "sys/bus/pci/drivers_autoprobe", NULL, "1\n");
	fx_file(fx, FX_KEEP, "proc/mounts", NULL, "%s", "");
	fx_file(fx, FX_KEEP, "proc/self/mountinfo", NULL, "%s", "");
	fx_file(fx, FX_KEEP, "proc/swaps", NULL, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	fx_file(fx, FX_KEEP, "proc/cmdline", NULL, "\n");
	fx_file(fx, FX_KEEP, "usr/share/misc/pci.ids", NULL, "# fixture pci.ids\n%s", fx_pci_classes);
}

/* pci.ids: each vendor line followed by its device lines, in the order of the text. */
static void build_pci_ids(struct fx *fx)
{
	_cleanup_(freep) char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < fx->n_names; i++) {
		const struct fx_name *n = &fx->names[i];
		bool found = false;

		for (size_t j = 0; j < fx->n_names && !found; j++)
			found = fx->names[j].device < 0 && fx->names[j].vendor == n->vendor;
		if (!found)
			fx_fail(fx, n->line, "vendor %04x has no vendor line", n->vendor);
	}
	f = open_memstream(&buf, &len);
	fx_need(f != NULL);
	fputs("# fixture pci.ids\n", f);
	for (size_t i = 0; i < fx->n_names; i++) {
		const struct fx_name *v = &fx->names[i];

		if (v->device >= 0)
			continue;
		fprintf(f, "%04x  %s\n", v->vendor, v->text);
		for (size_t j = 0; j < fx->n_names; j++)
			if (fx->names[j].device >= 0 && fx->names[j].vendor == v->vendor)
				fprintf(f, "\t%04x  %s\n", (unsigned)fx->names[j].device, fx->names[j].text);
	}
	fputs(fx_pci_classes, f);
	fx_need(fclose(f) == 0);
	fx_write(fx, FX_REPLACE, "usr/share/misc/pci.ids", buf, len);
}

static void build(struct fx *fx)
{
	unsigned n_ata = 0, minors[3] = {};

	build_skeleton(fx);
	for (size_t i = 0; i < fx->n_devs; i++)
		build_device(fx, &fx->devs[i]);
	for (size_t i = 0; i < fx->n_drivers; i++)
		make_driver(fx, fx->drivers[i].a);
	for (size_t i = 0; i < fx->n_modules; i++) {
		_cleanup_(freep) char *m = fx_fmt("sys/module/%s", fx->modules[i].a);

		fx_mkdir(fx, m);
		if (fx->modules[i].b)
			make_driver(fx, fx->modules[i].b);
	}
	for (size_t i = 0; i < fx->n_nets; i++)
		place_net(fx, &fx->nets[i]);
	for (size_t i = 0; i < fx->n_nets; i++)
		build_net(fx, &fx->nets[i]);
	for (size_t i = 0; i < fx->n_blks; i++)
		build_blk(fx, &fx->blks[i], &n_ata, minors);
	for (size_t i = 0; i < fx->n_links; i++)
		fx_symlink(fx, fx->links[i].a, fx->links[i].b);
	for (size_t i = 0; i < fx->n_files; i++)
		fx_file(fx, FX_REPLACE, fx->files[i].a, NULL, "%s\n", fx->files[i].b ? fx->files[i].b : "");
	for (size_t i = 0; i < fx->n_mounts; i++) {
		fx_file(fx, FX_APPEND, "proc/mounts", NULL, "%s", fx->mounts[i].a);
		fx_file(fx, FX_APPEND, "proc/self/mountinfo", NULL, "%s", fx->mounts[i].b);
	}
	for (size_t i = 0; i < fx->n_udevs; i++)
		build_udev(fx, &fx->udevs[i]);
	for (size_t i = 0; i < fx->n_swaps; i++)
		fx_file(fx, FX_APPEND, "proc/swaps", NULL, "%s", fx->swaps[i].a);
	if (fx->cmdline)
		fx_file(fx, FX_REPLACE, "proc/cmdline", NULL, "%s\n", fx->cmdline);
	if (fx->n_names > 0)
		build_pci_ids(fx);
}

static int build_text(const char *root, const char *source, const char *text)
{
	_cleanup_(fx_free) struct fx fx = { .root = root, .source = source };
	_cleanup_(freep) char *copy = fx_strdup(text);
	unsigned line = 0;

	if (!root)
		fx_die("no root");
	for (char *s = copy, *l; (l = strsep(&s, "\n"));)
		parse_line(&fx, ++line, l);
	build(&fx);
	return fx.err;
}

int fixture_build(const char *root, const char *text)
{
	return build_text(root, "<fixture text>", text);
}

int fixture_build_file(const char *root, const char *topo_path)
{
	_cleanup_(fclosep) FILE *f = fopen(topo_path, "re");
	_cleanup_(freep) char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int c;

	if (!f)
		return -errno;
	mem = open_memstream(&buf, &len);
	fx_need(mem != NULL);
	while ((c = fgetc(f)) != EOF)
		fputc(c, mem);
	fx_need(fclose(mem) == 0);
	if (ferror(f))
		return -EIO;
	return build_text(root, topo_path, buf);
}

char *fixture_topo_path(const char *name)
{
	const char *src = getenv("IGD_TEST_SRCDIR");

	return fx_fmt("%s/fixtures/%s.topo", src && *src ? src : "test", name);
}

int fixture_build_named(const char *root, const char *name)
{
	_cleanup_(freep) char *p = fixture_topo_path(name);

	return fixture_build_file(root, p);
}
