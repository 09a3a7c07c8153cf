/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check, per VM of [hook] vmids: what `igd-regroup vm` finds (pre-start's
 * verdict and its first refusal or warning: isolation, the legacy-igd rules,
 * the romfile, vga, machine), and the hookscript -- ours attached and its
 * snippet link there, or another snippet that does the guides' remove and
 * rescan itself.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/checks.h"
#include "admin/leftovers.h"
#include "admin/vm_report.h"
#include "core/macro.h"
#include "pve/hook_install.h"
#include "pve/vmconf.h"

/* What a run logged, kept apart from check's own output: the first error and warning, and counts. */
struct captured {
	char *first_error, *first_warning;
	size_t n_errors, n_warnings;
};

static void capture(void *userdata, int priority, const char *msg)
{
	struct captured *c = userdata;

	if (priority <= LOG_ERR) {
		if (!c->n_errors++)
			c->first_error = strdup(msg);
	} else if (priority == LOG_WARNING) {
		if (!c->n_warnings++)
			c->first_warning = strdup(msg);
	}
}

static void captured_done(struct captured *c)
{
	free(c->first_error);
	free(c->first_warning);
}

/* A context like ctx whose messages go to c. */
static int quiet_ctx(const struct igd_ctx *ctx, struct captured *c, struct igd_ctx **ret)
{
	const char *root = igd_ctx_root(ctx);
	int r = igd_ctx_new(*root ? root : NULL, igd_ctx_config_path(ctx), ret);

	if (r < 0)
		return r;
	igd_ctx_set_log_fn(*ret, capture, c);
	igd_ctx_set_log_level(*ret, LOG_WARNING);
	return 0;
}

static int check_prestart(const struct igd_ctx *ctx, const struct igd_config *cfg, uint32_t vmid,
			  struct check_report *r)
{
	_cleanup_(captured_done) struct captured c = {};
	_cleanup_(igd_ctx_freep) struct igd_ctx *q = NULL;
	_cleanup_(freep) char *report = NULL;
	size_t size = 0;
	FILE *f;
	int k;

	k = quiet_ctx(ctx, &c, &q);
	if (k < 0)
		return k;
	f = open_memstream(&report, &size);
	if (!f)
		return -ENOMEM;
	k = vm_report(q, cfg, vmid, f);
	if (fclose(f) != 0 || k == -ENOMEM)
		return -ENOMEM;
	if (k != 0)
		return check_report_add(r, CHECK_WARN, "vm", "VM %u: pre-start would refuse the start: %s (igd-regroup vm %u "
					"shows everything)",
					vmid, c.first_error ? c.first_error : "see igd-regroup vm", vmid);
	if (c.n_warnings)
		return check_report_add(r, CHECK_WARN, "vm", "VM %u: pre-start would accept the start, with %zu warning%s: "
					"%s (igd-regroup vm %u shows everything)",
					vmid, c.n_warnings, c.n_warnings == 1 ? "" : "s", c.first_warning, vmid);
	return check_report_add(r, CHECK_OK, "vm", "VM %u: pre-start would accept the start", vmid);
}

/* "local:snippets/igd-regroup-hook": the storage, and the path inside it. */
static int split_volume(const char *volid, char **ret_storage, const char **ret_rel)
{
	const char *colon = strchr(volid, ':');

	if (!colon || colon == volid || !colon[1])
		return -EINVAL;
	*ret_storage = strndup(volid, (size_t)(colon - volid));
	*ret_rel = colon + 1;
	return *ret_storage ? 0 : -ENOMEM;
}

static int check_other_snippet(const struct igd_ctx *ctx, uint32_t vmid, const char *volid, const char *path,
			       struct check_report *r)
{
	_cleanup_(leftovers_done) struct leftovers l = {};
	_cleanup_(freep) char *where = NULL, *what = NULL;
	int k;

