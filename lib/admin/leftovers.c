/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/leftovers.h"
#include "core/macro.h"

/* A script bigger than this is not one of the guides' few lines. */
#define MAX_SCRIPT_SIZE (64 * 1024)

char *leftover_describe(const struct leftover *x)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	if (!f)
		return NULL;
	if (x->n_removes) {
		fprintf(f, "removes");
		for (size_t i = 0; i < x->n_removes; i++)
			fprintf(f, "%s %s", i ? "," : "", PCI_ADDR_STR(&x->removes[i]));
		fprintf(f, " and rescans the PCI bus");
	} else if (x->pci)
		fprintf(f, "writes a PCI remove or rescan");
	if (x->network)
		fprintf(f, "%srestarts networking", x->pci ? ", and " : "");
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void leftover_done(struct leftover *x)
{
	free(x->where);
	free(x->command);
	free(x->script);
	free(x->removes);
	*x = (struct leftover){};
}

void leftovers_done(struct leftovers *l)
{
	for (size_t i = 0; i < l->n; i++)
		leftover_done(&l->v[i]);
	free(l->v);
	*l = (struct leftovers){};
}

/* The address in the path component that ends at end ("0000\:00\:1f.3" before "/remove"). */
static bool component_addr(const char *line, const char *end, struct pci_addr *ret)
{
	const char *start = end;
	char buf[64];
	size_t n = 0;

	while (start > line && start[-1] != '/')
		start--;
	for (const char *p = start; p < end; p++) {
		if (*p == '\\' || *p == '"' || *p == '\'')
			continue; /* the shell's escapes and quotes around the colons */
		if (n + 1 >= sizeof(buf))
			return false;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return pci_addr_parse(buf, PCI_ADDR_LONG_DOMAIN, ret) == 0;
}

static bool has_word(const char *line, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = line; (p = strstr(p, word)); p += len) {
		bool starts = p == line || isspace((unsigned char)p[-1]) || p[-1] == '/' || p[-1] == ';';
		bool ends = !p[len] || isspace((unsigned char)p[len]) || p[len] == ';' || p[len] == '.' ||
			    p[len] == '&' || p[len] == '|';

		if (starts && ends)
			return true;
	}
	return false;
}

int leftovers_scan_line(const char *line, bool *pci, bool *network, struct pci_addr **v, size_t *n)
{
	_cleanup_(freep) char *copy = strdup(line);
	char *hash;

	if (!copy)
		return -ENOMEM;
	/* a '#' at the start of a word begins a comment */
	for (hash = copy; (hash = strchr(hash, '#')); hash++)
		if (hash == copy || isspace((unsigned char)hash[-1])) {
			*hash = '\0';
			break;
		}
	if (strstr(copy, "/sys/") && strstr(copy, "/rescan"))
		*pci = true;
	for (const char *p = copy; (p = strstr(p, "/remove")); p += strlen("/remove")) {
		struct pci_addr a, *w;

		if (!strstr(copy, "/sys/"))
			break;
		*pci = true;
		if (!component_addr(copy, p, &a))
			continue; /* a variable: it removes something, we cannot say what */
		w = reallocarray(*v, *n + 1, sizeof(**v));
		if (!w)
			return -ENOMEM;
		*v = w;
		w[(*n)++] = a;
	}
	if (has_word(copy, "ifreload") ||
	    (has_word(copy, "networking") && (has_word(copy, "restart") || has_word(copy, "reload"))))
		*network = true;
	return 0;
}

/* The file's text when it is a regular, small, text file under the root; else NULL. */
static char *read_script(const struct igd_ctx *ctx, const char *path)
{
	_cleanup_(freep) char *full = igd_path(ctx, "%s", path);
	_cleanup_(closep) int fd = -1;
	char *buf;
	struct stat st;
	ssize_t n;

	if (!full)
		return NULL;
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_SCRIPT_SIZE)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0 || memchr(buf, '\0', (size_t)n)) {
		free(buf); /* unreadable, or a binary */
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static bool in_system_dir(const char *path)
{
	static const char *const dirs[] = { "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/lib", "/lib" };

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return false;
}

/* Scans text line by line into x. 0 or -ENOMEM. */
static int scan_text(const char *text, struct leftover *x)
{
	_cleanup_(freep) char *copy = strdup(text);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int r = leftovers_scan_line(l, &x->pci, &x->network, &x->removes, &x->n_removes);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The first absolute path among the command's words that names a script we can read. */
static int follow_script(const struct igd_ctx *ctx, const char *command, struct leftover *x)
{
	_cleanup_(freep) char *copy = strdup(command);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t;&|", &save); w; w = strtok_r(NULL, " \t;&|", &save)) {
		_cleanup_(freep) char *text = NULL;

		if (w[0] != '/' || in_system_dir(w) || strncmp(w, "/sys/", 5) == 0 || strncmp(w, "/dev/", 5) == 0)
			continue;
		text = read_script(ctx, w);
		if (!text)
			continue;
		x->script = strdup(w);
		if (!x->script)
			return -ENOMEM;
		return scan_text(text, x);
	}
	return 0;
}

static int push(struct leftovers *l, struct leftover *x)
{
	struct leftover *v;

	if (!x->pci && !x->network) {
		leftover_done(x);
		return 0;
	}
	v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v) {
		leftover_done(x);
		return -ENOMEM;
	}
	l->v = v;
	v[l->n++] = *x;
	*x = (struct leftover){};
	return 0;
}

