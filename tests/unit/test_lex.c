/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/lex.c, the pass before libconfuse: what it hands on (comments gone,
 * newlines kept, titles rewritten, list braces moved) and what it refuses, with the line.
 */
#include "conf_test.h"

#include "../../conf/lex.h"

struct prepared {
	int r;
	char *out;
	struct conf_diags d;
};

static void
prepare_len(struct prepared *p, const char *in, size_t len)
{
	*p = (struct prepared){.r = 1};
	assert_int_equal(conf_diags_init(&p->d, "lex.conf"), 0);
	p->r = conf_prepare(in, len, &p->out, &p->d);
}

static void
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

static void
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

static void
test_env_refused(void **state)
{
	static const char *const cases[] = {
		"hostname = \"${HOME}\"\n", "hostname = ${HOME}\n",
		"hostname = '${HOME}'\n",   "# ${HOME}\n",
		"user \"${USER}\" {}\n",    "exempt_users = {\"${X:-root}\"}\n",
	};

	/* libconfuse would expand "${" from the caller's environment: refused anywhere. */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_refused_len(cases[i], strlen(cases[i]), {1, "'${' is not allowed"});
	assert_refused("a = 1\n\n\nb = \"x${\"\n", {4, "'${' is not allowed"});
	/* Only "${" is special: "$HOME" and "$ {" are plain text. */
	assert_prepared("a = \"$HOME\" b = $ {x}\n", "a = \"$HOME\" b = $ {x}\n");
}

static void
test_bytes(void **state)
{
	assert_refused("isolate = true\n\0\n", {2, "NUL byte in the file"});
	assert_refused("a = 1\n\nb = \"x\x01\"\n", {3, "control character 0x01"});
	assert_refused("\x1b[31m\n", {1, "control character 0x1b"});
	assert_refused("a\x7f\n", {1, "control character 0x7f"});
	assert_refused("a\x0b\n", {1, "control character 0x0b"});
	assert_refused("a = 1\x0c", {1, "control character 0x0c"});
	/* A lone CR (old Mac line end) is a blank, not a new line. */
	assert_prepared("a = 1\rb = 2\n", "a = 1 b = 2\n");
	/* Valid UTF-8 of every length is fine. */
	assert_prepared("a = \"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n",
			"a = \"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n");
}

static void
test_utf8(void **state)
{
	/* Stray continuation bytes, bytes that never occur, a sequence cut short. */
	assert_refused("a\n\x80\n", {2, "invalid UTF-8 byte 0x80"});
	assert_refused("\x80\xbf\x80", {1, "invalid UTF-8 byte 0x80"});
	assert_refused("\xff", {1, "invalid UTF-8 byte 0xff"});
	assert_refused("\xfe\n\xfe", {1, "invalid UTF-8 byte 0xfe"}, {2, "byte 0xfe"});
	assert_refused("a = \"\xe2\x82\"", {1, "invalid UTF-8 byte 0xe2"});
	assert_refused("\xe2\x82", {1, "invalid UTF-8 byte 0xe2"});
	/* Each broken sequence is one problem, and what follows it is checked again. */
	assert_refused("\xe2\x82\xc3\xa9\xff", {1, "byte 0xe2"}, {1, "byte 0xff"});
	/* Overlong forms: '/' as two, three and four bytes (a classic filter bypass). */
	assert_refused("\xc0\xaf", {1, "invalid UTF-8 byte 0xc0"});
	assert_refused("\xc1\xbf", {1, "invalid UTF-8 byte 0xc1"});
	assert_refused("\xe0\x80\xaf", {1, "invalid UTF-8 byte 0xe0"});
	assert_refused("\xf0\x80\x80\xaf", {1, "invalid UTF-8 byte 0xf0"});
	/* UTF-16 surrogates and code points past U+10FFFF. */
	assert_refused("\xed\xa0\x80", {1, "invalid UTF-8 byte 0xed"});
	assert_refused("\xed\xbf\xbf", {1, "invalid UTF-8 byte 0xed"});
	assert_refused("\xf4\x90\x80\x80", {1, "invalid UTF-8 byte 0xf4"});
	assert_refused("\xf5\x80\x80\x80", {1, "invalid UTF-8 byte 0xf5"});
	/* The largest and smallest valid ones around those edges pass. */
	assert_prepared("\"\xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80 \xe0\xa0\x80 \xc2\x80\"",
			"\"\xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80 \xe0\xa0\x80 \xc2\x80\"");
}

