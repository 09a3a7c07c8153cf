/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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
#include "sim.h"
#include "testutil.h"

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

enum { MAX_THREADS = 64 };

struct fault {
	char op[16];
	bool any;
	char addr[PCI_ADDR_STRLEN];
	int err;   /* errno; -1: short write; 0: a behaviour (gone, slow, ...) */
	int count; /* < 0: always */
	unsigned ms;
	char arg[64]; /* take@ADDR=DRIVER: the driver */
};

/* A dynamic id (new_id, or vfio-pci's ids=): driver DRV also matches VVVV:DDDD. */
struct dynid {
	char driver[64];
	char id[10];
};

static struct {
	bool active;
	char *root;
	char *topo; /* the hardware: the topology text */
	struct fault *faults;
	size_t n_faults;
	unsigned counts[8];
	unsigned queued_binds; /* override/unbind/probe writes while run/udev/queue existed */
	unsigned queue_ms;     /* sim_udev_queue_busy(ms > 0): the queue goes ms after the next rescan */
	char **drivers;        /* registration order */
	size_t n_drivers;
	struct dynid *dynids;
	size_t n_dynids;
	pthread_mutex_t lock;
	pthread_t threads[MAX_THREADS];
	size_t n_threads;
	int next_ifindex;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const ops[] = { "remove", "rescan", "override", "unbind",
				   "probe",  "autoprobe", "new_id", NULL };

/* While the model itself writes the tree, writes go straight through. */
static __thread int in_model;

static char *sfmt(const char *fmt, ...) _printf_(1, 2);
static char *sfmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static char *rootp(const char *rel)
{
	return sfmt("%s/%s", S.root, rel);
}

static void put_file(const char *rel, const char *content)
{
	_cleanup_(freep) char *p = rootp(rel);
	FILE *f;

	in_model++;
	f = fopen(p, "we");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
	in_model--;
}

static char *get_line(const char *path)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f || getline(&line, &cap, f) < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static char *link_name(const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	return strdup(b ? b + 1 : buf);
}

/* ---- faults ---- */

static const struct fault *fault_find(const char *op, const char *addr)
{
	for (size_t i = 0; i < S.n_faults; i++) {
		struct fault *f = &S.faults[i];

		if (strcmp(f->op, op) != 0 || f->count == 0)
			continue;
		if (!f->any && (!addr || strcmp(f->addr, addr) != 0))
			continue;
		if (f->count > 0)
			f->count--;
		return f;
	}
	return NULL;
}

/* A behaviour fault without a count (gone, slow, ...) is looked at, not used up. */
static const struct fault *behaviour(const char *op, const char *addr)
{
	for (size_t i = 0; i < S.n_faults; i++)
		if (strcmp(S.faults[i].op, op) == 0 && strcmp(S.faults[i].addr, addr) == 0)
			return &S.faults[i];
	return NULL;
}

static int errno_from(const char *s)
{
	static const struct { const char *n; int e; } t[] = {
		{ "EBUSY", EBUSY }, { "EIO", EIO }, { "ENODEV", ENODEV },
		{ "EPERM", EPERM }, { "EINVAL", EINVAL }, { "short", -1 },
	};
	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].e;
	return 0;
}

int sim_set_faults(const char *spec)
{
	_cleanup_(freep) char *copy = strdup(spec ? spec : "");
	struct fault *v = NULL;
	size_t n = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		struct fault f = { .count = -1 };
		char *eq = strchr(item, '='), *at = strchr(item, '@');
		struct pci_addr a;

		if (eq)
			*eq++ = '\0';
		if (at) {
			*at++ = '\0';
			if (pci_addr_parse(at, 0, &a) < 0)
				goto bad;
			pci_addr_format(&a, f.addr);
		} else
			f.any = true;
		if (strlen(item) >= sizeof(f.op))
			goto bad;
		strcpy(f.op, item);
		if (strcmp(item, "slow") == 0 || strcmp(item, "udev-slow") == 0) {
			if (!eq || f.any)
				goto bad;
			f.ms = (unsigned)atoi(eq);
		} else if (strcmp(item, "take") == 0) {
			if (!eq || f.any || !*eq || strlen(eq) >= sizeof(f.arg))
				goto bad;
			strcpy(f.arg, eq);
			f.count = 1;
		} else if (!strcmp(item, "gone") || !strcmp(item, "stay") || !strcmp(item, "stuck") ||
			   !strcmp(item, "nobind")) {
			if (eq || f.any)
				goto bad;
		} else {
			char *star = eq ? strchr(eq, '*') : NULL;
			bool known = false;

			for (size_t k = 0; ops[k]; k++)
				known |= strcmp(ops[k], item) == 0;
			if (!known || !eq)
				goto bad;
			if (star) {
				*star++ = '\0';
				f.count = atoi(star);
			}
			f.err = errno_from(eq);
			if (!f.err)
				goto bad;
		}
		struct fault *nv = reallocarray(v, n + 1, sizeof(*v));
		if (!nv)
			goto bad;
		v = nv;
		v[n++] = f;
	}
	free(S.faults);
	S.faults = v;
	S.n_faults = n;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

