/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "testutil.h"

char *tu_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path = NULL;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	ck_assert_int_ge(asprintf(&path, "%s/igd-test.XXXXXX", tmp), 0);
	ck_assert_ptr_nonnull(mkdtemp(path));
	return path;
}

static int rm_one(const char *path, const struct stat *st _unused_, int type _unused_,
		  struct FTW *ftw _unused_)
{
	return remove(path) < 0 ? -1 : 0;
}

void tu_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(const char *dir, const char *rel)
{
	char *p = NULL;

	while (*rel == '/')
		rel++;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
	return p;
}

static void mkdir_parents(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			ck_abort_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
}

void tu_mkdir_p(const char *dir, const char *rel)
{
	_cleanup_(freep) char *p = tu_path(dir, rel);

	mkdir_parents(p);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", p, strerror(errno));
}

void tu_write_file_mode(const char *dir, const char *rel, const char *content, unsigned mode)
{
	_cleanup_(freep) char *p = tu_path(dir, rel);
	_cleanup_(closep) int fd = -1;
	size_t len = strlen(content);

	mkdir_parents(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		ck_abort_msg("open %s: %s", p, strerror(errno));
	if (fchmod(fd, mode) < 0)
		ck_abort_msg("chmod %s: %s", p, strerror(errno));
	if (write(fd, content, len) != (ssize_t)len)
		ck_abort_msg("write %s: %s", p, strerror(errno));
}

void tu_write_file(const char *dir, const char *rel, const char *content)
{
	tu_write_file_mode(dir, rel, content, 0644);
}

void tu_symlink(const char *dir, const char *rel, const char *target)
{
	_cleanup_(freep) char *p = tu_path(dir, rel);

	mkdir_parents(p);
	if (symlink(target, p) < 0)
		ck_abort_msg("symlink %s -> %s: %s", p, target, strerror(errno));
}

char *tu_read_file(const char *path)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int c;

	if (!f)
		return NULL;
	mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	while ((c = fgetc(f)) != EOF)
		fputc(c, mem);
	fclose(mem);
	return buf;
}

void tu_log_fn(void *userdata, int priority, const char *msg)
{
	struct tu_log *log = userdata;
	char *line = NULL;
	int n = asprintf(&line, "%d|%s\n", priority, msg);

	ck_assert_int_ge(n, 0);
	log->buf = realloc(log->buf, log->len + (size_t)n + 1);
	ck_assert_ptr_nonnull(log->buf);
	memcpy(log->buf + log->len, line, (size_t)n + 1);
	log->len += (size_t)n;
	free(line);
	if (getenv("TU_VERBOSE"))
		fprintf(stderr, "log: %d %s\n", priority, msg);
}

void tu_log_reset(struct tu_log *log)
{
	free(log->buf);
	log->buf = NULL;
	log->len = 0;
}

bool tu_log_contains(const struct tu_log *log, const char *needle)
{
	return log->buf && strstr(log->buf, needle);
}

size_t tu_log_lines(const struct tu_log *log)
{
	size_t n = 0;

	for (size_t i = 0; i < log->len; i++)
		n += log->buf[i] == '\n';
	return n;
}

char *tu_addrs_join(const struct pci_addr *v, size_t n, const char *sep)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? sep : "", PCI_ADDR_STR(&v[i]));
	ck_assert_int_eq(fclose(f), 0);
	return s;
}

