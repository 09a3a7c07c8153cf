/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A Proxmox VM's config (<root>/etc/pve/qemu-server/VMID.conf) as far as
 * the hookscript needs it: the current section only (not the snapshots in
 * [name] sections, not [PENDING]), its hostpciN entries with their options,
 * machine and vga. Mappings (hostpciN: mapping=NAME) are resolved through
 * <root>/etc/pve/mapping/pci.cfg for this node.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/pci_addr.h"

/* Proxmox's MAX_HOSTPCI_DEVICES: hostpci0 .. hostpci15. */
#define VM_HOSTPCI_MAX 16

struct vm_hostpci {
	unsigned index;        /* N of hostpciN */
	/*
	 * host= ("a;b;c"), or the paths of the mapping's map lines for this node, one
	 * after the other; a slot has !has_func. They form n_alts alternatives: the
	 * k-th is addrs[k ? alt_ends[k - 1] : 0] up to addrs[alt_ends[k]] (exclusive).
	 * host= is one alternative; so is each map line, whose path list is passed
	 * together. Proxmox takes one alternative per entry (hostpci_choose).
	 */
	struct pci_addr *addrs;
	size_t n_addrs;
	size_t *alt_ends;
	size_t n_alts;
	int *alt_iommugroup;    /* a mapping's: each map line's iommugroup=, or -1; NULL for host= */
	char *mapping;          /* mapping=NAME, or NULL */
	char *mdev;             /* mdev=TYPE: a mediated device of the parent, which keeps its driver; or NULL */
	bool driver_keep;       /* driver=keep: Proxmox neither binds nor resets it */
	bool legacy_igd;        /* legacy-igd=1 */
	bool pcie, x_vga;
	int rombar;             /* -1 unset, 0, 1 */
	char *romfile;          /* romfile=, or NULL */
};

struct vm_config {
	uint32_t vmid;
	struct vm_hostpci *hostpci;
	size_t n_hostpci;
	char *machine; /* "pc-i440fx-9.2", "q35", ... or NULL (Proxmox default: i440fx) */
	char *vga;     /* the vga: value up to its first ',' ("none", "virtio", ...), or NULL */
	char *vga_raw; /* the whole vga: value, or NULL: qemu-server's legacy-igd rule compares it */
	char *hookscript; /* hookscript: "STORAGE:snippets/NAME", or NULL */
	bool is_template; /* template: 1: started only for a backup, without its hostpci entries */
};

/*
 * Reads the VM's config. Returns 0, -ENOENT (no such VM; logged), -EBADMSG
 * for a hostpci value that cannot be understood (logged as "PATH:LINE:
 * message"), or another -errno (logged). A mapping that is not defined, or
 * has no map for this node, is -ENXIO (logged, naming the mapping and the
 * node). The node is the first label of <root>/etc/hostname (else uname).
 */
int vm_config_read(const struct igd_ctx *ctx, uint32_t vmid, struct vm_config *ret);
void vm_config_done(struct vm_config *c);

/* Parses one hostpciN value ("0000:00:02,legacy-igd=1,romfile=x.rom"). 0 or -EBADMSG; mapping unresolved. */
int vm_hostpci_parse(const char *value, struct vm_hostpci *ret);
void vm_hostpci_done(struct vm_hostpci *h);

/*
 * Resolves mapping=NAME for node from pci.cfg: the paths of its map lines for
 * node, in order ("a;b" lists: all of them). 0 or -errno (logged).
 */
int vm_mapping_resolve(const struct igd_ctx *ctx, const char *cfg_path, const char *node,
		       const char *name, struct pci_addr **ret, size_t *ret_n);
/*
 * The same, with the alternatives: ret_ends as in struct vm_hostpci, one per map
 * line, and each map line's iommugroup= (-1 when it has none) in ret_groups.
 */
int vm_mapping_resolve_alts(const struct igd_ctx *ctx, const char *cfg_path, const char *node,
			    const char *name, struct pci_addr **ret, size_t *ret_n, size_t **ret_ends,
			    int **ret_groups, size_t *ret_n_alts);
/* The addresses of alternative k of h, and their number. */
const struct pci_addr *vm_hostpci_alt(const struct vm_hostpci *h, size_t k, size_t *ret_n);

/*
 * This node's name as Proxmox's maps name it: the first label (up to the first '.') of the
 * first line of <root>/etc/hostname, else of uname's nodename. 0 or -errno (logged).
 */
int vm_node_name(const struct igd_ctx *ctx, char **ret);

/* machine: is a q35 machine ("q35", "pc-q35-9.2+pve1"). */
bool vm_machine_is_q35(const char *machine);
