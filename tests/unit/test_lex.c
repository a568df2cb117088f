/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/lex.c, the pass before libconfuse: what it hands on (comments gone,
 * newlines kept, titles rewritten, list braces moved).  What it refuses, with the line, is in
 * test_hostile_lex.c.
 */
#include "lex_test.h"

static void
test_comments(void **state)
{
	/* Comments go, their newlines stay: every later line keeps its number. */
	assert_prepared("a = 1 # c\n# full\nb = 2\n", "a = 1 \n\nb = 2\n");
	assert_prepared("# only a comment", "");
	assert_prepared("#\n#\n#\n", "\n\n\n");
	/* Inside quotes '#' is text. */
	assert_prepared("h = \"a#b\" # x\n", "h = \"a#b\" \n");
	assert_prepared("h = 'a#b'\n", "h = 'a#b'\n");
	/* CR and tabs are blanks: CRLF files keep their line count. */
	assert_prepared("a = 1\r\nb = 2\r\n", "a = 1 \nb = 2 \n");
	assert_prepared("a\t=\t1\n", "a = 1\n");
	assert_prepared("", "");
}

static void
test_titles(void **state)
{
	/* Titles become an option, so libconfuse needs no quadratic duplicate check. */
	assert_prepared("user \"alice\" {\n}\n", "user { __title = \"alice\" \n}\n");
	assert_prepared("group 'g' {}", "group { __title = 'g' }");
	assert_prepared("private /tmp { }", "private { __title = /tmp  }");
	/* A title on its own line stays there; what follows keeps its line. */
	assert_prepared("user\n  \"alice\"\n{ isolate = false }\n",
			"user\n  { __title = \"alice\"\n isolate = false }\n");
	assert_prepared("group \"g\" { private \"/var/tmp\" {} }",
			"group { __title = \"g\"  private { __title = \"/var/tmp\" } }");
	/* No title: the empty mark stands in, so libconfuse knows the section's first line. */
	assert_prepared("user {\n}\n", "user { __title = '\x01'\n}\n");
	assert_prepared("private\n{}", "private\n{ __title = '\x01'}");
	/* A user may be called "user"; other braces are left alone. */
	assert_prepared("user \"user\" {}", "user { __title = \"user\" }");
	assert_prepared("namespaces = {user}", "namespaces = {user}");
	assert_prepared("x = \"t\" {}", "x = \"t\" {}");
}

static void
test_lists(void **state)
{
	/* A list's '}' moves up to its last value, so libconfuse reports that value's line. */
	assert_prepared("namespaces = {\n  mount, # one\n  ipc\n  # end\n}\nx = 1\n",
			"namespaces = {\n  mount, \n  ipc}\n  \n\nx = 1\n");
	/* An empty list becomes one value no file may hold, so that it is seen at all. */
	assert_prepared("x = {}\ny += {\n}\n", "x = {'\x01'}\ny += {'\x01'}\n\n");
	assert_prepared("x += {a}", "x += {a}");
	/* Escapes: only the quote and the backslash. */
	assert_prepared("x = \"a\\\\b\\\"c\" y = 'd\\'e'\n", "x = \"a\\\\b\\\"c\" y = 'd\\'e'\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_titles),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests_name("lex", tests, NULL, NULL);
}
