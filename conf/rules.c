/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From libconfuse's tree to the flat table of store.h: every value and every rule checked
 * here, after the parse, so that one run reports every problem with its line (a libconfuse
 * validation callback that fails would stop the parse at the first).  Sections inherit
 * every option they do not set from the top level.
 *
 * A configuration is a main file and its drop-ins, each parsed into a tree of its own.  The
 * top level is all of them together, each top-level option set in one file at most; sections
 * come from every file, main file first, and one name has one section in all of them.
 */
#include <string.h>

#include "lex.h"
#include "parse.h"
#include "values.h"

/* What applies where nothing in the file says otherwise (nsisolate.conf(5), DEFAULTS). */
static const struct conf_policy builtin_defaults = {
	.kind = CONF_RULE_TOP,
	.isolate = 1,
	.namespaces = CONF_NS_DEFAULT,
	.on_error = CONF_ON_ERROR_DENY,
	.nested = CONF_NESTED_SKIP,
	.share = CONF_SHARE_LOGIN,
	.kill_timeout = 2,
};

/* Read file i from now on: lines and problems refer to it. */
static void
use_file(struct parse_ctx *ctx, unsigned i)
{
	ctx->file = i;
	(void)conf_diags_file(ctx->diags, ctx->files[i].name); /* on failure, counted as lost */
}

static struct conf_src
src_here(struct parse_ctx *ctx, unsigned line)
{
	return (struct conf_src){.file = ctx->file, .line = line};
}

/* The line where `sec` sets option `name`: for `private`, the first such section's. */
static unsigned
set_at(struct parse_ctx *ctx, cfg_t *sec, const char *name)
{
	cfg_t *p;

	if (strcmp(name, "private") != 0)
		return opt_line(ctx, sec, name);
	p = cfg_getnsec(sec, name, 0);
	return cfg_getstr(p, TITLE) ? opt_line(ctx, p, TITLE) : (unsigned)p->line;
}

static int
read_private(struct parse_ctx *ctx, cfg_t *psec, struct conf_priv *out)
{
	const char *path = cfg_getstr(psec, TITLE);
	unsigned line = path ? opt_line(ctx, psec, TITLE) : (unsigned)psec->line;
	enum conf_private_type type = CONF_PRIV_SESSION;
	char err[300], size[32] = "";
	mode_t mode = 01777;
	int64_t off;

	*out = (struct conf_priv){.line = line, .mode = mode, .file = ctx->file};
	/* lex.c gives every section a title, the empty mark where the file has none. */
	if (!path || strcmp(path, CONF_EMPTY_MARK) == 0) {
		conf_diag_add(ctx->diags, line,
			      "private section without a path (private \"/tmp\" { })");
		return 0;
	}
	if (conf_check_private_path(path, err, sizeof(err)) < 0)
		conf_diag_add(ctx->diags, line, "private: %s", err);
	if (is_set(psec, "type") &&
	    conf_parse_private_type(cfg_getstr(psec, "type"), &type, err, sizeof(err)) < 0)
		bad(ctx, psec, "type", err);
	if (is_set(psec, "size")) {
		if (type == CONF_PRIV_PERSISTENT)
			bad(ctx, psec, "size", "size applies to tmpfs types (session, user) only");
		else if (conf_parse_size(cfg_getstr(psec, "size"), size, sizeof(size), err,
					 sizeof(err)) < 0)
			bad(ctx, psec, "size", err);
	}
	if (is_set(psec, "nr_inodes")) {
		if (type == CONF_PRIV_PERSISTENT)
			bad(ctx, psec, "nr_inodes",
			    "nr_inodes applies to tmpfs types (session, user) only");
		else if (conf_parse_count(cfg_getstr(psec, "nr_inodes"), &out->nr_inodes, err,
					  sizeof(err)) < 0)
			bad(ctx, psec, "nr_inodes", err);
	}
	if (is_set(psec, "mode") &&
	    conf_parse_mode(cfg_getstr(psec, "mode"), &mode, err, sizeof(err)) < 0)
		bad(ctx, psec, "mode", err);
	out->type = (uint8_t)type;
	out->mode = mode;
	out->noexec = is_set(psec, "noexec") && cfg_getbool(psec, "noexec");
	off = conf_builder_str(&ctx->b, path);
	if (off < 0)
		return (int)off;
	out->path = (uint32_t)off;
	off = conf_builder_str(&ctx->b, size);
	if (off < 0)
		return (int)off;
	out->size = (uint32_t)off;
	return 0;
}

