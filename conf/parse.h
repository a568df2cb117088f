/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the configuration library: what parse.c (libconfuse, line numbers) shares with
 * rules.c (the walk over the parsed tree, every check, the flat table).
 */
#ifndef NSISOLATE_PARSE_H
#define NSISOLATE_PARSE_H

#include <confuse.h>
#include <limits.h>

#include "store.h"

#define TITLE "__title" /* see lex.c: section titles arrive as this option */

/* Line of each value: recorded by a validation callback while libconfuse reads it. */
struct line_rec {
	const void *key;
	size_t seq;
	unsigned line;
	unsigned nvalues; /* the list's length then: which value this line belongs to */
};

struct parse_ctx {
	struct conf_diags *diags;
	struct line_rec *v; /* of every file: keys (libconfuse's options) are per parse */
	size_t n, cap;
	bool oom;
	struct conf_builder b;
	const struct conf_text *files; /* the main file, then its drop-ins */
	size_t nfiles;
	unsigned file; /* the one being read (use_file): what lines and problems refer to */
};

/* The line where an option got its (last) value, or value `index` of a list; 0 if never set. */
unsigned line_of(struct parse_ctx *ctx, cfg_opt_t *opt, unsigned index);
bool is_set(cfg_t *sec, const char *name);
unsigned opt_line(struct parse_ctx *ctx, cfg_t *sec, const char *name);
unsigned value_line(struct parse_ctx *ctx, cfg_t *sec, const char *name, unsigned index);

/* Report a problem with option `name` of `sec` at the line that set it. */
#define bad(ctx, sec, name, err) conf_diag_add((ctx)->diags, opt_line(ctx, sec, name), "%s", err)

/* rules.c: the parsed trees (one per file) into ctx->b, every value and rule checked. */
int conf_walk(struct parse_ctx *ctx, cfg_t *const *roots);

#endif
