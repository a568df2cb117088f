/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the tests of conf/lex.c (test_lex.c: what it hands on; test_hostile_lex.c:
 * what it refuses): run conf_prepare() over a text held in memory, and compare what it hands
 * on, or the problems it reports, with what the test expects.
 */
#ifndef NSISOLATE_LEX_TEST_H
#define NSISOLATE_LEX_TEST_H

#include "conf_test.h"

#include "../../conf/lex.h"

struct prepared {
	int r;
	char *out;
	struct conf_diags d;
};

static inline void
prepare_len(struct prepared *p, const char *in, size_t len)
{
	*p = (struct prepared){.r = 1};
	assert_int_equal(conf_diags_init(&p->d, "lex.conf"), 0);
	p->r = conf_prepare(in, len, &p->out, &p->d);
}

static inline void
prepared_free(struct prepared *p)
{
	free(p->out);
	conf_diags_free(&p->d);
}

/* `in` is accepted and handed to libconfuse as exactly `out`. */
#define assert_prepared(in, expected)                             \
	do {                                                      \
		struct prepared p_;                               \
		prepare_len(&p_, (in), strlen(in));               \
		if (p_.r != 0) {                                  \
			dump_diags(&p_.d);                        \
			fail_msg("'%s' refused: %d", (in), p_.r); \
		}                                                 \
		assert_string_equal(p_.out, (expected));          \
		prepared_free(&p_);                               \
	} while (0)

/* `len` bytes of `in` are refused, and the problems are exactly those listed, in order. */
#define assert_refused_len(in, len, ...)                           \
	check_refused(in, len, (const struct want[]){__VA_ARGS__}, \
		      ARRAY_SIZE(((const struct want[]){__VA_ARGS__})), __FILE__, __LINE__)
/* The same for a string literal, which may hold NUL bytes. */
#define assert_refused(literal, ...) assert_refused_len(literal, sizeof(literal) - 1, __VA_ARGS__)

struct want {
	unsigned line;
	const char *msg;
};

static inline void
check_refused(const char *in, size_t len, const struct want *w, size_t n, const char *file, int at)
{
	struct prepared p;
	bool ok;

	prepare_len(&p, in, len);
	ok = p.r == -EINVAL && !p.out && p.d.n == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = p.d.v[i].line == w[i].line && strstr(p.d.v[i].msg, w[i].msg);
	if (!ok) {
		print_error("expected %zu problems, the first at line %u (\"%s\"); got r=%d and:\n",
			    n, w[0].line, w[0].msg, p.r);
		dump_diags(&p.d);
		prepared_free(&p);
		_fail(file, at);
	}
	prepared_free(&p);
}

#endif