static void
read_namespaces(struct parse_ctx *ctx, cfg_t *sec, uint8_t *ret)
{
	unsigned ns = 0, n = cfg_size(sec, "namespaces");
	char err[300];

	for (unsigned i = 0; i < n; i++) {
		const char *s = cfg_getnstr(sec, "namespaces", i);
		unsigned flag;

		if (strcmp(s, CONF_EMPTY_MARK) == 0)
			continue;
		if (conf_parse_ns(s, &flag, err, sizeof(err)) < 0) {
			conf_diag_add(ctx->diags, value_line(ctx, sec, "namespaces", i), "%s", err);
			continue;
		}
		if (ns & flag)
			conf_diag_add(ctx->diags, value_line(ctx, sec, "namespaces", i),
				      "namespaces: '%s' is listed twice", s);
		ns |= flag;
	}
	*ret = (uint8_t)ns;
}

static int
read_choice(struct parse_ctx *ctx, cfg_t *sec, const char *name, uint8_t *ret,
	    int (*parse)(const char *, int *, char *, size_t))
{
	char err[300];
	int v;

	if (!is_set(sec, name))
		return 0;
	if (parse(cfg_getstr(sec, name), &v, err, sizeof(err)) < 0)
		bad(ctx, sec, name, err);
	else
		*ret = (uint8_t)v;
	return 0;
}

static int
parse_on_error(const char *s, int *ret, char *err, size_t errlen)
{
	enum conf_on_error v;
	int r = conf_parse_on_error(s, &v, err, errlen);

	*ret = (int)v;
	return r;
}

static int
parse_nested(const char *s, int *ret, char *err, size_t errlen)
{
	enum conf_nested v;
	int r = conf_parse_nested(s, &v, err, errlen);

	*ret = (int)v;
	return r;
}

static int
parse_share(const char *s, int *ret, char *err, size_t errlen)
{
	enum conf_share v;
	int r = conf_parse_share(s, &v, err, errlen);

	*ret = (int)v;
	return r;
}

/*
 * Checks that need the whole rule, inherited values included.  What a section inherits but
 * its namespaces make moot is gone by now (drop_moot): only its own hostname without 'uts',
 * or its own private directories without 'mount', get here.
 */
static void
check_rule(struct parse_ctx *ctx, const struct conf_policy *p, unsigned line, const char *what)
{
	if (!p->isolate)
		return;
	if (p->namespaces == 0)
		conf_diag_add(ctx->diags, line,
			      "%s: no namespaces listed (set isolate = false to leave users alone)",
			      what);
	if ((p->namespaces & CONF_NS_PID) && !(p->namespaces & CONF_NS_MOUNT))
		conf_diag_add(ctx->diags, line,
			      "%s: 'pid' needs 'mount' too (the session gets a fresh /proc)", what);
	/* Without its own UTS namespace a session could only rename the whole host. */
	if (p->hostname && !(p->namespaces & CONF_NS_UTS))
		conf_diag_add(ctx->diags, line, "%s: 'hostname' needs the 'uts' namespace", what);
	if (p->priv_count && !(p->namespaces & CONF_NS_MOUNT))
		conf_diag_add(ctx->diags, line,
			      "%s: private directories need the 'mount' namespace", what);
}

