/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A scratch directory per test, made with mkdtemp under /var/tmp (root's and sticky, so the
 * safe path walk accepts it) and removed in teardown whatever the test left in it.
 */
#ifndef NSISOLATE_TMPDIR_H
#define NSISOLATE_TMPDIR_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/util.h"

struct tmpdir {
	char path[64];
	char buf[PATH_MAX]; /* for tmp_path() */
};

static inline int
tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	(void)xsnprintf(t->path, sizeof(t->path), "/var/tmp/nsi-test-XXXXXX");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static inline int
remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static inline int
tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;
	int r = nftw(t->path, remove_one, 16, FTW_DEPTH | FTW_PHYS);

	free(t);
	return r == 0 ? 0 : -1;
}

/* "<tmpdir>/<rel>", in a buffer that the next call reuses. */
static inline const char *
tmp_path(struct tmpdir *t, const char *rel)
{
	if (xsnprintf(t->buf, sizeof(t->buf), "%s/%s", t->path, rel) < 0)
		return "/nonexistent/path-too-long";
	return t->buf;
}

/* Create a file with exactly `mode` (umask does not apply) and these contents. */
static inline int
tmp_write(struct tmpdir *t, const char *rel, const char *text, size_t len, mode_t mode)
{
	int fd = open(tmp_path(t, rel), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0)
		r = -EIO;
	close(fd);
	return r;
}

static inline int
tmp_mkdir(struct tmpdir *t, const char *rel, mode_t mode)
{
	const char *p = tmp_path(t, rel);

	/* chmod after mkdir: umask would take group/other bits and mkdir ignores the sticky bit. */
	return mkdir(p, 0700) == 0 && chmod(p, mode) == 0 ? 0 : -errno;
}

/* The number the next open() returns: unchanged if nothing leaked a descriptor. */
static inline int
next_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

#endif