unsigned sim_count(const char *op)
{
	for (size_t k = 0; ops[k]; k++)
		if (strcmp(ops[k], op) == 0)
			return S.counts[k];
	return 0;
}

static void count(const char *op)
{
	for (size_t k = 0; ops[k]; k++)
		if (strcmp(ops[k], op) == 0)
			S.counts[k]++;
}

/* ---- the hardware: lines of the topology ---- */

/* The topology's "device ADDR ..." line for addr, malloc'd, or NULL. */
static char *hw_device_line(const char *addr)
{
	char *save = NULL;
	_cleanup_(freep) char *copy = strdup(S.topo);

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char kw[16], a[64];

		if (sscanf(l, "%15s %63s", kw, a) == 2 && strcmp(kw, "device") == 0) {
			struct pci_addr pa;
			char canon[PCI_ADDR_STRLEN];

			if (pci_addr_parse(a, 0, &pa) == 0 && strcmp(pci_addr_format(&pa, canon), addr) == 0)
				return strdup(l);
		}
	}
	return NULL;
}

/* Every "device" address of the hardware, in topology order. */
static size_t hw_addrs(char (**ret)[PCI_ADDR_STRLEN])
{
	char (*v)[PCI_ADDR_STRLEN] = NULL;
	size_t n = 0;
	char *save = NULL;
	_cleanup_(freep) char *copy = strdup(S.topo);

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char kw[16], a[64];
		struct pci_addr pa;

		if (sscanf(l, "%15s %63s", kw, a) != 2 || strcmp(kw, "device") != 0 ||
		    pci_addr_parse(a, 0, &pa) < 0)
			continue;
		v = reallocarray(v, n + 1, sizeof(*v));
		if (!v)
			abort();
		pci_addr_format(&pa, v[n++]);
	}
	*ret = v;
	return n;
}

/* The option value in a topology line ("driver" -> "e1000e"), malloc'd, or NULL. */
static char *line_opt(const char *line, const char *key)
{
	_cleanup_(freep) char *copy = strdup(line);
	char *save = NULL;
	size_t klen = strlen(key);

	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (w[0] == '#')
			break;
		if (strncmp(w, key, klen) == 0 && w[klen] == '=')
			return strdup(w + klen + 1);
	}
	return NULL;
}

/* The line without the given options and without a comment. */
static char *line_without(const char *line, const char *const *keys)
{
	_cleanup_(freep) char *copy = strdup(line);
	char *out = calloc(1, strlen(line) + 1), *save = NULL;

	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		bool drop = false;

		if (w[0] == '#')
			break;
		for (size_t k = 0; keys[k]; k++)
			drop |= strncmp(w, keys[k], strlen(keys[k])) == 0 && w[strlen(keys[k])] == '=';
		if (drop)
			continue;
		if (*out)
			strcat(out, " ");
		strcat(out, w);
	}
	return out;
}

/* The host's netdev names for addr: "net NAME dev=ADDR ..." lines. */
static char *hw_net_lines(const char *addr)
{
	_cleanup_(freep) char *copy = strdup(S.topo);
	char *out = NULL, *save = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char kw[16], name[64];
		_cleanup_(freep) char *dev = NULL;

		if (sscanf(l, "%15s %63s", kw, name) != 2 || strcmp(kw, "net") != 0)
			continue;
		dev = line_opt(l, "dev");
		if (!dev)
			continue;
		struct pci_addr pa;
		char canon[PCI_ADDR_STRLEN];
		if (pci_addr_parse(dev, 0, &pa) == 0 && strcmp(pci_addr_format(&pa, canon), addr) == 0)
			/* a re-added NIC is down and in no bridge until the network stack takes it */
			fprintf(m, "net %s dev=%s state=down\n", name, addr);
	}
	fclose(m);
	return out;
}

/* ---- the tree ---- */

static char *dev_dir(const char *addr)
{
	_cleanup_(freep) char *l = sfmt("%s/sys/bus/pci/devices/%s", S.root, addr);

	return realpath(l, NULL);
}

static bool present(const char *addr)
{
	_cleanup_(freep) char *d = dev_dir(addr);

	return d != NULL;
}

static int dev_group(const char *addr)
{
	_cleanup_(freep) char *p = sfmt("%s/sys/bus/pci/devices/%s/iommu_group", S.root, addr);
	_cleanup_(freep) char *g = link_name(p);

	return g ? atoi(g) : -1;
}

