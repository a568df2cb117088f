/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_CACHE_H
#define NSISOLATE_CACHE_H

#include "conf.h"

/*
 * The largest entry written.  Every configuration is cached, the shipped one too: parsing
 * even 1.5 KB costs a login a dozen page faults (libconfuse's code and allocations), mapping
 * the entry two.
 */
#define CONF_CACHE_MAX_SIZE (64u << 20)

/* Read the whole file from its current offset (at most CONF_MAX_FILE_SIZE bytes). */
int conf_read_fd(int fd, char **ret, size_t *ret_len, struct conf_diags *d);

/*
 * conf_load() with a cache: parsed once per change of the file or of its drop-ins and kept,
 * already checked and flat, in `cache_dirfd` (a root-only directory), then mapped as it is.
 * An entry is used only while the file and its drop-ins hold the very texts it was parsed
 * from (the entry keeps a copy; every call reads them all and compares).  With cache_dirfd < 0, or when the
 * cache cannot be used, it is plain conf_load().
 */
int conf_load_cached(const char *path, uid_t owner, int cache_dirfd, struct conf **ret,
		     struct conf_diags *d);

/* Check a table read from outside (a cache file): every offset and index within bounds. */
int conf_validate_blob(const void *blob, size_t size);

#endif
