/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What conf/lex.c refuses before libconfuse sees a byte, each problem with its line: bytes no
 * text file holds, broken UTF-8 (overlong forms and surrogates included), environment
 * references libconfuse would expand, comment look-alikes, broken strings and escapes,
 * unbalanced or too deeply nested braces, the title's reserved stand-in; and never more
 * than ten problems.  Next to each, the near misses that must still pass.  What the lexer
 * hands on is in test_lex.c; the same input through the whole parse, in test_hostile_conf.c.
 */
#include "lex_test.h"

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
		cmocka_unit_test(test_env_refused), cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_utf8),	    cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_punctuation), cmocka_unit_test(test_strings),
		cmocka_unit_test(test_braces),	    cmocka_unit_test(test_reserved_title),
	};

	return cmocka_run_group_tests_name("hostile_lex", tests, NULL, NULL);
}
