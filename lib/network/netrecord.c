/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/rundir.h"
#include "core/time_util.h"
#include "network/netrecord.h"

/* Writes the record; on failure logs at level what failed and returns -errno. */
static int record_write(const struct igd_ctx *ctx, const struct netrecord_entry *v, size_t n, int level)
{
	_cleanup_(freep) char *dir = NULL;
	_cleanup_(freep) char *path = NULL, *tmp = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	int fd, r;

	r = run_dir_prepare(ctx, level, &dir);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/cycled-nics", dir) < 0 || asprintf(&tmp, "%s/.cycled-nics.XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return igd_log_errno(ctx, level, errno, "Cannot create %s: %m", tmp);
	f = fdopen(fd, "w");
	if (!f) {
		r = negative_errno();
		close(fd);
		unlink(tmp);
		return igd_log_errno(ctx, level, r, "Cannot write %s: %m", tmp);
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s %s %" PRIu64 "\n", PCI_ADDR_STR(&v[i].addr), v[i].ifname,
			v[i].bridge ? v[i].bridge : "-", v[i].removed_usec);
	r = fflush(f) == 0 && fchmod(fileno(f), 0644) == 0 ? 0 : negative_errno();
	if (r == 0 && rename(tmp, path) < 0)
		r = negative_errno();
	if (r < 0) {
		unlink(tmp);
		return igd_log_errno(ctx, level, r, "Cannot write %s: %m", path);
	}
	return 0;
}

int netrecord_write(const struct igd_ctx *ctx, const struct netrecord_entry *v, size_t n)
{
	return record_write(ctx, v, n, LOG_ERR);
}

void netrecord_mark_removed(const struct igd_ctx *ctx, struct netrecord_entry *v, size_t n,
			    const struct pci_addr *addr)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t was = v[i].removed_usec;

		if (!pci_addr_equal(&v[i].addr, addr))
			continue;
		v[i].removed_usec = boottime_usec();
		if (record_write(ctx, v, n, LOG_WARNING) < 0) {
			v[i].removed_usec = was;
			log_warning(ctx, "The notifier will not know when %s (%s) was removed and reports "
					 "no downtime for it.",
				    PCI_ADDR_STR(addr), v[i].ifname);
		}
		return;
	}
}

void netrecord_free(struct netrecord_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].ifname);
		free(v[i].bridge);
	}
	free(v);
}

static int parse_line(const char *line, struct netrecord_entry *e)
{
	_cleanup_(freep) char *addr = NULL, *ifname = NULL, *bridge = NULL;
	uint64_t usec;
	char extra;

	if (sscanf(line, "%ms %ms %ms %" SCNu64 " %c", &addr, &ifname, &bridge, &usec, &extra) != 4)
		return -EBADMSG;
	if (pci_addr_parse(addr, 0, &e->addr) < 0)
		return -EBADMSG;
	e->removed_usec = usec;
	e->ifname = TAKE_PTR(ifname);
	if (strcmp(bridge, "-") != 0)
		e->bridge = TAKE_PTR(bridge);
	return 0;
}

int netrecord_read(const struct igd_ctx *ctx, struct netrecord_entry **ret, size_t *ret_n)
{
	_cleanup_(freep) char *path = igd_path(ctx, RUN_DIR "/cycled-nics");
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	struct netrecord_entry *v = NULL;
	size_t n = 0, cap = 0;
	unsigned lineno = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = file_open_regular(path, FILE_NOFOLLOW, &f, NULL);
	if (r < 0) {
		if (r != -ENOENT) {
			log_error(ctx, "Cannot read %s: %s", path, file_strerror(r));
			return r;
		}
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct netrecord_entry *nv = reallocarray(v, n + 1, sizeof(*v));

		lineno++;
		if (!nv) {
			netrecord_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		v[n] = (struct netrecord_entry){};
		r = parse_line(line, &v[n]);
		if (r < 0) {
			netrecord_free(v, n + 1);
			if (r == -EBADMSG)
				log_error(ctx, "%s:%u: malformed record line.", path, lineno);
			return r;
		}
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
