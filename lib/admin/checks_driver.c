/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `igd-regroup check`: the host drivers of the [vfio] devices. A function
 * that /sys/bus/pci/rescan finds again is attached at once to the first
 * registered driver that matches it; only module configuration keeps a host
 * driver off for good. One line per [vfio] device, then, when something is
 * missing, the modprobe.d lines that keep the drivers off.
 */
#include <string.h>

#include "admin/checks.h"
#include "admin/modconf.h"
#include "core/fileio.h"
#include "core/sysfs.h"

#define RECIPE_FILE "/etc/modprobe.d/igd-regroup.conf"
/* the recipe's lines are indented to the message column of check_report_print */
#define INDENT "                 "

/* What the recipe needs, gathered over all [vfio] devices. */
struct recipe {
	FILE *ids;        /* ",vvvv:dddd" for each device vfio-pci must get */
	char *ids_buf;
	size_t ids_len;
	FILE *softdeps;   /* one "softdep M pre: vfio-pci" line each */
	char *softdeps_buf;
	size_t softdeps_len;
	FILE *modules;    /* "a, b" the modules to keep off, for the initramfs sentence */
	char *modules_buf;
	size_t modules_len;
	char **names;     /* the modules already in the recipe: one claims several devices */
	size_t n_modules;
	const char *listed; /* one of names in etc/initramfs-tools/modules, or NULL */
};

static void recipe_done(struct recipe *rc)
{
	if (rc->ids)
		fclose(rc->ids);
	if (rc->softdeps)
		fclose(rc->softdeps);
	if (rc->modules)
		fclose(rc->modules);
	free(rc->ids_buf);
	free(rc->softdeps_buf);
	free(rc->modules_buf);
	for (size_t i = 0; i < rc->n_modules; i++)
		free(rc->names[i]);
	free(rc->names);
}

static int recipe_init(struct recipe *rc)
{
	*rc = (struct recipe){};
	rc->ids = open_memstream(&rc->ids_buf, &rc->ids_len);
	rc->softdeps = open_memstream(&rc->softdeps_buf, &rc->softdeps_len);
	rc->modules = open_memstream(&rc->modules_buf, &rc->modules_len);
	return rc->ids && rc->softdeps && rc->modules ? 0 : -ENOMEM;
}

static int recipe_close(struct recipe *rc)
{
	int r = 0;

	if (fclose(rc->ids) != 0)
		r = -ENOMEM;
	if (fclose(rc->softdeps) != 0)
		r = -ENOMEM;
	if (fclose(rc->modules) != 0)
		r = -ENOMEM;
	rc->ids = rc->softdeps = rc->modules = NULL;
	return r;
}