/* The rule's own private directories, reported in the file that lists them (the current one). */
static void
check_privs(struct parse_ctx *ctx, const struct conf_policy *p, const char *what)
{
	/* No private directory at all: no array either, and NULL + 0 is undefined (UBSan). */
	const struct conf_priv *privs = ctx->b.priv ? ctx->b.priv + p->priv_first : NULL;

	if (!p->isolate || !privs)
		return;
	/* At the first one too many: the rule's own line may be far above it. */
	if (p->priv_count > CONF_MAX_PRIVATE)
		conf_diag_add(ctx->diags, privs[CONF_MAX_PRIVATE].line,
			      "%s: more than %d private directories", what, CONF_MAX_PRIVATE);
	/* Only sections without a path so far: no string stored, no pool to point into. */
	if (!ctx->b.strings)
		return;
	for (uint32_t i = 0; i < p->priv_count && i < CONF_MAX_PRIVATE; i++)
		for (uint32_t j = 0; j < i; j++) {
			const char *a = ctx->b.strings + privs[j].path;
			const char *b = ctx->b.strings + privs[i].path;
			size_t la = strlen(a), lb = strlen(b);

			if (!*a || !*b)
				continue;
			if (strcmp(a, b) == 0)
				conf_diag_add(ctx->diags, privs[i].line,
					      "private '%s' is listed twice (first at line %u)", b,
					      privs[j].line);
			else if ((la < lb && strncmp(a, b, la) == 0 && b[la] == '/') ||
				 (lb < la && strncmp(a, b, lb) == 0 && a[lb] == '/'))
				conf_diag_add(
					ctx->diags, privs[i].line,
					"private '%s' and '%s' (line %u) are nested; mount order "
					"would matter, so this is not supported",
					b, a, privs[j].line);
		}
}

/*
 * A section that leaves a namespace out has no use for what the top level sets for it: a
 * hostname without 'uts', private directories without 'mount'.  Inherited, they simply do
 * not apply; only the section's own would be a mistake (check_rule).  They are dropped from
 * the rule itself, so that what a plan says (to PID 1, to `nsisolate explain`, in the
 * session record) is what the session gets.
 */
static void
drop_moot(cfg_t *sec, struct conf_policy *p, struct conf_src *src)
{
	if (p->kind == CONF_RULE_TOP)
		return;
	if (!is_set(sec, "hostname") && !(p->namespaces & CONF_NS_UTS)) {
		p->hostname = 0;
		src[CONF_OPT_HOSTNAME] = (struct conf_src){0};
	}
	if (!is_set(sec, "private") && !(p->namespaces & CONF_NS_MOUNT)) {
		p->priv_first = p->priv_count = 0;
		src[CONF_OPT_PRIVATE] = (struct conf_src){0};
	}
}

/*
 * The values `sec` sets itself, over what `out` holds (the top level's, for a section), and
 * where each was set (`src`).  Checks of the rule as a whole are the caller's: the top level
 * is complete only once every file is read.
 */