static void
test_error_limit(void **state)
{
	char buf[64];

	/* Ten problems, then one line saying we gave up: never millions of messages. */
	memset(buf, '\0', sizeof(buf));
	assert_refused_len(buf, sizeof(buf), {1, "NUL byte"}, {1, "NUL byte"}, {1, "NUL byte"},
			   {1, "NUL byte"}, {1, "NUL byte"}, {1, "NUL byte"}, {1, "NUL byte"},
			   {1, "NUL byte"}, {1, "NUL byte"}, {1, "NUL byte"},
			   {1, "too many errors, giving up"});
}

static void
test_punctuation(void **state)
{
	assert_refused("a = 1\n+\n", {2, "unexpected '+'"});
	assert_refused("*", {1, "unexpected '*'"});
	assert_refused("\n\nf(x)\n", {3, "unexpected '('"}, {3, "unexpected ')'"});
	assert_refused("a = b + c", {1, "unexpected '+'"});
	/* Slash-slash and slash-star outside quotes look like comments to a reader only. */
	assert_refused("a = 1 // note\n", {1, "'//' outside quotes"});
	assert_refused("\na = 1 /* note */\n", {2, "'/*' outside quotes"}, {2, "unexpected '*'"});
	assert_refused("a = x//y\n", {1, "'//' outside quotes"});
	assert_prepared("a = /x/y b = \"//\" c = '/*'\n", "a = /x/y b = \"//\" c = '/*'\n");
}

static void
test_strings(void **state)
{
	assert_refused("a = 1\nb = \"x\nc = 2\n", {2, "unterminated quoted string"});
	assert_refused("b = 'x", {1, "unterminated quoted string"});
	/* One bad escape, one message; the lines after it are still counted. */
	assert_refused("a = \"x\\n\"\nb = \"\\t\"\n", {1, "unsupported escape '\\n'"},
		       {2, "unsupported escape '\\t'"});
	assert_refused("a = 'x\\\"'\n", {1, "unsupported escape '\\\"'"});
	/* A backslash at the very end: one escape problem, and the string never ends. */
	assert_refused("a = \"x\\", {1, "unsupported escape '\\?'"},
		       {1, "unterminated quoted string"});
	assert_refused("a = \"x\\\nb = 1\n", {1, "unsupported escape"},
		       {1, "unterminated quoted string"});
}

static void
test_braces(void **state)
{
	/* An unclosed section at the end of the file: libconfuse alone would accept it. */
	assert_refused("private \"/tmp\" {\n  type = user\n", {1, "'{' is never closed"});
	assert_refused("\n\nuser \"a\" {\n private \"/tmp\" {\n", {4, "'{' is never closed"});
	assert_refused("a = {x,\n", {1, "'{' is never closed"});
	assert_refused("a = 1\n}\n", {2, "'}' without a matching '{'"});
	assert_refused("}\n\n}\n", {1, "'}' without a matching '{'"},
		       {3, "'}' without a matching '{'"});
	/* Three levels are enough for `user { private { x = {} } }`; a fourth is refused once. */
	assert_prepared("user \"a\" { private \"/b\" { x = {c} } }",
			"user { __title = \"a\"  private { __title = \"/b\"  x = {c} } }");
	assert_refused("a = {{{{}}}}\n", {1, "nested too deeply"});
	assert_refused("a = {\n{\n{\n{\n{\n}}}}}\n", {4, "nested too deeply"},
		       {5, "nested too deeply"});
}

static void
test_reserved_title(void **state)
{
	/* The title's stand-in option must not be writable from the file. */
	assert_refused("__title = \"x\"\n", {1, "no such option '__title'"});
	assert_refused("\nuser \"u\" {\n __title = \"v\"\n}\n", {3, "no such option '__title'"});
	assert_refused("private \"/tmp\" { '__title' = \"/x\" }", {1, "no such option"});
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comments),       cmocka_unit_test(test_titles),
		cmocka_unit_test(test_lists),	       cmocka_unit_test(test_env_refused),
		cmocka_unit_test(test_bytes),	       cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_error_limit),    cmocka_unit_test(test_punctuation),
		cmocka_unit_test(test_strings),	       cmocka_unit_test(test_braces),
		cmocka_unit_test(test_reserved_title),
	};

	return cmocka_run_group_tests_name("lex", tests, NULL, NULL);
}
