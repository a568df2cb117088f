/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_LEX_H
#define NSISOLATE_LEX_H

#include "conf.h"

/*
 * What an empty list `{}` and a section without a title are handed to libconfuse as: one
 * value made of a byte that no file may contain (see lex.c), so that libconfuse records the
 * line.  parse.c skips it in lists and reports it in titles.
 */
#define CONF_EMPTY_MARK "\x01"

/*
 * Check a configuration's bytes and turn it into the text handed to libconfuse (see lex.c).
 * Returns 0 and a NUL-terminated copy, -EINVAL with problems in diags, or -ENOMEM.
 */
int conf_prepare(const char *in, size_t len, char **ret, struct conf_diags *diags);

#endif