static int
read_values(struct parse_ctx *ctx, cfg_t *sec, struct conf_policy *out, struct conf_src *src)
{
	unsigned n = cfg_size(sec, "private");
	char err[300];
	uint64_t v;
	int64_t off;

	for (int o = 0; o < CONF_OPT_N; o++)
		if (is_set(sec, conf_opt_name((enum conf_opt)o)))
			src[o] = src_here(ctx, set_at(ctx, sec, conf_opt_name((enum conf_opt)o)));
	if (is_set(sec, "isolate"))
		out->isolate = cfg_getbool(sec, "isolate") ? 1 : 0;
	if (is_set(sec, "namespaces"))
		read_namespaces(ctx, sec, &out->namespaces);
	if (is_set(sec, "hostname")) {
		const char *h = cfg_getstr(sec, "hostname");

		if (conf_check_hostname_template(h, err, sizeof(err)) < 0)
			bad(ctx, sec, "hostname", err);
		if ((off = conf_builder_str(&ctx->b, h)) < 0)
			return (int)off;
		out->hostname = (uint32_t)off;
	}
	read_choice(ctx, sec, "on_error", &out->on_error, parse_on_error);
	read_choice(ctx, sec, "nested", &out->nested, parse_nested);
	read_choice(ctx, sec, "share", &out->share, parse_share);
	if (is_set(sec, "linger"))
		out->linger = cfg_getbool(sec, "linger") ? 1 : 0;
	if (is_set(sec, "kill_timeout")) {
		const char *s = cfg_getstr(sec, "kill_timeout");

		if (parse_uint(s, CONF_MAX_KILL_TIMEOUT, &v) < 0)
			conf_diag_add(
				ctx->diags, opt_line(ctx, sec, "kill_timeout"),
				"kill_timeout '%s' is not a whole number of seconds from 0 to %d",
				s, CONF_MAX_KILL_TIMEOUT);
		else
			out->kill_timeout = (uint32_t)v;
	}
	if (n > 0) {
		out->priv_first = (uint32_t)ctx->b.npriv;
		out->priv_count = n;
		for (unsigned i = 0; i < n; i++) {
			struct conf_priv p;
			int r = read_private(ctx, cfg_getnsec(sec, "private", i), &p);

			if (r < 0 || (off = conf_builder_priv(&ctx->b, &p)) < 0)
				return r < 0 ? r : (int)off;
		}
	}
	return 0;
}

/*
 * A name and where it was given, sorted to find the same name given twice (titles, exempt
 * lists): by name, then in the order the files and lines were read.
 */
struct title {
	const char *s;
	unsigned file, line;
};

static int
cmp_title(const void *a, const void *b)
{
	const struct title *x = a, *y = b;
	int r = strcmp(x->s, y->s);

	if (r == 0)
		r = (x->file > y->file) - (x->file < y->file);
	return r ? r : (x->line > y->line) - (x->line < y->line);
}

/*
 * Report every name given twice: sorted, not compared pairwise (libconfuse would compare
 * each title with every other).  `what` is a section kind or an option name.
 */
static void
report_twice(struct parse_ctx *ctx, struct title *t, size_t n, const char *what, bool section)
{
	qsort(t, n, sizeof(*t), cmp_title);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(t[i - 1].s, t[i].s) != 0)
			continue;
		use_file(ctx, t[i].file);
		if (section && t[i - 1].file != t[i].file)
			conf_diag_add(ctx->diags, t[i].line,
				      "duplicate %s section '%s' (first at %s:%u); a name may have "
				      "one section in all the files",
				      what, t[i].s, ctx->files[t[i - 1].file].name, t[i - 1].line);
		else if (section)
			conf_diag_add(ctx->diags, t[i].line,
				      "duplicate %s section '%s' (first at line %u)", what, t[i].s,
				      t[i - 1].line);
		else
			conf_diag_add(ctx->diags, t[i].line,
				      "%s: '%s' is listed twice (first at line %u)", what, t[i].s,
				      t[i - 1].line);
	}
}

static const char *const exempt_names[CONF_EXEMPT_N] = {
	[CONF_EXEMPT_SERVICES] = "exempt_services",
	[CONF_EXEMPT_USERS] = "exempt_users",
	[CONF_EXEMPT_GROUPS] = "exempt_groups",
};

static int
check_exempt(enum conf_exempt_list list, const char *s, char *err, size_t errlen)
{
	if (list == CONF_EXEMPT_SERVICES)
		return conf_check_service(s, err, errlen);
	return conf_check_name(s, list == CONF_EXEMPT_USERS, err, errlen);
}

/*
 * One exempt list, every name checked at its own line.  A name listed twice is refused, as a
 * namespace, a private directory or a section title is: in a list this short, a repeated
 * name is more likely a typo for another one than a wish.
 */
