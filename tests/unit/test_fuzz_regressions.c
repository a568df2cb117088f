/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inputs that the fuzzer (tests/fuzz/fuzz_conf.c) or the attack suites (tests/attacks/)
 * found to misbehave in the configuration library, kept so that they stay fixed.  Each case
 * says what went wrong and where it was fixed.  `make sanitize` runs them under ASan+UBSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "../../conf/cache.h"
#include "../../conf/store.h"

static struct conf *
parse_ok(const char *text, size_t len)
{
	struct conf_diags d;
	struct conf *c = NULL;

	assert_int_equal(conf_diags_init(&d, "fuzz.conf"), 0);
	assert_int_equal(conf_parse_buffer("fuzz.conf", text, len, &c, &d), 0);
	assert_false(conf_diags_failed(&d));
	conf_diags_free(&d);
	assert_non_null(c);
	/* What the parse built is what the cache's validator accepts (fuzz_conf.c checks it). */
	assert_int_equal(conf_validate_blob(c->h, c->size), 0);
	return c;
}

static void
resolve(const struct conf *c, const char *name, uid_t uid, struct plan *ret)
{
	static const char *const groups[] = {"students"};
	struct identity id = {
		.name = name,
		.uid = uid,
		.gid = uid,
		.ngroups = 1,
		.group_names = groups,
	};
	char err[256];

	assert_int_equal(conf_resolve(c, &id, "host", ret, err, sizeof(err)), 0);
}

/*
 * conf/parse.c check_rule(): with no private directory in the whole file the builder has no
 * array, and `NULL + 0` is undefined behaviour (clang's UBSan: "applying zero offset to null
 * pointer").  The fuzzer's very first input, the empty file, found it.
 */
static void
test_no_private_directory_at_all(void **state)
{
	static const char *const inputs[] = {
		"",
		"\n",
		"# only a comment\n",
		"isolate = false\n",
		"user \"a\" { isolate = true }\ngroup \"students\" { hostname = \"x\" }\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct conf *c = parse_ok(inputs[i], strlen(inputs[i]));
		struct plan p;

		resolve(c, "alice", 1000, &p);
		assert_int_equal(p.n_private, 0);
		conf_free(c);
	}
}

static void
parse_refused(const char *text, unsigned line, const char *msg)
{
	struct conf_diags d;
	struct conf *c = NULL;
	bool found = false;

	assert_int_equal(conf_diags_init(&d, "fuzz.conf"), 0);
	assert_int_equal(conf_parse_buffer("fuzz.conf", text, strlen(text), &c, &d), -EINVAL);
	assert_null(c);
	for (size_t i = 0; i < d.n; i++)
		found |= d.v[i].line == line && strstr(d.v[i].msg, msg) != NULL;
	if (!found)
		fail_msg("no '%s' at line %u", msg, line);
	conf_diags_free(&d);
}

/*
 * conf/parse.c check_rule(): two `private` sections without a path, and nothing else that
 * stores a string, leave the builder without a string pool; comparing their paths for
 * duplicates then took strlen(NULL + 0): `nsisolate check` died of SIGSEGV, and so did the
 * helper at every login, refused without a reason.  Found by `make fuzz`.
 */
static void
test_untitled_private_sections(void **state)
{
	(void)state;
	parse_refused("private {\n type = persistent\n}\nprivate { type = session }\n", 4,
		      "private section without a path");
	parse_refused("private { }\nprivate { }\nprivate { }\n", 1,
		      "private section without a path");
	parse_refused("user \"a\" {\n private { }\n private { }\n}\n", 3,
		      "private section without a path");
}

/*
 * conf/resolve.c: in the file "#N" always means uid N, but NSS may have a user *named* "#N"
 * (LDAP can; /etc/passwd cannot, a line starting with '#' is a comment).  Matched by name,
 * a user named "#0" took root's exemption, and a user named "#N" uid N's rule.  Found by
 * tests/attacks/names.sh ("NSS names that look like #UID").
 */
static void
test_uid_like_names(void **state)
{
	static const char text[] = "exempt_users = {\"#0\"}\n"
				   "user \"#1002\" { isolate = false }\n"
				   "user \"#1001\" { hostname = \"by-uid\" }\n";
	struct conf *c = parse_ok(text, sizeof(text) - 1);
	struct plan p;

	(void)state;
	/* Named "#0", uid 1001: not root, and uid 1001's own rule applies. */
	resolve(c, "#0", 1001, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_string_equal(p.hostname, "by-uid");
	/* Named "#1002", uid 1003: neither uid 1002's rule nor anything else by name. */
	resolve(c, "#1002", 1003, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	/* The uid forms still work for their uids. */
	resolve(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	resolve(c, "#1002", 1002, &p);
	assert_int_equal(p.verdict, PLAN_DISABLED);
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_private_directory_at_all),
		cmocka_unit_test(test_untitled_private_sections),
		cmocka_unit_test(test_uid_like_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