static char *dev_driver(const char *addr)
{
	_cleanup_(freep) char *p = sfmt("%s/sys/bus/pci/devices/%s/driver", S.root, addr);

	return link_name(p);
}

static bool group_dir_exists(int g)
{
	_cleanup_(freep) char *p = sfmt("%s/sys/kernel/iommu_groups/%d", S.root, g);
	struct stat st;

	return stat(p, &st) == 0;
}

static bool iommu_on(void)
{
	_cleanup_(freep) char *p = rootp("sys/kernel/iommu_groups");
	_cleanup_(closedirp) DIR *d = opendir(p);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			return true;
	return false;
}

static void unlink_rel(const char *rel)
{
	_cleanup_(freep) char *p = rootp(rel);

	unlink(p);
}

static void drop_udev(const char *addr)
{
	_cleanup_(freep) char *rel = sfmt("run/udev/data/+pci:%s", addr);

	unlink_rel(rel);
}

/* Removes the netdevs below a device dir: class links, bridge port links, udev entries. */
static void drop_nets(const char *dir)
{
	_cleanup_(freep) char *netdir = sfmt("%s/net", dir);
	_cleanup_(closedirp) DIR *d = opendir(netdir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		_cleanup_(freep) char *cls = NULL, *master = NULL, *ifidx = NULL, *brif = NULL;
		_cleanup_(freep) char *ndir = NULL, *mlink = NULL, *ifpath = NULL;

		if (de->d_name[0] == '.')
			continue;
		ndir = sfmt("%s/%s", netdir, de->d_name);
		mlink = sfmt("%s/master", ndir);
		master = link_name(mlink);
		if (master) {
			brif = sfmt("sys/class/net/%s/brif/%s", master, de->d_name);
			unlink_rel(brif);
		}
		ifpath = sfmt("%s/ifindex", ndir);
		ifidx = get_line(ifpath);
		if (ifidx) {
			_cleanup_(freep) char *u = sfmt("run/udev/data/n%s", ifidx);
			unlink_rel(u);
		}
		cls = sfmt("sys/class/net/%s", de->d_name);
		unlink_rel(cls);
	}
	in_model++;
	tu_rm_rf(netdir);
	in_model--;
}

static void add_udev_entries(const char *addr)
{
	_cleanup_(freep) char *dir = dev_dir(addr);
	_cleanup_(freep) char *netdir = dir ? sfmt("%s/net", dir) : NULL;
	_cleanup_(closedirp) DIR *d = netdir ? opendir(netdir) : NULL;
	_cleanup_(freep) char *rel = sfmt("run/udev/data/+pci:%s", addr);
	struct dirent *de;

	if (!dir)
		return;
	while (d && (de = readdir(d))) {
		_cleanup_(freep) char *ifpath = NULL, *ifidx = NULL, *u = NULL;

		if (de->d_name[0] == '.')
			continue;
		ifpath = sfmt("%s/%s/ifindex", netdir, de->d_name);
		ifidx = get_line(ifpath);
		if (!ifidx)
			continue;
		u = sfmt("run/udev/data/n%s", ifidx);
		put_file(u, "I:1\n");
	}
	put_file(rel, "I:1\n");
}

/* Gives every netdev below dir an ifindex, as registration does. */
static void number_nets(const char *dir)
{
	_cleanup_(freep) char *netdir = sfmt("%s/net", dir);
	_cleanup_(closedirp) DIR *d = opendir(netdir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		_cleanup_(freep) char *p = NULL, *v = NULL;

		if (de->d_name[0] == '.')
			continue;
		p = sfmt("%s/%s/ifindex", netdir, de->d_name);
		v = sfmt("%d\n", S.next_ifindex++);
		in_model++;
		FILE *f = fopen(p, "we");
		if (f) {
			fputs(v, f);
			fclose(f);
		}
		in_model--;
	}
}

/* A symlink at lnk pointing at the absolute path to, written relative as the kernel does. */
static void rel_symlink(const char *to, const char *lnk)
{
	_cleanup_(freep) char *dir = strdup(lnk);
	char *cut = strrchr(dir, '/');
	size_t common = 0, i;
	char *out, *p;

	*cut = '\0';
	/* the longest common leading run of whole components */
	for (i = 0; dir[i] && dir[i] == to[i]; i++)
		if (dir[i] == '/')
			common = i;
	if (!dir[i] && (to[i] == '/' || !to[i]))
		common = i;
	out = calloc(1, strlen(lnk) * 3 + strlen(to) + 4);
	p = out;
	for (const char *q = dir + common; *q; q++)
		if (*q == '/')
			p = stpcpy(p, "../");
	strcpy(p, to[common] == '/' ? to + common + 1 : to + common);
	in_model++;
	(void)!symlink(out, lnk);
	in_model--;
	free(out);
}