	if (asprintf(&where, "VM %u's hookscript %s", vmid, volid) < 0)
		return -ENOMEM;
	k = leftovers_script(ctx, where, path, &l);
	if (k < 0)
		return k;
	if (l.n == 0)
		return check_report_add(r, CHECK_WARN, "hook",
					"VM %u runs the hookscript %s, not %s: attach ours (qm set %u --hookscript "
					"local:snippets/%s) and name yours in [hook] chain = %s",
					vmid, volid, HOOK_SNIPPET_NAME, vmid, HOOK_SNIPPET_NAME, path);
	what = leftover_describe(&l.v[0]);
	if (!what)
		return -ENOMEM;
	return check_report_add(r, CHECK_WARN, "leftover",
				"VM %u's hookscript %s (%s)%s%s%s %s: the guides' reset, which cycles the PCH and the "
				"NIC at every stop; attach igd-regroup's instead: qm set %u --hookscript "
				"local:snippets/%s",
				vmid, volid, path, l.v[0].script ? " runs " : "", l.v[0].script ? l.v[0].script : "",
				l.v[0].script ? ", which" : "", what, vmid, HOOK_SNIPPET_NAME);
}

static int check_hookscript(const struct igd_ctx *ctx, uint32_t vmid, const char *volid, struct check_report *r)
{
	_cleanup_(captured_done) struct captured c = {};
	_cleanup_(igd_ctx_freep) struct igd_ctx *q = NULL;
	_cleanup_(freep) char *storage = NULL, *dir = NULL, *path = NULL, *full = NULL;
	const char *rel = NULL, *name;
	bool snippets = false;
	int k;

	if (!volid)
		return check_report_add(r, CHECK_WARN, "hook",
					"VM %u has no hookscript: igd-regroup install-hook, then qm set %u --hookscript "
					"local:snippets/%s",
					vmid, vmid, HOOK_SNIPPET_NAME);
	k = split_volume(volid, &storage, &rel);
	if (k == -ENOMEM)
		return k;
	if (k >= 0)
		k = quiet_ctx(ctx, &c, &q);
	if (k >= 0)
		k = pve_storage_path(q, storage, &dir, &snippets);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return check_report_add(r, CHECK_WARN, "hook", "VM %u's hookscript %s cannot be found: %s", vmid,
					volid, c.first_error ? c.first_error : "not a STORAGE:snippets/NAME volume");
	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		return -ENOMEM;
	name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	if (strcmp(name, HOOK_SNIPPET_NAME) != 0)
		return check_other_snippet(ctx, vmid, volid, path, r);
	full = igd_path(ctx, "%s", path);
	if (!full)
		return -ENOMEM;
	if (access(full, X_OK) < 0)
		return check_report_add(r, CHECK_WARN, "hook",
					"VM %u's hookscript %s is not there (%s: %m): igd-regroup install-hook %s", vmid,
					volid, path, storage);
	return check_report_add(r, CHECK_OK, "hook", "VM %u runs igd-regroup's hookscript (%s)", vmid, path);
}

int check_vms(const struct igd_ctx *ctx, const struct igd_config *cfg, struct check_report *r)
{
	for (size_t i = 0; i < cfg->n_vmids; i++) {
		_cleanup_(captured_done) struct captured c = {};
		_cleanup_(igd_ctx_freep) struct igd_ctx *q = NULL;
		struct vm_config vm = {};
		int k;

		k = quiet_ctx(ctx, &c, &q);
		if (k < 0)
			return k;
		k = vm_config_read(q, cfg->vmids[i], &vm);
		if (k == -ENOMEM)
			return k;
		if (k < 0) {
			k = check_report_add(r, CHECK_WARN, "vm", "VM %u of [hook] vmids: %s", cfg->vmids[i],
					     c.first_error ? c.first_error : "its config cannot be read");
			if (k < 0)
				return k;
			continue;
		}
		k = check_prestart(ctx, cfg, vm.vmid, r);
		if (k >= 0)
			k = check_hookscript(ctx, vm.vmid, vm.hookscript, r);
		vm_config_done(&vm);
		if (k < 0)
			return k;
	}
	return 0;
}
