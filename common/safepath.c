/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "safepath.h"
#include "util.h"

/* Checks one opened component.  `parent` is true when more components follow. */
static int
check_component(int fd, const char *shown, bool parent, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int r = -errno;

		(void)xsnprintf(err, errlen, "cannot stat '%s': %s", shown, strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		(void)xsnprintf(err, errlen, "'%s' is not a directory", shown);
		return -ENOTDIR;
	}
	/* Only root may own what we mount over or create state in. */
	if (st.st_uid != 0) {
		(void)xsnprintf(err, errlen, "'%s' is owned by uid %u, not root", shown,
				(unsigned)st.st_uid);
		return -EPERM;
	}
	/*
	 * A parent that others may write to lets them swap the next component; the sticky bit
	 * (as on /tmp) forbids renaming entries one does not own, which closes that door.
	 */
	if (parent && (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		(void)xsnprintf(err, errlen, "'%s' is writable by group or others (mode %04o)",
				shown, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int
safe_open_below(int dirfd, const char *dirpath, const char *name, char *err, size_t errlen)
{
	char shown[PATH_MAX];
	int fd, r;

	(void)xsnprintf(shown, sizeof(shown), "%s/%s", strcmp(dirpath, "/") ? dirpath : "", name);
	/* One plain component: no way up and out of the checked tree, no hidden walk. */
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		(void)xsnprintf(err, errlen, "'%s' is not a single path component", name);
		return -EINVAL;
	}
	r = check_component(dirfd, dirpath, true, err, errlen);
	if (r < 0)
		return r;
	/* O_NOFOLLOW|O_DIRECTORY: a symlink in place of the component fails with ENOTDIR. */
	fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		struct stat st;

		r = -errno;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			(void)xsnprintf(err, errlen, "'%s' is a symbolic link", shown);
		else
			(void)xsnprintf(err, errlen, "cannot open '%s': %s", shown, strerror(-r));
		return r;
	}
	r = check_component(fd, shown, false, err, errlen);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int
safe_open_dir(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX], shown[PATH_MAX] = "/";
	_cleanup_close_ int fd = -1;
	char *save = NULL, *comp;
	int r;

	if (path[0] != '/') {
		(void)xsnprintf(err, errlen, "'%s' is not an absolute path", path);
		return -EINVAL;
	}
	if (xsnprintf(buf, sizeof(buf), "%s", path) < 0) {
		(void)xsnprintf(err, errlen, "'%.64s...' is longer than %d bytes", path,
				PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = check_component(fd, "/", false, err, errlen);
	if (r < 0)
		return r;
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		/* Canonical paths only: no "." or ".." to walk back out of a checked tree. */
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			(void)xsnprintf(err, errlen, "'%s' is not canonical", path);
			return -EINVAL;
		}
		r = safe_open_below(fd, shown, comp, err, errlen);
		if (r < 0)
			return r;
		close(fd);
		fd = r;
		(void)xsnprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s",
				strcmp(shown, "/") ? "/" : "", comp);
	}
	return steal_fd(fd);
}

int
safe_private_dir(int dirfd, const char *dirpath, const char *name, char *err, size_t errlen)
{
	struct stat st;
	int fd, r;

	/* Open first: it exists at every login but the first, and mkdirat() is one lookup more. */
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			(void)xsnprintf(err, errlen, "cannot create '%s/%s': %s", dirpath, name,
					strerror(-r));
			return r;
		}
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		r = -errno;
		(void)xsnprintf(err, errlen, "cannot open '%s/%s': %s", dirpath, name,
				strerror(-r));
		return r;
	}
	/* Our state is root's alone: a record or directory others can touch is not ours. */
	if (fstat(fd, &st) < 0) {
		r = -errno;
		(void)xsnprintf(err, errlen, "cannot stat '%s/%s': %s", dirpath, name,
				strerror(-r));
		close(fd);
		return r;
	}
	if (st.st_uid != 0 || (st.st_mode & 077)) {
		(void)xsnprintf(err, errlen,
				"'%s/%s' must be a directory owned by root with mode 0700 (uid %u, "
				"mode %04o)",
				dirpath, name, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	return fd;
}

int
safe_state_dir(const char *path, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	const char *base = strrchr(path, '/');
	_cleanup_close_ int pfd = -1;

	if (!base || base == path || base[1] == '\0' ||
	    xsnprintf(parent, sizeof(parent), "%.*s", (int)(base - path), path) < 0) {
		(void)xsnprintf(err, errlen, "'%s' cannot hold state", path);
		return -EINVAL;
	}
	pfd = safe_open_dir(parent, err, errlen);
	if (pfd < 0)
		return pfd;
	return safe_private_dir(pfd, parent, base + 1, err, errlen);
}