static int
read_exempt(struct parse_ctx *ctx, cfg_t *root, enum conf_exempt_list list)
{
	const char *name = exempt_names[list];
	unsigned n = cfg_size(root, name);
	_cleanup_free_ struct title *seen = NULL;
	size_t nseen = 0;
	char err[300];

	/* Root is exempt unless the file says who is; nothing else is, unless it says so. */
	if (n == 0)
		return list == CONF_EXEMPT_USERS ? conf_builder_exempt(&ctx->b, list, "root") : 0;
	if (!(seen = calloc(n, sizeof(*seen))))
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const char *s = cfg_getnstr(root, name, i);
		unsigned line = value_line(ctx, root, name, i);
		int r;

		if (strcmp(s, CONF_EMPTY_MARK) == 0)
			continue;
		if (check_exempt(list, s, err, sizeof(err)) < 0)
			conf_diag_add(ctx->diags, line, "%s: %s", name, err);
		else if ((r = conf_builder_exempt(&ctx->b, list, s)) < 0)
			return r;
		else
			seen[nseen++] = (struct title){s, ctx->file, line};
	}
	report_twice(ctx, seen, nseen, name, false);
	ctx->b.exempt_line[list] = opt_line(ctx, root, name);
	ctx->b.exempt_file[list] = ctx->file;
	return 0;
}

/* One `user` or `group` section, inheriting from the top level. */
static int
read_section(struct parse_ctx *ctx, cfg_t *sec, const char *kind, const struct conf_policy *top,
	     const struct conf_src *top_src, struct title *titles, size_t *nt)
{
	const char *title = cfg_getstr(sec, TITLE);
	unsigned line = title ? opt_line(ctx, sec, TITLE) : (unsigned)sec->line;
	struct conf_policy p = *top;
	struct conf_src src[CONF_OPT_N];
	char what[CONF_MAX_NAME + 64], err[300];
	int64_t off;
	int r;

	memcpy(src, top_src, sizeof(src));
	p.kind = strcmp(kind, "user") == 0 ? CONF_RULE_USER : CONF_RULE_GROUP;
	p.line = line;
	p.file = ctx->file;
	/* lex.c gives every section a title, the empty mark where the file has none. */
	if (!title || strcmp(title, CONF_EMPTY_MARK) == 0) {
		conf_diag_add(ctx->diags, line, "%s section without a name (%s \"NAME\" { })", kind,
			      kind);
		title = "";
	} else if (conf_check_name(title, p.kind == CONF_RULE_USER, err, sizeof(err)) < 0) {
		conf_diag_add(ctx->diags, line, "%s section: %s", kind, err);
	} else {
		titles[(*nt)++] = (struct title){title, ctx->file, line};
	}
	if ((off = conf_builder_str(&ctx->b, title)) < 0)
		return (int)off;
	p.title = (uint32_t)off;
	(void)xsnprintf(what, sizeof(what), "%s '%.*s'", kind, CONF_MAX_NAME, title);
	if ((r = read_values(ctx, sec, &p, src)) < 0)
		return r;
	drop_moot(sec, &p, src);
	check_rule(ctx, &p, line, what);
	if (is_set(sec, "private"))
		check_privs(ctx, &p, what);
	return (off = conf_builder_policy(&ctx->b, &p, src)) < 0 ? (int)off : 0;
}

/* All `user` or all `group` sections, file after file, each in file order. */
static int
read_sections(struct parse_ctx *ctx, cfg_t *const *roots, const char *kind,
	      const struct conf_policy *top, const struct conf_src *top_src)
{
	_cleanup_free_ struct title *titles = NULL;
	size_t n = 0, nt = 0;
	int r;

	for (size_t f = 0; f < ctx->nfiles; f++)
		n += cfg_size(roots[f], kind);
	if (!(titles = calloc(n ? n : 1, sizeof(*titles))))
		return -ENOMEM;
	for (size_t f = 0; f < ctx->nfiles; f++) {
		use_file(ctx, (unsigned)f);
		for (unsigned i = 0; i < cfg_size(roots[f], kind); i++)
			if ((r = read_section(ctx, cfg_getnsec(roots[f], kind, i), kind, top,
					      top_src, titles, &nt)) < 0)
				return r;
	}
	report_twice(ctx, titles, nt, kind, true);
	return 0;
}

