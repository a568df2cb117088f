/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_SAFEPATH_H
#define NSISOLATE_SAFEPATH_H

#include <stddef.h>

/*
 * Open the directory at `path` (absolute and canonical) with O_PATH, walking it one component
 * at a time from "/" without following any symlink.  Every component must be a directory
 * owned by root, and every parent must not be writable by group or others unless it is
 * sticky (a user could otherwise rename a component away and put their own in its place).
 *
 * Returns the fd, or -errno with the reason in err ("'/home/a' is owned by uid 1001").
 */
int safe_open_dir(const char *path, char *err, size_t errlen);

/* The same, below an already checked directory fd; `name` is one component. */
int safe_open_below(int dirfd, const char *dirpath, const char *name, char *err, size_t errlen);

/*
 * Create (mode 0700) or open the directory `name` below dirfd, then insist that it is a
 * directory owned by root that nobody else may enter.  Returns an O_RDONLY fd or -errno.
 */
int safe_private_dir(int dirfd, const char *dirpath, const char *name, char *err, size_t errlen);

/* safe_open_dir() of the parent, then safe_private_dir() of the last component. */
int safe_state_dir(const char *path, char *err, size_t errlen);
#endif
