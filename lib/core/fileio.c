/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <string.h>

#include "core/fileio.h"
#include "core/macro.h"

int file_open_regular(const char *path, unsigned flags, FILE **ret, struct stat *ret_st)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;
	FILE *f;
	int fl;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (flags & FILE_NOFOLLOW ? O_NOFOLLOW : 0));
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	/* a regular file never blocks; clear the flag so no read sees EAGAIN */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return negative_errno();
	f = fdopen(fd, "r");
	if (!f)
		return negative_errno();
	fd = -1; /* f owns it now */
	if (ret_st)
		*ret_st = st;
	*ret = f;
	return 0;
}

int file_read_line(const char *path, unsigned flags, char **ret)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t cap = 0;
	int r;

	if (flags & FILE_KERNEL) {
		f = fopen(path, "re");
		if (!f)
			return negative_errno();
	} else {
		r = file_open_regular(path, flags, &f, NULL);
		if (r < 0)
			return r;
	}
	errno = 0;
	if (getline(&line, &cap, f) < 0)
		return ferror(f) || errno ? negative_errno() : -ENODATA;
	line[strcspn(line, "\n")] = '\0';
	*ret = TAKE_PTR(line);
	return 0;
}

int file_read_link(const char *path, char **ret)
{
	/* readlink does not say when it truncated: grow until the target fits */
	for (size_t size = 256;; size *= 2) {
		_cleanup_(freep) char *buf = malloc(size);
		ssize_t n;

		if (!buf)
			return -ENOMEM;
		n = readlink(path, buf, size);
		if (n < 0)
			return negative_errno();
		if ((size_t)n < size) {
			buf[n] = '\0';
			*ret = TAKE_PTR(buf);
			return 0;
		}
	}
}

const char *file_strerror(int r)
{
	switch (r) {
	case -EBADFD:
		return "not a regular file (a FIFO, a device or a socket)";
	case -ELOOP:
		return "a symbolic link, which is not followed here";
	default:
		return strerror(-r);
	}
}
