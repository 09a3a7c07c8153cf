/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-device.h>
#include <unistd.h>

#include "topology/udevdb.h"

void udev_props_done(struct udev_props *p)
{
	free(p->fs_type);
	free(p->fs_label);
	free(p->dm_name);
	free(p->dm_vg);
	free(p->dm_lv);
	free(p->dm_layer);
	*p = (struct udev_props){};
}

static const char *const keys[] = { "ID_FS_TYPE", "ID_FS_LABEL", "DM_NAME", "DM_VG_NAME", "DM_LV_NAME", "DM_LV_LAYER" };

static char **slot(struct udev_props *p, size_t k)
{
	char **v[] = { &p->fs_type, &p->fs_label, &p->dm_name, &p->dm_vg, &p->dm_lv, &p->dm_layer };

	return v[k];
}

static int set_value(struct udev_props *p, size_t k, const char *value, size_t len)
{
	char *s = strndup(value, len), **to = slot(p, k);

	if (!s)
		return -ENOMEM;
	free(*to);
	*to = s;
	return 0;
}

/* One line (without its newline): "E:KEY=VALUE" sets KEY when it is one of ours. */
static int parse_line(struct udev_props *p, const char *line, size_t len)
{
	const char *eq;

	if (len < 2 || line[0] != 'E' || line[1] != ':')
		return 0;
	line += 2;
	len -= 2;
	eq = memchr(line, '=', len);
	if (!eq)
		return 0;
	for (size_t k = 0; k < ELEMENTSOF(keys); k++)
		if ((size_t)(eq - line) == strlen(keys[k]) && memcmp(line, keys[k], eq - line) == 0)
			return set_value(p, k, eq + 1, len - (size_t)(eq + 1 - line));
	return 0;
}

int udevdb_parse(const char *text, size_t len, struct udev_props *ret)
{
	_cleanup_(udev_props_done) struct udev_props p = {};

	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;
		int r;

		/* a NUL inside a value would cut it short: take such a line as it reads up to the NUL */
		r = parse_line(&p, text, strnlen(text, n));
		if (r < 0)
			return r;
		text += n;
		len -= n;
		if (nl) {
			text++;
			len--;
		}
	}
	*ret = p;
	p = (struct udev_props){};
	return 0;
}

/* Reads all of path (a udev record is small; 1 MiB is far above any real one). */
static int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	_cleanup_(freep) char *buf = NULL;
	size_t len = 0, size = 0;
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADF;
	for (;;) {
		ssize_t n;

		if (len == size) {
			char *b;

			if (size >= 1024 * 1024)
				return -EFBIG;
			size = size ? size * 2 : 4096;
			b = realloc(buf, size);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int read_db_file(const struct igd_ctx *ctx, unsigned major, unsigned minor, struct udev_props *ret)
{
	_cleanup_(freep) char *path = igd_path(ctx, "/run/udev/data/b%u:%u", major, minor);
	_cleanup_(freep) char *text = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file(path, &text, &len);
	if (r == -ENOENT) {
		*ret = (struct udev_props){};
		return 0;
	}
	if (r < 0)
		return r;
	return udevdb_parse(text, len, ret);
}

static int copy_property(sd_device *dev, const char *key, char **to)
{
	const char *v = NULL;
	int r = sd_device_get_property_value(dev, key, &v);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	*to = strdup(v);
	return *to ? 0 : -ENOMEM;
}

static int read_sd_device(unsigned major, unsigned minor, struct udev_props *ret)
{
	_cleanup_(sd_device_unrefp) sd_device *dev = NULL;
	_cleanup_(udev_props_done) struct udev_props p = {};
	int r;

	r = sd_device_new_from_devnum(&dev, 'b', makedev(major, minor));
	if (r == -ENOENT || r == -ENODEV || r == -ENXIO) {
		*ret = (struct udev_props){};
		return 0;
	}
	if (r < 0)
		return r;
	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		r = copy_property(dev, keys[k], slot(&p, k));
		if (r < 0)
			return r;
	}
	*ret = p;
	p = (struct udev_props){};
	return 0;
}

int udevdb_read(const struct igd_ctx *ctx, unsigned major, unsigned minor, struct udev_props *ret)
{
	if (igd_ctx_root_is_host(ctx))
		return read_sd_device(major, minor, ret);
	return read_db_file(ctx, major, minor, ret);
}