char *tu_strip_ansi(const char *text)
{
	char *s = strdup(text), *o = s;

	ck_assert_ptr_nonnull(s);
	for (const char *p = text; *p;) {
		if (p[0] == '\033' && p[1] == '[') {
			p += strcspn(p, "m");
			p += *p == 'm';
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return s;
}

struct igd_ctx *tu_ctx_new(const char *root, struct tu_log *log)
{
	struct igd_ctx *ctx = NULL;

	ck_assert_int_eq(igd_ctx_new(root, NULL, &ctx), 0);
	igd_ctx_set_log_fn(ctx, tu_log_fn, log);
	igd_ctx_set_log_level(ctx, LOG_DEBUG);
	return ctx;
}

void tu_root_setup(char **ret_root, struct igd_ctx **ret_ctx, struct tu_log *log, const char *fixture)
{
	*log = (struct tu_log){};
	*ret_root = tu_mkdtemp();
	*ret_ctx = tu_ctx_new(*ret_root, log);
	if (fixture)
		ck_assert_int_eq(fixture_build_named(*ret_root, fixture), 0);
}

void tu_root_teardown(char **root, struct igd_ctx **ctx, struct tu_log *log)
{
	*ctx = igd_ctx_free(*ctx);
	tu_log_reset(log);
	tu_rm_rf(*root);
	free(*root);
	*root = NULL;
}

static char *slurp_fd(int fd)
{
	char *buf = NULL, chunk[4096];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ssize_t n;

	ck_assert_ptr_nonnull(m);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		fwrite(chunk, 1, (size_t)n, m);
	fclose(m);
	return buf;
}

static int run(char *const argv[], char *const env[], bool journal, char **ret_out, char **ret_err)
{
	_cleanup_(freep) char *errfile = NULL;
	int out[2], errfd, status;
	pid_t pid;

	/* stderr to a file, stdout to a pipe: no deadlock on large outputs of either */
	{
		char *tmp = tu_mkdtemp();
		errfile = tu_path(tmp, "stderr");
		free(tmp);
	}
	ck_assert_int_eq(pipe(out), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int e = open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (devnull < 0 || e < 0)
			_exit(126);
		dup2(devnull, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(e, STDERR_FILENO);
		close(out[0]);
		/* what systemd sets for a unit whose stderr is the journal: that stream's dev:ino */
		if (journal) {
			struct stat st;
			char stream[64];

			if (fstat(STDERR_FILENO, &st) < 0)
				_exit(126);
			snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino);
			setenv("JOURNAL_STREAM", stream, 1);
		} else {
			unsetenv("JOURNAL_STREAM");
		}
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	*ret_out = slurp_fd(out[0]);
	close(out[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	errfd = open(errfile, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(errfd, 0);
	*ret_err = slurp_fd(errfd);
	close(errfd);
	unlink(errfile);
	*strrchr(errfile, '/') = '\0';
	rmdir(errfile);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int tu_run(char *const argv[], char *const env[], char **ret_out, char **ret_err)
{
	return run(argv, env, false, ret_out, ret_err);
}

int tu_run_journal(char *const argv[], char *const env[], char **ret_out, char **ret_err)
{
	return run(argv, env, true, ret_out, ret_err);
}

static FILE *digest_out;
static size_t digest_skip;

static int digest_one(const char *path, const struct stat *st, int type, struct FTW *ftw _unused_)
{
	const char *rel = path + digest_skip;

	if (type == FTW_SL) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		target[n < 0 ? 0 : n] = '\0';
		fprintf(digest_out, "L %s -> %s\n", rel, target);
	} else if (type == FTW_F) {
		_cleanup_(freep) char *content = tu_read_file(path);

		fprintf(digest_out, "F %s %o [%s]\n", rel, (unsigned)(st->st_mode & 07777),
			content ? content : "?");
	} else
		fprintf(digest_out, "D %s\n", rel);
	return 0;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *tu_tree_digest(const char *dir)
{
	char *raw = NULL, *sorted = NULL, **lines = NULL;
	size_t len = 0, n = 0, slen = 0;
	FILE *m;

	digest_out = open_memstream(&raw, &len);
	digest_skip = strlen(dir);
	ck_assert_int_eq(nftw(dir, digest_one, 16, FTW_PHYS), 0);
	fclose(digest_out);
	for (char *s = strtok(raw, "\n"); s; s = strtok(NULL, "\n")) {
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = s;
	}
	qsort(lines, n, sizeof(*lines), cmp_lines);
	m = open_memstream(&sorted, &slen);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s\n", lines[i]);
	fclose(m);
	free(lines);
	free(raw);
	return sorted;
}

char *tu_build_path(const char *rel)
{
	const char *b = getenv("IGD_TEST_BUILDDIR");

	return tu_path(b && *b ? b : "build", rel);
}

void tu_assert_same_tree(const char *before, const char *after)
{
	size_t i = 0, line = 0;

	/* Check cannot carry a message the size of a tree: show where it differs */
	while (before[i] && before[i] == after[i])
		if (before[i++] == '\n')
			line = i;
	ck_assert_msg(before[i] == after[i], "the tree changed; first difference near: %.200s", after + line);
}
