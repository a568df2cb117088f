/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From libconfuse's tree to the flat table of store.h: every value and every rule checked
 * here, after the parse, so that one run reports every problem with its line (a libconfuse
 * validation callback that fails would stop the parse at the first).  Sections inherit
 * every option they do not set from the top level.
 */
#include <string.h>

#include "lex.h"
#include "parse.h"
#include "values.h"

/* What applies where nothing in the file says otherwise (nsisolate.conf(5), DEFAULTS). */
static const struct conf_policy builtin_defaults = {
	.kind = CONF_RULE_TOP,
	.isolate = 1,
	.namespaces = CONF_NS_ALL,
	.on_error = CONF_ON_ERROR_DENY,
	.nested = CONF_NESTED_SKIP,
	.kill_timeout = 2,
};

static int
read_private(struct parse_ctx *ctx, cfg_t *psec, struct conf_priv *out)
{
	const char *path = cfg_getstr(psec, TITLE);
	unsigned line = path ? opt_line(ctx, psec, TITLE) : (unsigned)psec->line;
	enum conf_private_type type = CONF_PRIV_SESSION;
	char err[300], size[32] = "";
	mode_t mode = 01777;
	int64_t off;

	*out = (struct conf_priv){.line = line, .mode = mode};
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

/*
 * Checks that need the whole rule, inherited values included.  What a section inherits but
 * its namespaces make moot is gone by now (drop_moot): only its own hostname without 'uts',
 * or its own private directories without 'mount', get here.
 */
static void
check_rule(struct parse_ctx *ctx, const struct conf_policy *p, bool own_privs, unsigned line,
	   const char *what)
{
	/* No private directory at all: no array either, and NULL + 0 is undefined (UBSan). */
	const struct conf_priv *privs = ctx->b.priv ? ctx->b.priv + p->priv_first : NULL;

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
	if (!own_privs)
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
drop_moot(cfg_t *sec, struct conf_policy *p)
{
	if (p->kind == CONF_RULE_TOP)
		return;
	if (!is_set(sec, "hostname") && !(p->namespaces & CONF_NS_UTS))
		p->hostname = 0;
	if (!is_set(sec, "private") && !(p->namespaces & CONF_NS_MOUNT))
		p->priv_first = p->priv_count = 0;
}

static int
read_rule(struct parse_ctx *ctx, cfg_t *sec, struct conf_policy *out, unsigned line,
	  const char *what)
{
	unsigned n = cfg_size(sec, "private");
	char err[300];
	uint64_t v;
	int64_t off;

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
		if (line == 0)
			line = ctx->b.priv[out->priv_first].line;
	}
	drop_moot(sec, out);
	check_rule(ctx, out, n > 0 || out->kind == CONF_RULE_TOP, line, what);
	return 0;
}

/* A name and its line, sorted to find the same name given twice (titles, exempt lists). */
struct title {
	const char *s;
	unsigned line;
};

static int
cmp_title(const void *a, const void *b)
{
	const struct title *x = a, *y = b;
	int r = strcmp(x->s, y->s);

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
		if (section)
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
			seen[nseen++] = (struct title){s, line};
	}
	report_twice(ctx, seen, nseen, name, false);
	ctx->b.exempt_line[list] = opt_line(ctx, root, name);
	return 0;
}

/* All `user` or all `group` sections, in file order, each inheriting from the top level. */
static int
read_sections(struct parse_ctx *ctx, cfg_t *root, const char *kind, const struct conf_policy *top)
{
	unsigned n = cfg_size(root, kind);
	_cleanup_free_ struct title *titles = calloc(n ? n : 1, sizeof(*titles));
	size_t nt = 0;

	if (!titles)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(root, kind, i);
		const char *title = cfg_getstr(sec, TITLE);
		unsigned line = title ? opt_line(ctx, sec, TITLE) : (unsigned)sec->line;
		struct conf_policy p = *top;
		char what[CONF_MAX_NAME + 64], err[300];
		int64_t off;
		int r;

		p.kind = strcmp(kind, "user") == 0 ? CONF_RULE_USER : CONF_RULE_GROUP;
		p.line = line;
		/* lex.c gives every section a title, the empty mark where the file has none. */
		if (!title || strcmp(title, CONF_EMPTY_MARK) == 0) {
			conf_diag_add(ctx->diags, line,
				      "%s section without a name (%s \"NAME\" { })", kind, kind);
			title = "";
		} else if (conf_check_name(title, p.kind == CONF_RULE_USER, err, sizeof(err)) < 0) {
			conf_diag_add(ctx->diags, line, "%s section: %s", kind, err);
		} else {
			titles[nt++] = (struct title){title, line};
		}
		if ((off = conf_builder_str(&ctx->b, title)) < 0)
			return (int)off;
		p.title = (uint32_t)off;
		(void)xsnprintf(what, sizeof(what), "%s '%.*s'", kind, CONF_MAX_NAME, title);
		if ((r = read_rule(ctx, sec, &p, line, what)) < 0 ||
		    (off = conf_builder_policy(&ctx->b, &p)) < 0)
			return r < 0 ? r : (int)off;
	}
	report_twice(ctx, titles, nt, kind, true);
	return 0;
}

int
conf_walk(struct parse_ctx *ctx, cfg_t *root)
{
	struct conf_policy top = builtin_defaults;
	int64_t off;
	int r;

	if ((r = read_rule(ctx, root, &top, opt_line(ctx, root, "namespaces"), "top level")) < 0 ||
	    (off = conf_builder_policy(&ctx->b, &top)) < 0)
		return r < 0 ? r : (int)off;
	for (int l = 0; l < CONF_EXEMPT_N; l++)
		if ((r = read_exempt(ctx, root, (enum conf_exempt_list)l)) < 0)
			return r;
	if ((r = read_sections(ctx, root, "user", &top)) < 0)
		return r;
	ctx->b.n_users = ctx->b.npol - 1;
	if ((r = read_sections(ctx, root, "group", &top)) < 0)
		return r;
	ctx->b.n_groups = ctx->b.npol - 1 - ctx->b.n_users;
	return 0;
}
