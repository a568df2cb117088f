/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/safepath.h"
#include "cache.h"
#include "set.h"
#include "store.h"

/*
 * The file decides who gets isolated: whoever can write it, or rename things in its
 * directory, owns every login.  So it must be a regular file (never a symlink, which could
 * point anywhere), owned by root, writable by nobody else, in a directory of the same kind.
 */
static int
check_file(int fd, const char *path, uid_t owner, struct conf_diags *d)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int r = -errno;

		conf_diag_add(d, 0, "cannot stat: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_diag_add(d, 0, "not a regular file");
		return -EINVAL;
	}
	if (st.st_uid != owner) {
		conf_diag_add(d, 0, "owned by uid %u, must be owned by %s", (unsigned)st.st_uid,
			      owner == 0 ? "root" : "the checking user");
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		conf_diag_add(d, 0, "writable by group or others (mode %04o); chmod go-w '%s'",
			      (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	if (st.st_size > (off_t)CONF_MAX_FILE_SIZE) {
		conf_diag_add(d, 0, "file is larger than %u bytes", CONF_MAX_FILE_SIZE);
		return -EFBIG;
	}
	return 0;
}

static int
check_dir(const char *path, uid_t owner, struct conf_diags *d)
{
	_cleanup_free_ char *copy = strdup(path);
	struct stat st;

	if (!copy)
		return -ENOMEM;
	if (stat(dirname(copy), &st) < 0) {
		int r = -errno;

		conf_diag_add(d, 0, "cannot stat its directory: %s", strerror(-r));
		return r;
	}
	if (st.st_uid != owner || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		conf_diag_add(d, 0,
			      "its directory '%s' is not owned by %s or is writable by group or "
			      "others",
			      copy, owner == 0 ? "root" : "the checking user");
		return -EPERM;
	}
	return 0;
}

static int
read_all(int fd, char **ret, size_t *ret_len)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			/* The size was checked, but the file may grow while we read. */
			if (cap > CONF_MAX_FILE_SIZE) {
				free(buf);
				return -EFBIG;
			}
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* A drop-in (dirfd, an fd of its checked directory) or, with AT_FDCWD, the main file. */
int
conf_open_checked_at(int dirfd, const char *rel, const char *shown, uid_t owner,
		     struct conf_diags *d)
{
	_cleanup_close_ int fd = -1;
	int r;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang the login. */
	fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			conf_diag_add(d, 0, "is a symbolic link; refusing to follow it");
		else
			conf_diag_add(d, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if ((r = check_file(fd, shown, owner, d)) < 0 ||
	    (dirfd == AT_FDCWD && (r = check_dir(rel, owner, d)) < 0))
		return r;
	return steal_fd(fd);
}

int
conf_read_fd(int fd, char **ret, size_t *ret_len, struct conf_diags *d)
{
	int r = read_all(fd, ret, ret_len);

	if (r == -EFBIG)
		conf_diag_add(d, 0, "file is larger than %u bytes", CONF_MAX_FILE_SIZE);
	else if (r < 0)
		conf_diag_add(d, 0, "cannot read: %s", strerror(-r));
	return r;
}

int
conf_load(const char *path, uid_t owner, struct conf **ret, struct conf_diags *d)
{
	struct conf_set s;
	int r = conf_set_open(&s, path, NULL, owner, d);

	if (r < 0)
		return r;
	r = conf_set_parse(&s, ret, d);
	conf_set_close(&s);
	return r;
}

int
conf_check_targets(const struct conf *c, struct conf_diags *d)
{
	int ret = 0;

	for (uint32_t i = 0; i < c->h->n_privs; i++) {
		const struct conf_priv *p = conf_priv(c, i);
		char err[PATH_MAX + 64];
		int fd = safe_open_dir(conf_str(c, p->path), err, sizeof(err));

		if (fd < 0) {
			(void)conf_diags_file(d, conf_file(c, p->file));
			conf_diag_add(d, p->line, "private '%s': %s", conf_str(c, p->path), err);
			ret = -EINVAL;
		} else {
			close(fd);
		}
	}
	return ret;
}
