/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/sysfs.h"

int sysfs_write(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, r = 0;

	/* no O_CREAT: a missing attribute must fail, not become a regular file */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	/* sysfs attributes take the value in a single write */
	n = write(fd, value, len);
	if (n < 0)
		r = negative_errno();
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = negative_errno();
	return r;
}

int sysfs_read_line(const char *path, char **ret)
{
	return file_read_line(path, FILE_KERNEL, ret);
}

int sysfs_read_link_name(const char *path, char **ret)
{
	_cleanup_(freep) char *target = NULL;
	const char *base;
	char *name;
	int r;

	r = file_read_link(path, &target);
	if (r < 0)
		return r;
	base = strrchr(target, '/');
	name = strdup(base ? base + 1 : target);
	if (!name)
		return -ENOMEM;
	*ret = name;
	return 0;
}

char *sysfs_dev_path(const struct igd_ctx *ctx, const struct pci_addr *a, const char *attr)
{
	return igd_path(ctx, "/sys/bus/pci/devices/%s%s%s", PCI_ADDR_STR(a), attr ? "/" : "",
			attr ? attr : "");
}

bool sysfs_dev_present(const struct igd_ctx *ctx, const struct pci_addr *a)
{
	_cleanup_(freep) char *p = sysfs_dev_path(ctx, a, NULL);
	struct stat st;

	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int sysfs_dev_driver(const struct igd_ctx *ctx, const struct pci_addr *a, char **ret)
{
	_cleanup_(freep) char *p = sysfs_dev_path(ctx, a, "driver");
	int r;

	if (!p)
		return -ENOMEM;
	r = sysfs_read_link_name(p, ret);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	return r;
}