static void build_text(const char *text)
{
	in_model++;
	fixture_build(S.root, text);
	in_model--;
}

static void bind_driver(const char *addr, const char *drv)
{
	_cleanup_(freep) char *line = hw_device_line(addr);
	_cleanup_(freep) char *host = line ? line_opt(line, "driver") : NULL;
	_cleanup_(freep) char *dpath = sfmt("%s/sys/bus/pci/drivers/%s", S.root, drv);
	_cleanup_(freep) char *dir = dev_dir(addr);
	_cleanup_(freep) char *lnk = NULL, *back = NULL;
	struct stat st;

	if (!dir || stat(dpath, &st) < 0)
		return; /* no such driver registered: nothing binds */
	lnk = sfmt("%s/driver", dir);
	back = sfmt("%s/%s", dpath, addr);
	rel_symlink(dpath, lnk);
	rel_symlink(dir, back);
	if (strcmp(drv, "vfio-pci") == 0) {
		int g = dev_group(addr);
		if (g >= 0) {
			_cleanup_(freep) char *vf = sfmt("dev/vfio/%d", g);
			_cleanup_(freep) char *vd = rootp("dev/vfio");
			mkdir(vd, 0755);
			put_file(vf, "");
		}
	} else if (host && strcmp(host, drv) == 0) {
		_cleanup_(freep) char *nets = hw_net_lines(addr);

		if (nets && *nets) {
			build_text(nets);
			number_nets(dir);
		}
	}
	/* udev sees the bind (and a NIC's new netdev) */
	if (!behaviour("udev-slow", addr))
		add_udev_entries(addr);
}

/* ---- drivers: registration order, id tables, matching ---- */

static bool driver_registered(const char *drv)
{
	_cleanup_(freep) char *p = sfmt("%s/sys/bus/pci/drivers/%s", S.root, drv);
	struct stat st;

	return stat(p, &st) == 0;
}

static void order_add(const char *drv)
{
	char **nv;

	for (size_t i = 0; i < S.n_drivers; i++)
		if (strcmp(S.drivers[i], drv) == 0)
			return;
	nv = reallocarray(S.drivers, S.n_drivers + 1, sizeof(*nv));
	if (!nv)
		abort();
	S.drivers = nv;
	S.drivers[S.n_drivers] = strdup(drv);
	if (!S.drivers[S.n_drivers])
		abort();
	S.n_drivers++;
}

/*
 * The registration order: the drivers in the order the topology first names
 * them (a device's driver=, module ... driver=, "module vfio_pci", driver
 * NAME). So in the seeds' topologies the host drivers come before vfio-pci,
 * as when vfio-pci is loaded from /etc/modules after udev loaded them.
 */
static void order_from_topology(void)
{
	_cleanup_(freep) char *copy = strdup(S.topo);
	char *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char kw[16], name[64];
		_cleanup_(freep) char *drv = NULL;

		if (sscanf(l, "%15s %63s", kw, name) != 2)
			continue;
		if (strcmp(kw, "device") == 0 || strcmp(kw, "module") == 0)
			drv = line_opt(l, "driver");
		if (!drv && strcmp(kw, "module") == 0 && strcmp(name, "vfio_pci") == 0)
			drv = strdup("vfio-pci");
		if (!drv && strcmp(kw, "driver") == 0)
			drv = strdup(name);
		if (drv)
			order_add(drv);
	}
}

void sim_driver_register_first(const char *drv)
{
	size_t i;
	char *d;

	pthread_mutex_lock(&S.lock);
	order_add(drv);
	for (i = 0; strcmp(S.drivers[i], drv) != 0; i++)
		;
	d = S.drivers[i];
	memmove(&S.drivers[1], &S.drivers[0], i * sizeof(*S.drivers));
	S.drivers[0] = d;
	pthread_mutex_unlock(&S.lock);
}

