/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VMs of this node and what they pass of the iGPU and the PCH audio function. */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "admin/detect.h"
#include "core/macro.h"
#include "core/parse.h"
#include "pve/vmconf.h"

/* "100.conf" -> 100; false for anything else (a VMID has no leading zero and fits 32 bits). */
static bool conf_vmid(const char *name, uint32_t *ret)
{
	char stem[11]; /* 10 digits: UINT32_MAX has 10, and there is no leading zero */
	size_t len = strlen(name);
	unsigned v;

	if (name[0] < '1' || name[0] > '9' || len < 5 || len - 5 >= sizeof(stem) ||
	    strcmp(name + len - 5, ".conf") != 0)
		return false;
	memcpy(stem, name, len - 5);
	stem[len - 5] = '\0';
	if (safe_atou(stem, &v) < 0)
		return false;
	*ret = v;
	return true;
}

/* Whether an address of the entry's alternatives is dev or the slot dev is in. */
static bool entry_holds(const struct vm_hostpci *h, const struct pci_device *dev)
{
	if (!dev)
		return false;
	for (size_t k = 0; k < h->n_alts; k++) {
		size_t n;
		const struct pci_addr *a = vm_hostpci_alt(h, k, &n);

		for (size_t i = 0; i < n; i++)
			if (pci_addr_in_slot(&dev->addr, &a[i]))
				return true;
	}
	return false;
}

static void vm_fill(const struct vm_config *c, const struct pci_device *igpu, const struct pci_device *audio,
		    struct detect_vm *v)
{
	*v = (struct detect_vm){ .vmid = c->vmid };
	for (size_t i = 0; i < c->n_hostpci; i++) {
		const struct vm_hostpci *h = &c->hostpci[i];

		if (h->mdev)
			continue; /* a mediated device keeps its parent on the host driver */
		if (entry_holds(h, igpu)) {
			v->igpu = true;
			v->legacy_igd |= h->legacy_igd;
		}
		v->audio |= entry_holds(h, audio);
	}
}

static int cmp_vm(const void *x, const void *y)
{
	const struct detect_vm *a = x, *b = y;

	return a->vmid < b->vmid ? -1 : a->vmid > b->vmid;
}

int detect_read_vms(const struct igd_ctx *ctx, const struct pci_device *igpu, const struct pci_device *audio,
		    struct detect_vm **ret, size_t *ret_n)
{
	_cleanup_(freep) char *dir = igd_path(ctx, "/etc/pve/qemu-server");
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_(freep) struct detect_vm *v = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*ret = NULL;
			*ret_n = 0;
			return 0;
		}
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot read the VM configs in %s: %m", dir);
	}
	while ((errno = 0, de = readdir(d))) {
		struct vm_config c = {};
		struct detect_vm *w;
		uint32_t vmid;
		int r;

		if (!conf_vmid(de->d_name, &vmid))
			continue;
		r = vm_config_read(ctx, vmid, &c);
		if (r < 0) {
			if (r == -ENOMEM)
				return r;
			log_warning(ctx, "VM %" PRIu32 " is left out: its config cannot be read (see above).", vmid);
			continue;
		}
		if (!c.is_template) {
			w = reallocarray(v, n + 1, sizeof(*v));
			if (!w) {
				vm_config_done(&c);
				return -ENOMEM;
			}
			v = w;
			vm_fill(&c, igpu, audio, &v[n++]);
		}
		vm_config_done(&c);
	}
	if (errno != 0)
		return igd_log_errno(ctx, LOG_ERR, errno, "Cannot read the VM configs in %s: %m", dir);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_vm);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}
