/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libconfuse side: the schema, the text lex.c prepared, and the line of every value,
 * recorded by a callback while libconfuse reads it (its own line numbers drift after comments:
 * docs/kernel-facts.md, 'libconfuse 3.3').  rules.c then walks the tree.
 */
#include <confuse.h>
#include <string.h>

#include "lex.h"
#include "parse.h"

/* Every option has no default in the schema: "not set" must be visible for inheritance. */
static cfg_opt_t private_opts[] = {
	CFG_STR(TITLE, NULL, CFGF_NODEFAULT),
	CFG_STR("type", NULL, CFGF_NODEFAULT),
	CFG_STR("size", NULL, CFGF_NODEFAULT),
	CFG_STR("nr_inodes", NULL, CFGF_NODEFAULT),
	CFG_STR("mode", NULL, CFGF_NODEFAULT),
	CFG_BOOL("noexec", cfg_false, CFGF_NODEFAULT),
	CFG_END(),
};

#define RULE_OPTS                                                 \
	CFG_BOOL("isolate", cfg_true, CFGF_NODEFAULT),            \
		CFG_STR_LIST("namespaces", NULL, CFGF_NODEFAULT), \
		CFG_STR("hostname", NULL, CFGF_NODEFAULT),        \
		CFG_STR("on_error", NULL, CFGF_NODEFAULT),        \
		CFG_STR("nested", NULL, CFGF_NODEFAULT),          \
		CFG_BOOL("linger", cfg_false, CFGF_NODEFAULT),    \
		CFG_STR("kill_timeout", NULL, CFGF_NODEFAULT),    \
		CFG_STR("share", NULL, CFGF_NODEFAULT),           \
		CFG_SEC("private", private_opts, CFGF_MULTI)

static cfg_opt_t rule_opts[] = {
	CFG_STR(TITLE, NULL, CFGF_NODEFAULT),
	RULE_OPTS,
	CFG_END(),
};

static cfg_opt_t top_opts[] = {
	RULE_OPTS,
	CFG_STR_LIST("exempt_users", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("exempt_groups", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("exempt_services", NULL, CFGF_NODEFAULT),
	CFG_SEC("user", rule_opts, CFGF_MULTI),
	CFG_SEC("group", rule_opts, CFGF_MULTI),
	CFG_END(),
};

/* libconfuse callbacks take no user pointer; its lexer is global state anyway. */
static struct parse_ctx *current;

static int
record_line(cfg_t *cfg, cfg_opt_t *opt)
{
	struct parse_ctx *ctx = current;

	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 64;
		struct line_rec *v = reallocarray(ctx->v, cap, sizeof(*v));

		if (!v) {
			ctx->oom = true;
			return 0;
		}
		ctx->v = v;
		ctx->cap = cap;
	}
	ctx->v[ctx->n] = (struct line_rec){
		.key = opt, .seq = ctx->n, .line = (unsigned)cfg->line, .nvalues = opt->nvalues};
	ctx->n++;
	return 0;
}

static void __attribute__((format(printf, 2, 0)))
record_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[300];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	conf_diag_add(current->diags, cfg && cfg->line > 0 ? (unsigned)cfg->line : 0, "%s", msg);
}

static void
set_callbacks(cfg_opt_t *opts)
{
	for (cfg_opt_t *o = opts; o->name; o++) {
		if (o->type == CFGT_SEC)
			set_callbacks(o->subopts);
		else
			o->validcb = record_line;
	}
}