/* The hardware's "vvvv:dddd" of addr, into id. */
static bool hw_id(const char *addr, char id[10])
{
	_cleanup_(freep) char *line = hw_device_line(addr);
	char kw[16], a[64], ids[16];

	if (!line || sscanf(line, "%15s %63s %15s", kw, a, ids) != 3 || strlen(ids) != 9)
		return false;
	for (char *c = ids; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	memcpy(id, ids, 10);
	return true;
}

/* The driver's static table (the hardware's driver=) or one of its dynamic ids matches addr. */
static bool driver_matches(const char *drv, const char *addr)
{
	_cleanup_(freep) char *line = hw_device_line(addr);
	_cleanup_(freep) char *host = line ? line_opt(line, "driver") : NULL;
	char id[10];

	if (host && strcmp(host, drv) == 0)
		return true;
	if (!hw_id(addr, id))
		return false;
	for (size_t i = 0; i < S.n_dynids; i++)
		if (strcmp(S.dynids[i].driver, drv) == 0 && strcmp(S.dynids[i].id, id) == 0)
			return true;
	return false;
}

/* driver_override, or NULL when unset. */
static char *override_of(const char *addr)
{
	_cleanup_(freep) char *p = sfmt("%s/sys/bus/pci/devices/%s/driver_override", S.root, addr);
	_cleanup_(freep) char *ov = get_line(p);

	if (ov && strcmp(ov, "(null)") != 0 && *ov)
		return TAKE_PTR(ov);
	return NULL;
}

/*
 * device_attach(), for a rescan's re-add and for drivers_probe: the
 * driver_override's driver, if registered; else the first registered
 * driver, in registration order, that matches (the kernel walks the bus's
 * driver list; pci_match_device() looks at the dynamic ids, then the
 * static table).
 */
static void attach(const char *addr)
{
	_cleanup_(freep) char *cur = dev_driver(addr);
	_cleanup_(freep) char *ov = NULL;

	if (cur || behaviour("nobind", addr))
		return;
	ov = override_of(addr);
	if (ov) {
		if (driver_registered(ov))
			bind_driver(addr, ov);
		return;
	}
	for (size_t i = 0; i < S.n_drivers; i++)
		if (driver_registered(S.drivers[i]) && driver_matches(S.drivers[i], addr)) {
			bind_driver(addr, S.drivers[i]);
			return;
		}
}

/* new_id "VVVV DDDD ...": a dynamic id, then the driver attaches to every unbound match. */
static int new_id(const char *drv, const char *val, size_t n)
{
	_cleanup_(freep) char *v = strndup(val, n);
	char (*addrs)[PCI_ADDR_STRLEN] = NULL;
	unsigned vendor, device;
	struct dynid *nv;
	size_t na;

	if (!v || sscanf(v, "%x %x", &vendor, &device) != 2 || vendor > 0xffff || device > 0xffff)
		return -EINVAL;
	nv = reallocarray(S.dynids, S.n_dynids + 1, sizeof(*nv));
	if (!nv)
		abort();
	S.dynids = nv;
	snprintf(S.dynids[S.n_dynids].driver, sizeof(S.dynids[0].driver), "%s", drv);
	snprintf(S.dynids[S.n_dynids].id, sizeof(S.dynids[0].id), "%04x:%04x", vendor, device);
	S.n_dynids++;
	order_add(drv);
	na = hw_addrs(&addrs);
	for (size_t i = 0; i < na; i++) {
		_cleanup_(freep) char *cur = NULL;
		_cleanup_(freep) char *ov = NULL;

		if (!present(addrs[i]) || !driver_matches(drv, addrs[i]))
			continue;
		cur = dev_driver(addrs[i]);
		ov = override_of(addrs[i]);
		if (!cur && (!ov || strcmp(ov, drv) == 0))
			bind_driver(addrs[i], drv);
	}
	free(addrs);
	return 0;
}

static bool udev_queue_exists(void)
{
	_cleanup_(freep) char *p = rootp("run/udev/queue");

	return access(p, F_OK) == 0;
}

static void unbind(const char *addr)
{
	_cleanup_(freep) char *drv = dev_driver(addr);
	_cleanup_(freep) char *dir = dev_dir(addr);
	_cleanup_(freep) char *lnk = NULL, *back = NULL;

	if (!drv || !dir)
		return;
	lnk = sfmt("%s/driver", dir);
	back = sfmt("sys/bus/pci/drivers/%s/%s", drv, addr);
	unlink(lnk);
	unlink_rel(back);
	drop_nets(dir);
	if (strcmp(drv, "vfio-pci") == 0) {
		int g = dev_group(addr);
		_cleanup_(freep) char *vf = sfmt("dev/vfio/%d", g);
		unlink_rel(vf);
	}
}

static void remove_dev(const char *addr)
{
	_cleanup_(freep) char *dir = dev_dir(addr);
	_cleanup_(freep) char *busl = sfmt("sys/bus/pci/devices/%s", addr);
	int g = dev_group(addr);

	if (!dir)
		return;
	unbind(addr);
	drop_nets(dir);
	drop_udev(addr);
	if (g >= 0) {
		_cleanup_(freep) char *gl = sfmt("sys/kernel/iommu_groups/%d/devices/%s", g, addr);
		_cleanup_(freep) char *gd = sfmt("%s/sys/kernel/iommu_groups/%d/devices", S.root, g);
		_cleanup_(freep) char *gt = sfmt("%s/sys/kernel/iommu_groups/%d/type", S.root, g);
		_cleanup_(freep) char *gg = sfmt("%s/sys/kernel/iommu_groups/%d", S.root, g);

		unlink_rel(gl);
		if (rmdir(gd) == 0) { /* the group was emptied: the kernel frees it */
			_cleanup_(freep) char *vf = sfmt("dev/vfio/%d", g);
			unlink(gt);
			rmdir(gg);
			unlink_rel(vf);
		}
	}
	unlink_rel(busl);
	in_model++;
	tu_rm_rf(dir);
	in_model--;
}

static int lowest_free_group(void)
{
	for (int g = 0;; g++)
		if (!group_dir_exists(g))
			return g;
}

/* With stay@: the group of a present function of the same slot, like a multifunction device without ACS. */
static int slot_group(const char *addr)
{
	char (*v)[PCI_ADDR_STRLEN] = NULL;
	size_t n = hw_addrs(&v);
	int g = -1;

	for (size_t i = 0; i < n && g < 0; i++)
		if (strcmp(v[i], addr) != 0 && strncmp(v[i], addr, 10) == 0 && present(v[i]))
			g = dev_group(v[i]);
	free(v);
	return g;
}

/*
 * Function 0 of a slot the hardware has several functions in: its header
 * type has the multi-function bit (the fixture writes it so).
 */
static bool hw_multifunction(const char *addr)
{
	char (*v)[PCI_ADDR_STRLEN] = NULL;
	size_t n = hw_addrs(&v), len = strlen(addr);
	bool mf = false;

	if (len < 2 || strcmp(addr + len - 2, ".0") != 0) {
		free(v);
		return false;
	}
	for (size_t i = 0; i < n && !mf; i++)
		mf = strcmp(v[i], addr) != 0 && strncmp(v[i], addr, len - 1) == 0;
	free(v);
	return mf;
}

/* The header type a rebuilt device's config space had on the hardware. */
static void restore_header_type(const char *addr)
{
	_cleanup_(freep) char *rel = sfmt("sys/bus/pci/devices/%s/config", addr);
	_cleanup_(freep) char *p = rootp(rel);
	_cleanup_(closep) int fd = open(p, O_RDWR | O_CLOEXEC);
	uint8_t b;

	if (fd < 0 || pread(fd, &b, 1, 0x0e) != 1)
		abort();
	b |= 0x80;
	if (pwrite(fd, &b, 1, 0x0e) != 1)
		abort();
}

static void readd(const char *addr)
{
	_cleanup_(freep) char *line = hw_device_line(addr);
	static const char *const drop[] = { "group", "driver", NULL };
	_cleanup_(freep) char *base = NULL, *text = NULL, *dir = NULL;
	int g = -1;

	if (!line || present(addr))
		return;
	base = line_without(line, drop);
	/*
	 * The kernel's multi-function alias search: a re-added function whose
	 * own header has the multi-function bit joins the group of a present
	 * function of its slot (no ACS here). Function 0 comes back first at a
	 * full rescan, before its siblings, and so finds none.
	 */
	if (iommu_on()) {
		if (behaviour("stay", addr) || hw_multifunction(addr))
			g = slot_group(addr);
		if (g < 0)
			g = lowest_free_group();
	}
	text = g >= 0 ? sfmt("%s group=%d\n", base, g) : sfmt("%s\n", base);
	build_text(text);
	if (hw_multifunction(addr))
		restore_header_type(addr);
	/* pci_bus_add_device() -> device_attach(): drivers_autoprobe is not consulted */
	attach(addr);
	if (!behaviour("udev-slow", addr))
		add_udev_entries(addr);
}

struct delayed {
	char addr[PCI_ADDR_STRLEN];
	unsigned ms;
	bool udev_only;
};

static void *delayed_main(void *arg)
{
	struct delayed *d = arg;

	for (;;) {
		const struct fault *u = NULL;

		usleep(d->ms * 1000u);
		pthread_mutex_lock(&S.lock);
		if (S.active && d->udev_only)
			add_udev_entries(d->addr);
		else if (S.active) {
			readd(d->addr);
			u = behaviour("udev-slow", d->addr);
		}
		pthread_mutex_unlock(&S.lock);
		if (!u)
			break;
		/* a slow udev after a slow re-add */
		d->udev_only = true;
		d->ms = u->ms;
	}
	free(d);
	return NULL;
}

static void later(const char *addr, unsigned ms, bool udev_only)
{
	struct delayed *d = calloc(1, sizeof(*d));

	if (!d || S.n_threads >= MAX_THREADS)
		abort();
	strcpy(d->addr, addr);
	d->ms = ms;
	d->udev_only = udev_only;
	if (pthread_create(&S.threads[S.n_threads], NULL, delayed_main, d) != 0)
		abort();
	S.n_threads++;
}

static void rescan(void)
{
	char (*v)[PCI_ADDR_STRLEN] = NULL;
	size_t n = hw_addrs(&v);

	for (size_t i = 0; i < n; i++) {
		const struct fault *f;

		if (present(v[i]) || behaviour("gone", v[i]))
			continue;
		f = behaviour("slow", v[i]);
		if (f) {
			later(v[i], f->ms, false);
			continue;
		}
		readd(v[i]);
		f = behaviour("udev-slow", v[i]);
		if (f)
			later(v[i], f->ms, true);
	}
	free(v);
}

/* ---- the write hook ---- */

/* Which modelled attribute a path is, and the device it belongs to. */
static const char *classify(const char *path, char addr[PCI_ADDR_STRLEN])
{
	size_t rl = strlen(S.root);
	const char *rel, *base, *slash;
	char parent[PATH_MAX];

	if (strncmp(path, S.root, rl) != 0 || path[rl] != '/')
		return NULL;
	rel = path + rl + 1;
	if (strcmp(rel, "sys/bus/pci/rescan") == 0)
		return "rescan";
	if (strcmp(rel, "sys/bus/pci/drivers_autoprobe") == 0)
		return "autoprobe";
	if (strcmp(rel, "sys/bus/pci/drivers_probe") == 0)
		return "probe";
	base = strrchr(rel, '/');
	if (!base)
		return NULL;
	base++;
	if (strncmp(rel, "sys/bus/pci/drivers/", 20) == 0 && strcmp(base, "unbind") == 0)
		return "unbind";
	if (strncmp(rel, "sys/bus/pci/drivers/", 20) == 0 && strcmp(base, "new_id") == 0)
		return "new_id";
	if (strncmp(rel, "sys/devices/", 12) != 0)
		return NULL;
	/* sys/devices/.../<ADDR>/<attr> */
	if ((size_t)(base - 1 - rel) >= sizeof(parent))
		return NULL;
	memcpy(parent, rel, (size_t)(base - 1 - rel));
	parent[base - 1 - rel] = '\0';
	slash = strrchr(parent, '/');
	struct pci_addr a;
	if (!slash || pci_addr_parse(slash + 1, 0, &a) < 0)
		return NULL;
	pci_addr_format(&a, addr);
	if (strcmp(base, "remove") == 0)
		return "remove";
	if (strcmp(base, "driver_override") == 0)
		return "override";
	return NULL;
}

/* The driver directory's name in .../drivers/NAME/new_id, malloc'd. */
static char *driver_of_path(const char *path)
{
	const char *end = strrchr(path, '/'), *start = end;

	while (start > path && start[-1] != '/')
		start--;
	return strndup(start, (size_t)(end - start));
}

static void *queue_main(void *arg);

/* The queue of sim_udev_queue_busy(ms > 0) goes ms after this rescan (S.lock held). */
static void queue_empties_later(void)
{
	if (!S.queue_ms)
		return;
	if (S.n_threads >= MAX_THREADS ||
	    pthread_create(&S.threads[S.n_threads], NULL, queue_main, (void *)(uintptr_t)S.queue_ms) != 0)
		abort();
	S.n_threads++;
	S.queue_ms = 0;
}

static ssize_t apply(const char *op, char *addr, const char *path, const char *val, size_t n)
{
	const struct fault *f;

	/* the value names the device for unbind and probe */
	if (strcmp(op, "unbind") == 0 || strcmp(op, "probe") == 0) {
		struct pci_addr a;
		_cleanup_(freep) char *v = strndup(val, n);

		v[strcspn(v, "\n")] = '\0';
		if (pci_addr_parse(v, 0, &a) < 0) {
			errno = EINVAL;
			return -1;
		}
		pci_addr_format(&a, addr);
		if (!present(addr)) {
			errno = ENODEV;
			return -1;
		}
	}
	count(op);
	if ((!strcmp(op, "override") || !strcmp(op, "unbind") || !strcmp(op, "probe")) &&
	    udev_queue_exists())
		S.queued_binds++;
	f = fault_find(op, addr[0] ? addr : NULL);
	if (f) {
		if (f->err < 0)
			return (ssize_t)n - 1;
		errno = f->err;
		return -1;
	}
	if (strcmp(op, "remove") == 0) {
		if (!behaviour("stuck", addr))
			remove_dev(addr);
	} else if (strcmp(op, "rescan") == 0) {
		rescan();
		queue_empties_later();
	}
	else if (strcmp(op, "unbind") == 0)
		unbind(addr);
	else if (strcmp(op, "probe") == 0)
		attach(addr);
	else if (strcmp(op, "autoprobe") == 0)
		put_file("sys/bus/pci/drivers_autoprobe", val[0] == '0' ? "0\n" : "1\n");
	else if (strcmp(op, "new_id") == 0) {
		_cleanup_(freep) char *drv = driver_of_path(path);
		int r = drv ? new_id(drv, val, n) : -ENOMEM;

		if (r < 0) {
			errno = -r;
			return -1;
		}
	} else if (strcmp(op, "override") == 0) {
		_cleanup_(freep) char *v = strndup(val, n);
		_cleanup_(freep) char *rel = sfmt("sys/bus/pci/devices/%s/driver_override", addr);
		_cleanup_(freep) char *content = NULL;

		v[strcspn(v, "\n")] = '\0';
		content = sfmt("%s\n", *v ? v : "(null)");
		/* take@: a driver registers just before the override lands and takes the unbound device */
		f = fault_find("take", addr);
		if (f) {
			_cleanup_(freep) char *cur = dev_driver(addr);

			if (!cur)
				bind_driver(addr, f->arg);
		}
		put_file(rel, content);
	}
	return (ssize_t)n;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	char link[64], path[PATH_MAX], addr[PCI_ADDR_STRLEN] = "";
	const char *op;
	ssize_t len, r;

	if (!S.active || in_model)
		return __real_write(fd, buf, n);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len < 0)
		return __real_write(fd, buf, n);
	path[len] = '\0';
	pthread_mutex_lock(&S.lock);
	op = classify(path, addr);
	if (!op) {
		pthread_mutex_unlock(&S.lock);
		return __real_write(fd, buf, n);
	}
	r = apply(op, addr, path, buf, n);
	pthread_mutex_unlock(&S.lock);
	return r;
}