/* One job's command found at where: the command itself, then the script it runs. */
static int add_job(const struct igd_ctx *ctx, struct leftovers *l, const char *where, const char *command)
{
	struct leftover x = { .where = strdup(where), .command = strdup(command) };
	int r = x.where && x.command ? 0 : -ENOMEM;

	if (r >= 0)
		r = leftovers_scan_line(command, &x.pci, &x.network, &x.removes, &x.n_removes);
	if (r >= 0)
		r = follow_script(ctx, command, &x);
	if (r < 0) {
		leftover_done(&x);
		return r;
	}
	return push(l, &x);
}

/* Each line of text that runs a script (the seed's "source /root/passthrough-tweak.sh"): that script's lines. */
static int follow_lines(const struct igd_ctx *ctx, const char *text, struct leftover *x)
{
	_cleanup_(freep) char *copy = strdup(text);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *l = strtok_r(copy, "\n", &save); l && !x->script; l = strtok_r(NULL, "\n", &save)) {
		int r;

		if (l[strspn(l, " \t")] == '#')
			continue;
		r = follow_script(ctx, l, x);
		if (r < 0)
			return r;
	}
	return 0;
}

int leftovers_script(const struct igd_ctx *ctx, const char *where, const char *path, struct leftovers *l)
{
	_cleanup_(freep) char *text = read_script(ctx, path);
	struct leftover x = {};
	int r;

	if (!text)
		return 0;
	x.where = strdup(where);
	x.command = strdup(path);
	r = x.where && x.command ? scan_text(text, &x) : -ENOMEM;
	if (r >= 0)
		r = follow_lines(ctx, text, &x);
	if (r < 0) {
		leftover_done(&x);
		return r;
	}
	return push(l, &x);
}

/* Skips n blank-separated fields; NULL when the line has fewer. */
static char *skip_fields(char *s, unsigned n)
{
	while (n--) {
		s += strspn(s, " \t");
		if (!*s)
			return NULL;
		s += strcspn(s, " \t");
	}
	s += strspn(s, " \t");
	return *s ? s : NULL;
}

/* One crontab: system ones have a user field after the schedule, root's own has not. */
static int scan_crontab(const struct igd_ctx *ctx, const char *path, bool system, struct leftovers *l)
{
	_cleanup_(freep) char *text = read_script(ctx, path);
	unsigned lineno = 0;

	if (!text)
		return 0;
	/* by hand: strtok_r would skip empty lines and lose the line numbers */
	for (char *s = text, *nl; s && *s; s = nl ? nl + 1 : NULL) {
		_cleanup_(freep) char *where = NULL;
		char *cmd;
		int r;

		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		s += strspn(s, " \t");
		if (strncmp(s, "@reboot", 7) != 0 || !isspace((unsigned char)s[7]))
			continue;
		cmd = skip_fields(s, 1);
		if (cmd && system) {
			size_t ulen = strcspn(cmd, " \t");

			if (ulen != 4 || strncmp(cmd, "root", 4) != 0)
				continue; /* only root can write sysfs or restart units */
			cmd = skip_fields(cmd, 1);
		}
		if (!cmd)
			continue;
		if (asprintf(&where, "%s:%u", path, lineno) < 0)
			return -ENOMEM;
		r = add_job(ctx, l, where, cmd);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The files of /etc/cron.d in name order, as cron reads them (names with a dot are skipped by cron too). */
static int scan_cron_d(const struct igd_ctx *ctx, struct leftovers *l)
{
	_cleanup_(freep) char *dir = igd_path(ctx, "/etc/cron.d");
	_cleanup_(closedirp) DIR *d = NULL;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char **w;

		if (de->d_name[0] == '.' || strchr(de->d_name, '.'))
			continue;
		w = reallocarray(names, n + 1, sizeof(*names));
		if (!w || asprintf(&w[n], "/etc/cron.d/%s", de->d_name) < 0) {
			names = w ? w : names;
			r = -ENOMEM;
			break;
		}
		names = w;
		n++;
	}
	if (r >= 0 && n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = scan_crontab(ctx, names[i], true, l);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int leftovers_cron(const struct igd_ctx *ctx, struct leftovers *ret)
{
	struct leftovers l = {};
	int r;

	r = scan_crontab(ctx, "/var/spool/cron/crontabs/root", false, &l);
	if (r >= 0)
		r = scan_crontab(ctx, "/etc/crontab", true, &l);
	if (r >= 0)
		r = scan_cron_d(ctx, &l);
	if (r < 0) {
		leftovers_done(&l);
		return r;
	}
	*ret = l;
	return 0;
}