static int
cmp_line_rec(const void *a, const void *b)
{
	const struct line_rec *x = a, *y = b;

	if (x->key != y->key)
		return (uintptr_t)x->key < (uintptr_t)y->key ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * The line where an option got its (last) value, 0 if it was never set.  For value `index` of
 * a list, the line where that value was read: a list may span lines, and libconfuse calls
 * back once per value (and once more at the '}', which lex.c puts on the last value's line).
 * Pass UINT_MAX for the option as a whole.
 */
unsigned
line_of(struct parse_ctx *ctx, cfg_opt_t *opt, unsigned index)
{
	size_t lo = 0, hi = ctx->n;
	unsigned line = 0, any = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if ((uintptr_t)ctx->v[mid].key < (uintptr_t)opt)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ctx->n && ctx->v[lo].key == opt; lo++) {
		any = ctx->v[lo].line;
		/* A later `=` starts the list again: the last record of that length wins. */
		if (index != UINT_MAX && ctx->v[lo].nvalues == index + 1)
			line = ctx->v[lo].line;
	}
	return line ? line : any;
}

bool
is_set(cfg_t *sec, const char *name)
{
	return cfg_size(sec, name) > 0;
}

unsigned
opt_line(struct parse_ctx *ctx, cfg_t *sec, const char *name)
{
	return line_of(ctx, cfg_getopt(sec, name), UINT_MAX);
}

unsigned
value_line(struct parse_ctx *ctx, cfg_t *sec, const char *name, unsigned index)
{
	return line_of(ctx, cfg_getopt(sec, name), index);
}

/* Check and parse one file into a tree of its own; its problems are reported against it. */
static int
parse_one(struct parse_ctx *ctx, const struct conf_text *f, cfg_t **ret)
{
	_cleanup_free_ char *text = NULL;
	cfg_t *cfg;
	int r;

	if (f->len > CONF_MAX_FILE_SIZE) {
		conf_diag_add(ctx->diags, 0, "file is larger than %u bytes", CONF_MAX_FILE_SIZE);
		return -EINVAL;
	}
	r = conf_prepare(f->buf, f->len, &text, ctx->diags);
	if (r < 0)
		return r;
	cfg = cfg_init(top_opts, CFGF_NONE);
	if (!cfg)
		return -ENOMEM;
	set_callbacks(cfg->opts);
	cfg_set_error_function(cfg, record_error);
	current = ctx;
	if (cfg_parse_buf(cfg, text) != CFG_SUCCESS) {
		if (!conf_diags_failed(ctx->diags))
			conf_diag_add(ctx->diags, 0, "syntax error");
		r = -EINVAL;
	}
	current = NULL;
	if (r < 0) {
		cfg_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int
conf_parse_texts(const struct conf_text *files, size_t n, struct conf **ret,
		 struct conf_diags *diags)
{
	struct parse_ctx ctx = {.diags = diags, .files = files, .nfiles = n};
	_cleanup_free_ cfg_t **roots = NULL;
	int r = 0;

	if (n == 0 || n > 1 + CONF_MAX_DROPINS)
		return -EINVAL;
	if (!(roots = calloc(n, sizeof(*roots))))
		return -ENOMEM;
	/* Every file, even after a broken one: one run reports the problems of all. */
	for (size_t i = 0; i < n; i++) {
		int q = conf_diags_file(diags, files[i].name);

		if (q == 0)
			q = parse_one(&ctx, &files[i], &roots[i]);
		if (q == 0)
			q = conf_builder_file(&ctx.b, files[i].name);
		if (q < 0 && (r == 0 || q == -ENOMEM))
			r = q;
	}
	if (r == 0 && ctx.oom)
		r = -ENOMEM;
	if (r == 0) {
		/* An empty file records no line, and qsort's base must not be NULL even then. */
		if (ctx.n > 0)
			qsort(ctx.v, ctx.n, sizeof(*ctx.v), cmp_line_rec);
		r = conf_walk(&ctx, roots);
	}
	for (size_t i = 0; i < n; i++)
		if (roots[i])
			cfg_free(roots[i]);
	free(ctx.v);
	if (r == 0 && conf_diags_failed(diags))
		r = -EINVAL;
	if (r == 0)
		r = conf_builder_finish(&ctx.b, ret);
	conf_builder_free(&ctx.b);
	return r;
}

int
conf_parse_buffer(const char *name, const char *buf, size_t len, struct conf **ret,
		  struct conf_diags *diags)
{
	const struct conf_text f = {.name = name, .buf = buf, .len = len};

	return conf_parse_texts(&f, 1, ret, diags);
}
