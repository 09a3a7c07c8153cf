/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Opening the files we read as input (configs, Proxmox's files, our own
 * records): something other than a regular file in their place (a FIFO, a
 * device, a socket) must be refused at once, never block the boot or a hook.
 *
 * The sysfs and procfs attributes are not opened through this: they are not
 * regular files in the sense checked here (procfs reports S_IFREG with size
 * 0, sysfs attributes can block by design, e.g. a driver's attribute), and
 * their place is a kernel filesystem no user can put a FIFO in. They are
 * read with FILE_KERNEL.
 */
#pragma once

#include <stdio.h>
#include <sys/stat.h>

/* Flags for file_open_regular() and file_read_line(). */
enum {
	/*
	 * The last component must not be a symlink (-ELOOP). Links in the
	 * directories above are followed: /etc/pve/qemu-server is itself a
	 * link into /etc/pve/nodes/NODE/ on Proxmox.
	 */
	FILE_NOFOLLOW = 1 << 0,
	/*
	 * A sysfs or procfs attribute (file_read_line() only): opened as it
	 * is, without the regular-file test; FILE_NOFOLLOW is ignored then.
	 */
	FILE_KERNEL = 1 << 1,
};

/*
 * Opens path for reading: O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK (so opening
 * a FIFO returns at once), fstat, then requires a regular file, and clears
 * O_NONBLOCK again for the reads. Returns 0 with the stream in *ret (and its
 * stat in *ret_st when not NULL), or -errno: that of open(2) (-ENOENT,
 * -ELOOP for a link with FILE_NOFOLLOW, ...), -EISDIR for a directory,
 * -EBADFD for any other file that is not regular.
 */
int file_open_regular(const char *path, unsigned flags, FILE **ret, struct stat *ret_st);

/*
 * The first line of a file, without its newline, malloc'd in *ret: every
 * reader of a one-line file (sysfs and procfs attributes, pid files,
 * /etc/hostname, /proc/cmdline) goes through this one rule:
 *
 *   "abc\n..." and "abc" (no newline)  ->  0, "abc"
 *   "\n..." (the first line is empty)   ->  0, ""
 *   an empty file (no byte at all)      ->  -ENODATA: there is no first line
 *
 * Other errors: that of the open (file_open_regular()'s -errno, or fopen's
 * with FILE_KERNEL) or of the read. *ret is only written on success.
 */
int file_read_line(const char *path, unsigned flags, char **ret);

/* The target of the symlink at path, malloc'd in *ret, never truncated. 0 or -errno. */
int file_read_link(const char *path, char **ret);

/*
 * strerror() with a plain wording for what file_open_regular() refuses:
 * "not a regular file (a FIFO)" and the like for -EBADFD, "is a symbolic
 * link" for -ELOOP. r is -errno. The string is static or strerror's.
 */
const char *file_strerror(int r);