/* ---- udev's event queue ---- */

static void *queue_main(void *arg)
{
	unsigned ms = (unsigned)(uintptr_t)arg;

	usleep(ms * 1000u);
	pthread_mutex_lock(&S.lock);
	if (S.active)
		unlink_rel("run/udev/queue");
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

void sim_udev_queue_busy(unsigned ms)
{
	pthread_mutex_lock(&S.lock);
	put_file("run/udev/queue", "");
	S.queue_ms = ms;
	pthread_mutex_unlock(&S.lock);
}

unsigned sim_binds_while_queued(void)
{
	return S.queued_binds;
}

/* ---- lifecycle ---- */

static void number_all_nets(void)
{
	_cleanup_(freep) char *cls = rootp("sys/class/net");
	_cleanup_(closedirp) DIR *d = opendir(cls);
	struct dirent *de;

	S.next_ifindex = 1;
	while (d && (de = readdir(d))) {
		_cleanup_(freep) char *p = NULL, *v = NULL;

		if (de->d_name[0] == '.')
			continue;
		p = sfmt("%s/%s/ifindex", cls, de->d_name);
		v = sfmt("%d\n", S.next_ifindex++);
		FILE *f = fopen(p, "we");
		if (f) {
			fputs(v, f);
			fclose(f);
		}
	}
}

/* Not tu_read_file: its ck_assert would talk to a Check runner the simulated binary does not have. */
static char *read_all(const char *path)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	return buf;
}

