/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What udev knows about a block device: the few properties the storage
 * safety check reads (filesystem or member type, label, LVM names). On the
 * host through libsystemd's sd-device; under another root from
 * <root>/run/udev/data/b<MAJOR>:<MINOR>, udev's own database format.
 */
#pragma once

#include "core/context.h"

struct udev_props {
	char *fs_type;  /* ID_FS_TYPE: "ext4", "zfs_member", "LVM2_member", "crypto_LUKS" ... */
	char *fs_label; /* ID_FS_LABEL: a ZFS member's pool name */
	char *dm_name;  /* DM_NAME: "pve-root", "luks-..." */
	char *dm_vg;    /* DM_VG_NAME */
	char *dm_lv;    /* DM_LV_NAME: "data", "data_tdata" */
	char *dm_layer; /* DM_LV_LAYER: "tpool" for a thin pool's inner device */
};

void udev_props_done(struct udev_props *p);

/*
 * Parses a udev database record (lines "E:KEY=VALUE"; other lines and keys are
 * ignored; text need not end in a newline nor be NUL-terminated). On a key given
 * twice the last wins, as udev does. Returns 0 or -ENOMEM; *ret is left
 * untouched on failure.
 */
int udevdb_parse(const char *text, size_t len, struct udev_props *ret);

/*
 * The properties of block device MAJOR:MINOR. A device udev has no record of
 * gives empty properties and 0 (missing data means no type, not doubt).
 * Returns -errno when the record exists but cannot be read.
 */
int udevdb_read(const struct igd_ctx *ctx, unsigned major, unsigned minor, struct udev_props *ret);
