/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the configuration tests: parse a text held in memory, check the problems
 * it reports (line and a distinctive part of the message), resolve a plan for a user built
 * by hand.  Failures name the caller's line, not a line in here.
 */
#ifndef NSISOLATE_CONF_TEST_H
#define NSISOLATE_CONF_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "../../conf/conf.h"

struct parsed {
	int r;
	struct conf *c;
	struct conf_diags d;
};

static inline void
dump_diags(const struct conf_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_error("    line %u: %s\n", d->v[i].line, d->v[i].msg);
	if (d->oom)
		print_error("    (more problems were lost)\n");
}

static inline void
parse_len(struct parsed *p, const char *text, size_t len)
{
	*p = (struct parsed){.r = 1};
	assert_int_equal(conf_diags_init(&p->d, "test.conf"), 0);
	p->r = conf_parse_buffer("test.conf", text, len, &p->c, &p->d);
}

static inline void
parse(struct parsed *p, const char *text)
{
	parse_len(p, text, strlen(text));
}

static inline void
parsed_free(struct parsed *p)
{
	conf_free(p->c);
	conf_diags_free(&p->d);
	*p = (struct parsed){0};
}

/* Is a problem reported at `line` whose message contains `msg`? */
static inline bool
has_diag(const struct conf_diags *d, unsigned line, const char *msg)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].line == line && strstr(d->v[i].msg, msg))
			return true;
	return false;
}

/* The parse failed, and one of its problems is at `line` and contains `msg`. */
#define assert_diag(p, line, msg) check_diag(p, line, msg, __FILE__, __LINE__)
static inline void
check_diag(const struct parsed *p, unsigned line, const char *msg, const char *file, int at)
{
	if (p->r == -EINVAL && !p->c && has_diag(&p->d, line, msg))
		return;
	print_error("expected a problem at line %u containing \"%s\"; got r=%d and:\n", line, msg,
		    p->r);
	dump_diags(&p->d);
	_fail(file, at);
}

/* The parse failed with exactly `n` problems. */
#define assert_ndiags(p, count) check_ndiags(p, count, __FILE__, __LINE__)
static inline void
check_ndiags(const struct parsed *p, size_t n, const char *file, int at)
{
	if (p->r == -EINVAL && !p->c && p->d.n == n && !p->d.oom)
		return;
	print_error("expected exactly %zu problems; got r=%d and %zu:\n", n, p->r, p->d.n);
	dump_diags(&p->d);
	_fail(file, at);
}

/* `text` is refused with exactly one problem, at `line`, containing `msg`. */
#define expect_error(text, line, msg) expect_error_at(text, line, msg, __FILE__, __LINE__)
static inline void
expect_error_at(const char *text, unsigned line, const char *msg, const char *file, int at)
{
	struct parsed p;

	parse(&p, text);
	if (!(p.r == -EINVAL && !p.c && p.d.n == 1 && !p.d.oom && has_diag(&p.d, line, msg))) {
		print_error("expected one problem at line %u containing \"%s\"; got r=%d and:\n",
			    line, msg, p.r);
		dump_diags(&p.d);
		parsed_free(&p);
		_fail(file, at);
	}
	parsed_free(&p);
}

/* `text` parses without a single problem; the caller frees the result with conf_free(). */
#define expect_ok(text) expect_ok_at(text, __FILE__, __LINE__)
static inline struct conf *
expect_ok_at(const char *text, const char *file, int at)
{
	struct parsed p;
	struct conf *c;

	parse(&p, text);
	if (p.r != 0 || !p.c || p.d.n != 0 || p.d.oom) {
		print_error("expected a valid configuration; got r=%d and:\n", p.r);
		dump_diags(&p.d);
		parsed_free(&p);
		_fail(file, at);
	}
	c = p.c;
	conf_diags_free(&p.d);
	return c;
}

/* The struct identity is the seam for NSS: tests say which groups a user is in. */
static inline int
resolve_for(const struct conf *c, const char *name, uid_t uid, const char *const *groups,
	    size_t ngroups, struct plan *ret, char *err, size_t errlen)
{
	struct identity id = {
		.name = name,
		.uid = uid,
		.gid = 100,
		.ngroups = ngroups,
		.group_names = groups,
	};

	err[0] = '\0';
	return conf_resolve(c, &id, "box", ret, err, errlen);
}

/* Resolve and insist on success: resolve_ok(c, "alice", 1000, &plan, "users", "staff"). */
#define resolve_ok(c, name, uid, plan, ...)                                               \
	resolve_ok_at(c, name, uid, (const char *const[]){NULL, ##__VA_ARGS__} + 1,       \
		      ARRAY_SIZE(((const char *const[]){NULL, ##__VA_ARGS__})) - 1, plan, \
		      __FILE__, __LINE__)
static inline void
resolve_ok_at(const struct conf *c, const char *name, uid_t uid, const char *const *groups,
	      size_t ngroups, struct plan *plan, const char *file, int at)
{
	char err[512];
	int r = resolve_for(c, name, uid, groups, ngroups, plan, err, sizeof(err));

	if (r != 0) {
		print_error("conf_resolve for '%s' failed with %d: %s\n", name, r, err);
		_fail(file, at);
	}
}

#endif
