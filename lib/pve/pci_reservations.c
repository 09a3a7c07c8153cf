/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/macro.h"
#include "core/parse.h"
#include "core/sysfs.h"
#include "pve/pci_reservations.h"

#define RESERVATIONS "/run/qemu-server/pci-id-reservations"

/* "0000:00:1f.3 101 pid:4242": the line qemu-server's reader matches, exactly one space apart. */
static int parse_line(char *line, struct pci_reservation *ret)
{
	char *id = line, *vmid, *kind, *colon;
	uint64_t v;

	line[strcspn(line, "\n")] = '\0';
	vmid = strchr(id, ' ');
	if (!vmid)
		return -EINVAL;
	*vmid++ = '\0';
	kind = strchr(vmid, ' ');
	if (!kind)
		return -EINVAL;
	*kind++ = '\0';
	if (pci_addr_parse(id, PCI_ADDR_LONG_DOMAIN, &ret->addr) < 0)
		return -EINVAL;
	if (safe_atou64(vmid, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	ret->vmid = (uint32_t)v;
	colon = strchr(kind, ':');
	if (!colon)
		return -EINVAL;
	if ((size_t)(colon - kind) == 3 && strncmp(kind, "pid", 3) == 0)
		ret->by_pid = true;
	else if ((size_t)(colon - kind) == 4 && strncmp(kind, "time", 4) == 0)
		ret->by_pid = false;
	else
		return -EINVAL;
	return safe_atou64(colon + 1, &ret->value);
}

/* argv[0] as qemu-server's parse_cmdline wants it: ends in "kvm", or its last part is "qemu-*". */
static bool is_qemu(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	size_t n = strlen(argv0);

	base = base ? base + 1 : argv0;
	return (n >= 3 && strcmp(argv0 + n - 3, "kvm") == 0) ||
	       (strncmp(base, "qemu-", 5) == 0 && base[5] != '\0');
}

/*
 * The -pidfile (or --pidfile) value of the NUL-separated command line in f,
 * when argv[0] is a QEMU, else NULL, in *ret. 0 or -ENOMEM.
 */
static int qemu_pidfile(FILE *f, char **ret)
{
	_cleanup_(freep) char *arg = NULL;
	size_t cap = 0;
	bool first = true, next_is_value = false;

	*ret = NULL;
	while (getdelim(&arg, &cap, '\0', f) > 0) {
		if (first && !is_qemu(arg))
			return 0;
		first = false;
		if (next_is_value) {
			*ret = strdup(arg);
			return *ret ? 0 : -ENOMEM;
		}
		next_is_value = strcmp(arg, "-pidfile") == 0 || strcmp(arg, "--pidfile") == 0;
	}
	return 0;
}

bool pci_reservations_vm_runs(const struct igd_ctx *ctx, uint32_t vmid, uint64_t pid)
{
	_cleanup_(freep) char *pidfile = igd_path(ctx, "/run/qemu-server/%" PRIu32 ".pid", vmid);
	_cleanup_(freep) char *cmdpath = igd_path(ctx, "/proc/%" PRIu64 "/cmdline", pid);
	_cleanup_(freep) char *line = NULL, *value = NULL, *want = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	uint64_t v;

	if (!pidfile || !cmdpath || file_read_line(pidfile, FILE_NOFOLLOW, &line) < 0)
		return false;
	if (safe_atou64(line, &v) < 0 || v != pid)
		return false;
	f = fopen(cmdpath, "re");
	if (!f || qemu_pidfile(f, &value) < 0 || !value)
		return false;
	/* Proxmox names the file through /var/run, and compares the names */
	if (asprintf(&want, "/var/run/qemu-server/%" PRIu32 ".pid", vmid) < 0) {
		want = NULL;
		return false;
	}
	return strcmp(value, want) == 0;
}

int pci_reservations_read(const struct igd_ctx *ctx, time_t now, struct pci_reservations *ret)
{
	_cleanup_(freep) char *path = igd_path(ctx, RESERVATIONS);
	_cleanup_(freep) char *line = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	struct pci_reservations res = {};
	size_t cap = 0;
	int k;

	if (!path)
		return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Out of memory");
	k = file_open_regular(path, FILE_NOFOLLOW, &f, NULL);
	if (k < 0) {
		if (k == -ENOENT) {
			*ret = res;
			return 0;
		}
		log_error(ctx, "Cannot open %s: %s", path, file_strerror(k));
		return k;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct pci_reservation r = {}, *v;

		if (parse_line(line, &r) < 0)
			continue;
		r.in_force = r.by_pid ? pci_reservations_vm_runs(ctx, r.vmid, r.value)
				      : r.value > (uint64_t)now;
		v = reallocarray(res.v, res.n + 1, sizeof(*v));
		if (!v) {
			pci_reservations_done(&res);
			return igd_log_errno(ctx, LOG_ERR, ENOMEM, "Out of memory");
		}
		res.v = v;
		res.v[res.n++] = r;
	}
	if (ferror(f)) {
		pci_reservations_done(&res);
		return igd_log_errno(ctx, LOG_ERR, EIO, "Cannot read %s", path);
	}
	*ret = res;
	return 0;
}

void pci_reservations_done(struct pci_reservations *r)
{
	if (!r)
		return;
	free(r->v);
	*r = (struct pci_reservations){};
}

uint32_t pci_reservations_other(const struct pci_reservations *r, const struct pci_addr *a,
				uint32_t vmid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].in_force && r->v[i].vmid != vmid && pci_addr_equal(&r->v[i].addr, a))
			return r->v[i].vmid;
	return 0;
}

bool pci_reservations_own(const struct pci_reservations *r, const struct pci_addr *a, uint32_t vmid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].vmid == vmid && pci_addr_equal(&r->v[i].addr, a))
			return true;
	return false;
}
