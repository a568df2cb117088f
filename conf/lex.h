/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_LEX_H
#define NSISOLATE_LEX_H

#include "conf.h"

/*
 * Check a configuration's bytes and turn it into the text handed to libconfuse (see lex.c).
 * Returns 0 and a NUL-terminated copy, -EINVAL with problems in diags, or -ENOMEM.
 */
int conf_prepare(const char *in, size_t len, char **ret, struct conf_diags *diags);

#endif
