/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostile and broken input for conf_parse_buffer(): garbage, NUL bytes, huge lines, deep
 * nesting, bad UTF-8, environment references, comment look-alikes, broken structure and
 * libconfuse's own syntax errors, oversize files, names made for a shell; and tables read
 * back from the parse cache that do not hold together.  Each must be refused with a clear
 * message (and its line where there is one), and nothing may crash; `make sanitize` runs
 * these under ASan and UBSan.
 *
 * Every test of input that is hostile or broken as a whole is in a test_hostile_*.c, one per
 * reader: test_hostile_lex.c (the lexer), this file (the parser and the cache's tables),
 * test_hostile_request.c (the helper's arguments), test_hostile_reply.c (the helper's reply,
 * as the module reads it).  A wrong value in well-formed input is the business of the unit
 * that checks it (test_parse.c, test_sections.c, test_values.c); what the fuzzer found is in
 * test_fuzz_regressions.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../conf/cache.h"
#include "../../conf/store.h"
#include "conf_test.h"

/* A small, fixed generator: the same bytes on every run and every libc. */
static uint32_t
next_random(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static unsigned
count_lines(const char *buf, size_t len)
{
	unsigned n = 1;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* Refused, with a sane problem list: 1 to 200 messages, each within the file's lines. */
#define assert_refused_sanely(p, buf, len) check_sane(p, buf, len, __FILE__, __LINE__)
static void
check_sane(const struct parsed *p, const char *buf, size_t len, const char *file, int at)
{
	unsigned lines = count_lines(buf, len);

	if (p->r != -EINVAL || p->c || p->d.n == 0)
		goto bad;
	for (size_t i = 0; i < p->d.n; i++)
		if (p->d.v[i].line > lines + 1 || !p->d.v[i].msg[0])
			goto bad;
	return;
bad:
	print_error("expected a refusal with lines in 0..%u; got r=%d and:\n", lines + 1, p->r);
	dump_diags(&p->d);
	_fail(file, at);
}

static void
test_random_bytes(void **state)
{
	const size_t len = 1u << 20;
	char *buf = malloc(len);
	uint64_t seed = 20240601;
	struct parsed p;

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(next_random(&seed) & 0xff);
	parse_len(&p, buf, len);
	assert_refused_sanely(&p, buf, len);
	/* The byte check gives up after ten problems and says so. */
	assert_int_equal(p.d.n, 11);
	assert_string_equal(p.d.v[10].msg, "too many errors, giving up");
	parsed_free(&p);

	/* Printable garbage with newlines but no '$': it reaches the lexer and libconfuse. */
	for (size_t i = 0; i < len; i++) {
		uint32_t v = next_random(&seed) % 100;

		buf[i] = v < 4 ? '\n' : (char)(' ' + next_random(&seed) % 95);
		if (buf[i] == '$')
			buf[i] = '{';
	}
	parse_len(&p, buf, len);
	assert_refused_sanely(&p, buf, len);
	parsed_free(&p);
	free(buf);
}

/* Random sequences of the tokens the grammar knows: deeper than byte garbage goes. */
static void
test_token_soup(void **state)
{
	static const char *const words[] = {
		"user",
		"group",
		"private",
		"\"/tmp\"",
		"\"alice\"",
		"'g'",
		"{",
		"}",
		"=",
		"+=",
		",",
		"\n",
		"# c\n",
		"isolate",
		"namespaces",
		"hostname",
		"mount",
		"true",
		"type",
		"size",
		"\"25%\"",
		"exempt_users",
		"{}",
		"\"#5\"",
		"kill_timeout",
		"2",
		"user",
		"\"\"",
		"\r\n",
		"__x",
	};
	uint64_t seed = 42;
	char buf[512];

	for (int round = 0; round < 3000; round++) {
		size_t len = 0, n = 1 + next_random(&seed) % 40;
		struct parsed p;

		for (size_t i = 0; i < n; i++) {
			const char *w = words[next_random(&seed) % ARRAY_SIZE(words)];
			size_t wl = strlen(w);

			if (len + wl + 2 > sizeof(buf))
				break;
			memcpy(buf + len, w, wl);
			len += wl;
			buf[len++] = ' ';
		}
		buf[len] = '\0';
		parse_len(&p, buf, len);
		/* Either a configuration and no problem, or problems and no configuration. */
		if (p.r == 0) {
			assert_non_null(p.c);
			assert_int_equal(p.d.n, 0);
		} else {
			assert_refused_sanely(&p, buf, len);
		}
		parsed_free(&p);
	}
}

static void
test_nul_bytes(void **state)
{
	static const char text[] = "isolate = true\n\nhostname = \"a\0b\"\n";
	static const char title[] = "user \"ali\0ce\" {}\n";
	struct parsed p;

	/* libconfuse would stop reading at the NUL and take the rest as missing. */
	parse_len(&p, text, sizeof(text) - 1);
	assert_diag(&p, 3, "NUL byte in the file");
	assert_ndiags(&p, 1);
	parsed_free(&p);
	parse_len(&p, title, sizeof(title) - 1);
	assert_diag(&p, 1, "NUL byte in the file");
	assert_ndiags(&p, 1);
	parsed_free(&p);
	parse_len(&p, "\0", 1);
	assert_diag(&p, 1, "NUL byte in the file");
	parsed_free(&p);
}

static void
test_long_lines(void **state)
{
	const size_t n = 100 * 1000;
	char *buf = malloc(n + 64), *word = malloc(n + 1);
	struct parsed p;

	assert_non_null(buf);
	assert_non_null(word);
	memset(word, 'x', n);
	word[n] = '\0';

	/* A 100 kB option name, value, title and comment, each followed by a real problem. */
	snprintf(buf, n + 64, "%s = 1\n", word);
	parse(&p, buf);
	assert_diag(&p, 1, "no such option 'xxxxxxxx");
	assert_ndiags(&p, 1);
	parsed_free(&p);
	snprintf(buf, n + 64, "hostname = \"%s\"\nfoo = 1\n", word);
	expect_error(buf, 2, "no such option 'foo'");
	snprintf(buf, n + 64, "hostname = \"%s\"\n", word);
	expect_error(buf, 1, "hostname template is too long");
	snprintf(buf, n + 64, "\nuser \"%s\" {}\n", word);
	expect_error(buf, 2, "user section: name is longer than 256 bytes");
	snprintf(buf, n + 64, "# %s\nkill_timeout = x\n", word);
	expect_error(buf, 2, "kill_timeout 'x'");
	snprintf(buf, n + 64, "private \"/%s\" {}\n", word);
	expect_error(buf, 1, "private: path is longer than 4095 bytes");
	free(word);
	free(buf);
}

static void
test_deep_nesting(void **state)
{
	const size_t n = 100 * 1000;
	char *buf = malloc(n + 32);
	struct parsed p;

	assert_non_null(buf);
	memset(buf, '{', n);
	buf[n] = '\0';
	parse(&p, buf);
	assert_diag(&p, 1, "sections and lists nested too deeply");
	assert_diag(&p, 1, "too many errors, giving up");
	assert_ndiags(&p, 11);
	parsed_free(&p);

	memcpy(buf, "user \"a\" {\n", 11);
	memset(buf + 11, '}', n - 11);
	parse(&p, buf);
	assert_diag(&p, 2, "'}' without a matching '{'");
	parsed_free(&p);

	expect_error("user \"a\" {\n private \"/tmp\" {\n  x = {\n   {\n  }\n }\n}\n", 4,
		     "nested too deeply");
	free(buf);
}

static void
test_bad_utf8(void **state)
{
	struct parsed p;

	/* Latin-1 from an old editor, an overlong '/', an overlong NUL, a lone surrogate. */
	expect_error("# caf\xe9\n", 1, "invalid UTF-8 byte 0xe9");
	expect_error("\n\nuser \"jos\xe9\" {}\n", 3, "invalid UTF-8 byte 0xe9");
	parse(&p, "private \"/tmp\xc0\xaf..\" {}\n");
	assert_diag(&p, 1, "invalid UTF-8 byte 0xc0");
	assert_ndiags(&p, 1);
	parsed_free(&p);
	parse(&p, "\nhostname = \"a\xc0\x80\"\n");
	assert_diag(&p, 2, "invalid UTF-8 byte 0xc0");
	assert_ndiags(&p, 1);
	parsed_free(&p);
	expect_error("\nexempt_users = {\"\xed\xb0\x80\"}\n", 2, "invalid UTF-8 byte 0xed");
}

static void
test_environment(void **state)
{
	static const char *const cases[] = {
		"hostname = \"${HOME}\"\n",
		"hostname = ${HOME}\n",
		"hostname = '${HOME}'\n",
		"# see ${HOME}\n",
		"exempt_users = {\"${USER:-root}\"}\n",
		"user \"${USER}\" {}\n",
		"private \"${TMPDIR}\" {}\n",
		"${X} = 1\n",
	};
	char text[128];

	/* "${" is refused anywhere, before libconfuse could look the variable up. */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(xsnprintf(text, sizeof(text), "# c\n\n%s", cases[i]), 0);
		expect_error(text, 3, "'${' is not allowed: libconfuse would substitute");
	}
}

static void
test_punctuation(void **state)
{
	struct parsed p;

	expect_error("isolate = true // no\n", 1, "'//' outside quotes");
	parse(&p, "# a\nisolate = /* no */ true\n");
	assert_diag(&p, 2, "'/*' outside quotes");
	assert_diag(&p, 2, "unexpected '*'"); /* the closing one */
	assert_ndiags(&p, 2);
	parsed_free(&p);
	expect_error("+\n", 1, "unexpected '+'");
	expect_error("\n*\n", 2, "unexpected '*'");
	expect_error("\n\n(\n", 3, "unexpected '('");
	parse(&p, "exempt_users = (\"a\")\n");
	assert_diag(&p, 1, "unexpected '('");
	assert_diag(&p, 1, "unexpected ')'");
	assert_ndiags(&p, 2);
	parsed_free(&p);
}

static void
test_shell_names(void **state)
{
	/* Spaces and shell metacharacters in a title are data, matched exactly. */
	struct conf *c = expect_ok("user \"a b;$(rm)\" {}\n");
	struct plan p;

	resolve_ok(c, "a b;$(rm)", 1000, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_string_equal(p.rule_title, "a b;$(rm)");
	assert_int_equal(p.rule_line, 1);
	resolve_ok(c, "a", 1000, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	resolve_ok(c, "a b;$(rm -rf /)", 1000, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	conf_free(c);
}

static void
test_structure(void **state)
{
	expect_error("# c\nprivate \"/tmp\" {\n  type = user\n", 2, "'{' is never closed");
	expect_error("user \"a\" {\n  private \"/tmp\" {\n  }\n", 1, "'{' is never closed");
	expect_error("isolate = true\n}\n", 2, "'}' without a matching '{'");
	expect_error("user \"a\" {}\n}\n", 2, "'}' without a matching '{'");
	expect_error("__title = \"x\"\n", 1, "no such option '__title'");
	expect_error("\ngroup \"g\" {\n  __title = \"h\"\n}\n", 3, "no such option '__title'");
	expect_error("user \"a\" {\n  hostname = \"unterminated\n}\n", 2,
		     "unterminated quoted string");
}

static void
test_syntax_errors(void **state)
{
	/* libconfuse stops at its first syntax error; the line is still right. */
	expect_error("# a\n# b\nuser \"a\"\n\nisolate = false\n", 3,
		     "missing opening brace for section 'user'");
	expect_error("\nuser \"a\" {\n  # c\n  private \"/tmp\"\n}\n", 4,
		     "missing opening brace for section 'private'");
	expect_error("namespaces = {,mount}\n", 1, "unexpected token ','");
	expect_error("# c\nnamespaces = mount, ipc\n", 2, "unexpected token ','");
	/* An option without a value at the end: reported at the end of the file. */
	expect_error("# c\nisolate =\n", 3, "premature end of file");
}

static void
test_file_size(void **state)
{
	char *buf = malloc(CONF_MAX_FILE_SIZE + 1);
	struct parsed p;

	assert_non_null(buf);
	/* Exactly the limit is fine, */
	memset(buf, '\n', CONF_MAX_FILE_SIZE);
	parse_len(&p, buf, CONF_MAX_FILE_SIZE);
	assert_int_equal(p.r, 0);
	assert_non_null(p.c);
	assert_int_equal(p.d.n, 0);
	parsed_free(&p);
	/* one byte more is refused as a whole, before anything is read. */
	buf[CONF_MAX_FILE_SIZE] = '\n';
	parse_len(&p, buf, CONF_MAX_FILE_SIZE + 1);
	assert_diag(&p, 0, "file is larger than 4194304 bytes");
	assert_ndiags(&p, 1);
	parsed_free(&p);
	free(buf);
}

static void
test_too_many_problems(void **state)
{
	/* 1000 bad values: the list is capped and says problems were lost. */
	char *text;
	size_t len = 0;
	struct parsed p;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "user \"u%d\" { kill_timeout = x }\n", i);
	fclose(f);
	parse(&p, text);
	assert_int_equal(p.r, -EINVAL);
	assert_null(p.c);
	assert_int_equal(p.d.n, 200);
	assert_true(p.d.oom);
	assert_true(has_diag(&p.d, 1, "kill_timeout 'x'"));
	assert_true(has_diag(&p.d, 200, "kill_timeout 'x'"));
	parsed_free(&p);
	free(text);
}

/* A table read from a cache file: the exempt_services list is checked like the others. */
static void
test_validate_exempt_services(void **state)
{
	struct conf *c = expect_ok("exempt_services = {\"cron\", \"atd\"}\n");
	struct conf_header *h;
	char *copy;

	copy = malloc(c->size);
	assert_non_null(copy);
	h = (struct conf_header *)copy;
#define RESET() memcpy(copy, c->h, c->size)
	RESET();
	assert_int_equal(conf_validate_blob(copy, c->size), 0);
	assert_int_equal(h->n_exempt_services, 2);
	h->version = CONF_VERSION - 1;
	assert_int_equal(conf_validate_blob(copy, c->size), -EBADMSG);
	RESET();
	h->n_exempt_services = 1u << 30;
	assert_int_equal(conf_validate_blob(copy, c->size), -EBADMSG);
	RESET();
	h->exempt_services_off = (uint32_t)c->size + 8;
	assert_int_equal(conf_validate_blob(copy, c->size), -EBADMSG);
	RESET();
	h->exempt_services_off += 4; /* misaligned */
	assert_int_equal(conf_validate_blob(copy, c->size), -EBADMSG);
	RESET();
	((uint32_t *)(copy + h->exempt_services_off))[1] = h->strings_size;
	assert_int_equal(conf_validate_blob(copy, c->size), -EBADMSG);
#undef RESET
	free(copy);
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_token_soup),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_punctuation),
		cmocka_unit_test(test_shell_names),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_file_size),
		cmocka_unit_test(test_too_many_problems),
		cmocka_unit_test(test_validate_exempt_services),
	};

	return cmocka_run_group_tests_name("hostile_conf", tests, NULL, NULL);
}
