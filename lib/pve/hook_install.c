/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/sysfs.h"
#include "pve/hook_install.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "content iso,vztmpl,snippets": has the word snippets. */
static bool has_snippets(const char *list)
{
	_cleanup_(freep) char *copy = strdup(list);
	char *save = NULL;

	for (char *w = copy ? strtok_r(copy, ", \t", &save) : NULL; w; w = strtok_r(NULL, ", \t", &save))
		if (strcmp(w, "snippets") == 0)
			return true;
	return false;
}

int pve_storage_path(const struct igd_ctx *ctx, const char *storage, char **ret_path,
		     bool *ret_snippets)
{
	_cleanup_(freep) char *cfg = igd_path(ctx, "/etc/pve/storage.cfg");
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL, *path = NULL;
	size_t cap = 0;
	bool in = false, found = false, snippets = false;
	int r;

	if (!cfg)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot read the storage config: %m");
	r = file_open_regular(cfg, FILE_NOFOLLOW, &f, NULL);
	if (r < 0) {
		log_error(ctx, "Cannot read %s: %s", cfg, file_strerror(r));
		return r;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *l = line;

		l[strcspn(l, "\n")] = '\0';
		if (*l == '#')
			continue;
		if (*l && !isspace((unsigned char)*l)) {
			/* "TYPE: ID" starts a storage */
			char *colon = strchr(l, ':');
			in = colon && strcmp(trim(colon + 1), storage) == 0;
			found |= in;
			continue;
		}
		if (!in)
			continue;
		l = trim(l);
		if (strncmp(l, "path", 4) == 0 && isspace((unsigned char)l[4])) {
			free(path);
			path = strdup(trim(l + 4));
			if (!path)
				return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot read %s: %m", cfg);
		} else if (strncmp(l, "content", 7) == 0 && isspace((unsigned char)l[7]))
			snippets = has_snippets(l + 7);
	}
	if (!found) {
		log_error(ctx, "There is no storage '%s' in %s.", storage, cfg);
		return -ENOENT;
	}
	if (!path || path[0] != '/') {
		log_error(ctx, "Storage '%s' has no directory path (it must be a directory-backed "
			       "storage such as 'local' to hold snippets).",
			  storage);
		return -ENOTDIR;
	}
	*ret_path = TAKE_PTR(path);
	*ret_snippets = snippets;
	return 0;
}

static int mkdir_p(const char *path)
{
	_cleanup_(freep) char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		if (!s)
			return 0;
		*s = '/';
	}
}

int hook_install(const struct igd_ctx *ctx, const char *storage, const char *target, char **ret_link)
{
	_cleanup_(freep) char *path = NULL, *dir = NULL, *link = NULL, *current = NULL;
	_cleanup_(freep) char *shown = NULL;
	bool snippets;
	ssize_t n;
	int r;

	r = pve_storage_path(ctx, storage, &path, &snippets);
	if (r < 0)
		return r;
	if (!snippets)
		log_warning(ctx, "Storage '%s' does not list 'snippets' in its content types; add it "
				 "(Datacenter > Storage > %s > Content, or pvesm set %s --content "
				 "<the current types>,snippets) before qm set --hookscript.",
			    storage, storage, storage);
	dir = igd_path(ctx, "%s/snippets", path);
	link = igd_path(ctx, "%s/snippets/%s", path, HOOK_SNIPPET_NAME);
	if (!dir || !link || asprintf(&shown, "%s/snippets/%s", path, HOOK_SNIPPET_NAME) < 0)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot install the hookscript: %m");
	r = mkdir_p(dir);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "Cannot create %s: %m", dir);

	current = calloc(1, strlen(target) + 2);
	if (!current)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Cannot install the hookscript: %m");
	/* one byte more than the target: a longer link cannot compare equal */
	n = readlink(link, current, strlen(target) + 1);
	if (n >= 0) {
		if ((size_t)n == strlen(target) && strcmp(current, target) == 0) {
			*ret_link = TAKE_PTR(shown);
			return 0;
		}
		log_error(ctx, "%s already exists and points elsewhere; remove it first.", link);
		return -EEXIST;
	}
	if (errno == EINVAL) {
		log_error(ctx, "%s already exists and is not a symlink; remove it first.", link);
		return -EEXIST;
	}
	if (errno != ENOENT)
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot read %s: %m", link);
	if (symlink(target, link) < 0)
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot create %s: %m", link);
	*ret_link = TAKE_PTR(shown);
	return 0;
}
