/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files one configuration is read from: the main file, then the drop-ins of its drop-in
 * directory in the order they apply (nsisolate.conf(5), DROP-INS).  Each is opened and
 * checked once (conf_open_checked's rules); the cache compares them and the parser reads them
 * through these very descriptors.
 */
#ifndef NSISOLATE_SET_H
#define NSISOLATE_SET_H

#include "conf.h"

struct conf_file {
	char *name; /* in messages: the main file's path as given, DIR/NAME for a drop-in */
	char *base; /* a drop-in's name in its directory; NULL for the main file */
	int fd;
};

struct conf_set {
	struct conf_file *v;
	size_t n;
};

/*
 * Open and check `path` and every drop-in of `dir` (NULL: conf_dropin_dir(path)); a missing
 * drop-in directory is none.  Returns 0, or -errno with the problems in d; the set is then
 * empty.
 */
int conf_set_open(struct conf_set *s, const char *path, const char *dir, uid_t owner,
		  struct conf_diags *d);
/*
 * Put `path` into the set as the drop-in called `base`, in its place in the order, instead
 * of the drop-in of that name if there is one (nsisolate check -d).
 */
int conf_set_put(struct conf_set *s, const char *base, const char *path, uid_t owner,
		 struct conf_diags *d);
void conf_set_close(struct conf_set *s);

/* Read every file from its start (at most CONF_MAX_FILE_SIZE bytes together). */
int conf_set_read(const struct conf_set *s, struct conf_text **ret, struct conf_diags *d);
void conf_texts_free(struct conf_text *t, size_t n);

/* Read and parse the set. */
int conf_set_parse(const struct conf_set *s, struct conf **ret, struct conf_diags *d);

/* load.c: open `rel` in `dirfd` (or AT_FDCWD) with the checks of conf_load; `shown` in messages. */
int conf_open_checked_at(int dirfd, const char *rel, const char *shown, uid_t owner,
			 struct conf_diags *d);

#endif