/* The first file that sets top-level option `name`, or -1. */
static int
first_set(struct parse_ctx *ctx, cfg_t *const *roots, const char *name)
{
	for (size_t f = 0; f < ctx->nfiles; f++)
		if (is_set(roots[f], name))
			return (int)f;
	return -1;
}

/*
 * Each top-level option in one file at most: two files that both set it would leave which
 * one wins to the order of their names, and a drop-in that quietly undoes what the main file
 * says is what drop-ins must not make easy.
 */
static void
check_set_once(struct parse_ctx *ctx, cfg_t *const *roots, const char *name)
{
	int first = first_set(ctx, roots, name);
	unsigned first_line;

	if (first < 0)
		return;
	use_file(ctx, (unsigned)first);
	first_line = set_at(ctx, roots[first], name);
	for (size_t f = (size_t)first + 1; f < ctx->nfiles; f++) {
		if (!is_set(roots[f], name))
			continue;
		use_file(ctx, (unsigned)f);
		conf_diag_add(ctx->diags, set_at(ctx, roots[f], name),
			      "'%s' is already set at %s:%u; set each top-level option in one file "
			      "only",
			      name, ctx->files[first].name, first_line);
	}
}

/* The top level: every file's top-level options together, then checked as one rule. */
static int
read_top(struct parse_ctx *ctx, cfg_t *const *roots, struct conf_policy *top, struct conf_src *src)
{
	const struct conf_src *at;
	int64_t off;
	int r;

	for (cfg_opt_t *o = roots[0]->opts; o->name; o++)
		if (strcmp(o->name, "user") != 0 && strcmp(o->name, "group") != 0)
			check_set_once(ctx, roots, o->name);
	for (size_t f = 0; f < ctx->nfiles; f++) {
		use_file(ctx, (unsigned)f);
		if ((r = read_values(ctx, roots[f], top, src)) < 0)
			return r;
	}
	/* At the namespaces, else at the private directories that need them. */
	at = src[CONF_OPT_NAMESPACES].line || !src[CONF_OPT_PRIVATE].line
		     ? &src[CONF_OPT_NAMESPACES]
		     : &src[CONF_OPT_PRIVATE];
	use_file(ctx, at->file);
	check_rule(ctx, top, at->line, "top level");
	use_file(ctx, src[CONF_OPT_PRIVATE].file);
	check_privs(ctx, top, "top level");
	return (off = conf_builder_policy(&ctx->b, top, src)) < 0 ? (int)off : 0;
}

int
conf_walk(struct parse_ctx *ctx, cfg_t *const *roots)
{
	struct conf_policy top = builtin_defaults;
	struct conf_src src[CONF_OPT_N] = {{0}};
	int r;

	if ((r = read_top(ctx, roots, &top, src)) < 0)
		return r;
	for (int l = 0; l < CONF_EXEMPT_N; l++) {
		int f = first_set(ctx, roots, exempt_names[l]);

		use_file(ctx, f < 0 ? 0 : (unsigned)f);
		if ((r = read_exempt(ctx, roots[ctx->file], (enum conf_exempt_list)l)) < 0)
			return r;
	}
	if ((r = read_sections(ctx, roots, "user", &top, src)) < 0)
		return r;
	ctx->b.n_users = ctx->b.npol - 1;
	if ((r = read_sections(ctx, roots, "group", &top, src)) < 0)
		return r;
	ctx->b.n_groups = ctx->b.npol - 1 - ctx->b.n_users;
	return 0;
}