int sim_start(const char *root, const char *topo_path)
{
	_cleanup_(freep) char *topo = read_all(topo_path);
	char (*v)[PCI_ADDR_STRLEN] = NULL;
	size_t n;

	if (!topo)
		return -errno;
	sim_stop();
	S.root = realpath(root, NULL); /* /proc/self/fd shows canonical paths */
	S.topo = TAKE_PTR(topo);
	if (!S.root)
		return -ENOMEM;
	number_all_nets();
	order_from_topology();
	{
		_cleanup_(freep) char *u = rootp("run/udev/data");
		_cleanup_(freep) char *ctl = rootp("run/udev/control");
		_cleanup_(freep) char *r1 = rootp("run");
		_cleanup_(freep) char *r2 = rootp("run/udev");

		mkdir(r1, 0755);
		mkdir(r2, 0755);
		mkdir(u, 0755);
		FILE *f = fopen(ctl, "we");
		if (f)
			fclose(f);
	}
	S.active = true;
	n = hw_addrs(&v);
	for (size_t i = 0; i < n; i++)
		if (present(v[i]))
			add_udev_entries(v[i]);
	free(v);
	return 0;
}

void sim_stop(void)
{
	for (size_t i = 0; i < S.n_threads; i++)
		pthread_join(S.threads[i], NULL);
	S.n_threads = 0;
	pthread_mutex_lock(&S.lock);
	S.active = false;
	pthread_mutex_unlock(&S.lock);
	free(S.root);
	free(S.topo);
	free(S.faults);
	for (size_t i = 0; i < S.n_drivers; i++)
		free(S.drivers[i]);
	free(S.drivers);
	free(S.dynids);
	S.root = S.topo = NULL;
	S.faults = NULL;
	S.n_faults = 0;
	S.drivers = NULL;
	S.n_drivers = 0;
	S.dynids = NULL;
	S.n_dynids = 0;
	S.queued_binds = 0;
	S.queue_ms = 0;
	memset(S.counts, 0, sizeof(S.counts));
}