/* A module to keep off, once however many devices it claims; with its softdep line when it lacks one. */
static int recipe_add_module(struct recipe *rc, const struct modconf_claim *c)
{
	char **names;

	for (size_t i = 0; i < rc->n_modules; i++)
		if (strcmp(rc->names[i], c->module) == 0)
			return 0;
	names = reallocarray(rc->names, rc->n_modules + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	rc->names = names;
	names[rc->n_modules] = strdup(c->module);
	if (!names[rc->n_modules])
		return -ENOMEM;
	fprintf(rc->modules, "%s%s", rc->n_modules ? ", " : "", c->module);
	if (!c->softdep_vfio)
		fprintf(rc->softdeps, INDENT "softdep %s pre: vfio-pci\n", c->module);
	if (c->in_initramfs && !rc->listed)
		rc->listed = names[rc->n_modules];
	rc->n_modules++;
	return 0;
}

/* "vfio-pci ids=8086:a348" or "vfio-pci.ids=... on the kernel command line" */
static void print_ids_reason(FILE *f, const struct modconf_device *md, const struct pci_device *d)
{
	if (md->vfio_ids_cmdline)
		fprintf(f, "vfio-pci.ids=%04x:%04x on the kernel command line", d->vendor_id, d->device_id);
	else
		fprintf(f, "vfio-pci ids=%04x:%04x", d->vendor_id, d->device_id);
}

/* The OK reason of one claiming module: "snd_hda_intel is kept off (...)". */
static void print_kept(FILE *f, const struct modconf_device *md, const struct modconf_claim *c,
		       const struct pci_device *d)
{
	fprintf(f, "%s is kept off (", c->module);
	if (c->blacklisted)
		fprintf(f, "blacklist %s in modprobe.d", c->module);
	else if (c->blacklisted_cmdline)
		fprintf(f, "modprobe.blacklist=%s on the kernel command line", c->module);
	else {
		print_ids_reason(f, md, d);
		fprintf(f, ", softdep %s pre: vfio-pci", c->module);
	}
	fputc(')', f);
}

/* The WARN reason of one claiming module, and what the recipe needs for it. */
static int print_not_kept(FILE *f, const struct modconf_device *md, const struct modconf_claim *c,
			  const struct pci_device *d, struct recipe *rc, bool *need_ids)
{
	bool ids = md->vfio_ids || md->vfio_ids_cmdline;

	if (!ids && !c->softdep_vfio)
		fprintf(f, "%s claims it and nothing keeps it off", c->module);
	else if (ids) {
		fprintf(f, "%s claims it and may load before vfio-pci: ", c->module);
		print_ids_reason(f, md, d);
		fprintf(f, " but no softdep %s pre: vfio-pci", c->module);
	} else
		fprintf(f, "%s claims it and is not kept off: softdep %s pre: vfio-pci but vfio-pci "
			"does not have %04x:%04x in its ids=", c->module, c->module, d->vendor_id, d->device_id);
	*need_ids |= !ids;
	return recipe_add_module(rc, c);
}

static int check_one(const struct igd_ctx *ctx, struct modconf *m, const struct pci_device *d,
		     struct recipe *rc, struct check_report *r)
{
	_cleanup_(freep) char *path = sysfs_dev_path(ctx, &d->addr, "modalias");
	_cleanup_(freep) char *modalias = NULL, *text = NULL;
	struct modconf_device md = {};
	size_t len = 0, n_bad = 0;
	bool need_ids = false, first = true;
	FILE *f;
	int k;

	if (!path)
		return -ENOMEM;
	k = sysfs_read_line(path, &modalias);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return check_report_add(r, CHECK_WARN, "driver",
					"%s (%04x:%04x): cannot read its modalias (%s): cannot tell which host "
					"driver claims it",
					PCI_ADDR_STR(&d->addr), d->vendor_id, d->device_id, strerror(-k));
	k = modconf_device_lookup(m, modalias, d, &md);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return check_report_add(r, CHECK_WARN, "driver",
					"%s (%04x:%04x): looking up %s in the module aliases failed (%s)",
					PCI_ADDR_STR(&d->addr), d->vendor_id, d->device_id, modalias, strerror(-k));
	if (md.n_claims == 0) {
		modconf_device_done(&md);
		return check_report_add(r, CHECK_OK, "driver", "%s (%04x:%04x): no host driver module claims it",
					PCI_ADDR_STR(&d->addr), d->vendor_id, d->device_id);
	}

	f = open_memstream(&text, &len);
	if (!f) {
		modconf_device_done(&md);
		return -ENOMEM;
	}
	k = 0;
	for (size_t i = 0; i < md.n_claims && k >= 0; i++) {
		const struct modconf_claim *c = &md.claims[i];
		bool kept = modconf_claim_kept_off(&md, c);

		/* a WARN line names the modules not kept off; an OK line says what keeps each off */
		if (kept != modconf_device_kept_off(&md))
			continue;
		fputs(first ? "" : "; ", f);
		first = false;
		if (kept)
			print_kept(f, &md, c, d);
		else {
			k = print_not_kept(f, &md, c, d, rc, &need_ids);
			n_bad++;
		}
	}
	if (n_bad)
		fprintf(f, ": %s the device at boot and at every rescan until igd-regroup moves it",
			n_bad == 1 ? "it takes" : "each takes");
	if (fclose(f) != 0 && k >= 0)
		k = -ENOMEM;
	if (k >= 0 && need_ids)
		fprintf(rc->ids, ",%04x:%04x", d->vendor_id, d->device_id);
	if (k >= 0)
		k = check_report_add(r, n_bad ? CHECK_WARN : CHECK_OK, "driver", "%s (%04x:%04x): %s",
				     PCI_ADDR_STR(&d->addr), d->vendor_id, d->device_id, text);
	modconf_device_done(&md);
	return k;
}

/* "a,b" + ",c,a" -> "a,b,c": the ids vfio-pci has already, then the new ones. */
static char *ids_union(const char *have, const char *add)
{
	_cleanup_(freep) char *out = strdup(have ? have : "");

	for (const char *p = add; out && *p;) {
		size_t len;
		bool dup = false;

		p += strspn(p, ",");
		len = strcspn(p, ",");
		for (const char *q = out; *q && !dup;) {
			size_t qlen = strcspn(q, ",");

			dup = qlen == len && strncasecmp(q, p, len) == 0;
			q += qlen;
			q += strspn(q, ",");
		}
		if (len && !dup) {
			char *s;

			if (asprintf(&s, "%s%s%.*s", out, *out ? "," : "", (int)len, p) < 0)
				return NULL;
			free(out);
			out = s;
		}
		p += len;
	}
	return TAKE_PTR(out);
}

static int report_recipe(struct modconf *m, struct recipe *rc, struct check_report *r)
{
	_cleanup_(freep) char *ids = NULL, *options = NULL, *initramfs = NULL;
	const char *cmdline_ids = modconf_vfio_ids_cmdline(m);
	int k = 0;

	if (rc->n_modules == 0)
		return 0;
	if (rc->ids_len > 0) {
		/* the kernel keeps the last ids= only: the line must carry those vfio-pci has already */
		ids = ids_union(cmdline_ids ? cmdline_ids : modconf_vfio_ids(m), rc->ids_buf);
		if (!ids)
			return -ENOMEM;
	}
	/* modprobe passes the command line's vfio-pci.ids= after modprobe.d's: there it wins */
	if (ids && cmdline_ids && rc->softdeps_len == 0)
		return check_report_add(r, CHECK_WARN, "modprobe",
					"to keep %s off, make vfio-pci.ids= on the kernel command line "
					"vfio-pci.ids=%s (it wins over modprobe.d; then update-grub, or "
					"proxmox-boot-tool refresh, and reboot)",
					rc->modules_buf, ids);
	if (ids && !cmdline_ids && asprintf(&options, INDENT "options vfio-pci ids=%s\n", ids) < 0)
		return -ENOMEM;
	if (rc->listed || modconf_vfio_in_initramfs(m))
		k = asprintf(&initramfs, "%s is in /etc/initramfs-tools/modules: the initramfs loads it "
			     "with its own copy of modprobe.d",
			     rc->listed ? rc->listed : "vfio-pci");
	else
		k = asprintf(&initramfs, "the initramfs carries its own copy of modprobe.d, and "
			     "igd-regroup cannot tell whether it loads %s", rc->modules_buf);
	if (k < 0)
		return -ENOMEM;
	return check_report_add(r, CHECK_WARN, "modprobe",
				"to keep %s off, put in " RECIPE_FILE "%s:\n%s%s%s%s%s"
				"               then run update-initramfs -u: %s",
				rc->modules_buf,
				options ? " (replacing any other options vfio-pci ids= line: the last one wins)" : "",
				options ? options : "", rc->softdeps_buf,
				ids && cmdline_ids ? "               and make vfio-pci.ids= on the kernel command line, "
						     "which wins over modprobe.d, vfio-pci.ids=" : "",
				ids && cmdline_ids ? ids : "", ids && cmdline_ids ? "\n" : "", initramfs);
}

int check_drivers(const struct igd_ctx *ctx, const struct igd_config *cfg, const struct snapshot *snap,
		  struct check_report *r)
{
	_cleanup_(modconf_freep) struct modconf *m = NULL;
	_cleanup_(freep) char *reason = NULL;
	struct recipe rc;
	int k;

	if (cfg->vfio_devices.n == 0)
		return 0;
	k = modconf_new(ctx, &m, &reason);
	if (k == -ENOENT)
		return check_report_add(r, CHECK_OK, "driver", "host drivers of the [vfio] devices not checked: %s",
					reason);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return check_report_add(r, CHECK_WARN, "driver",
					"cannot read the module configuration: %s", file_strerror(k));
	k = recipe_init(&rc);
	for (size_t i = 0; k >= 0 && i < cfg->vfio_devices.n; i++) {
		const struct pci_device *d = snapshot_find(snap, &cfg->vfio_devices.v[i]);

		if (d) /* an absent one has its FAIL line already */
			k = check_one(ctx, m, d, &rc, r);
	}
	if (k >= 0)
		k = recipe_close(&rc);
	if (k >= 0)
		k = report_recipe(m, &rc, r);
	recipe_done(&rc);
	return k;
}
