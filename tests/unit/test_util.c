/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/util.c (the one number parser, checked formatting, log-safe copies),
 * conf/diag.c (the problem list) and the name helpers of conf/resolve.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../common/util.h"
#include "../../conf/conf.h"

static void
test_parse_uint(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_uint("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_uint("42", 42, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_uint("007", 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_uint("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 99;
	assert_int_equal(parse_uint("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_uint("99999999999999999999999", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_uint("43", 42, &v), -ERANGE);
	assert_int_equal(parse_uint("", 10, &v), -EINVAL);
	assert_int_equal(parse_uint(NULL, 10, &v), -EINVAL);
	assert_int_equal(parse_uint("+1", 10, &v), -EINVAL);
	assert_int_equal(parse_uint("-1", 10, &v), -EINVAL);
	assert_int_equal(parse_uint(" 1", 10, &v), -EINVAL);
	assert_int_equal(parse_uint("1 ", 10, &v), -EINVAL);
	assert_int_equal(parse_uint("0x1", 10, &v), -EINVAL);
	assert_int_equal(parse_uint("1e3", 10000, &v), -EINVAL);
	/* Failures leave the output alone. */
	assert_int_equal(v, 99);
}

static void
test_xsnprintf(void **state)
{
	char buf[8];

	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s-%d", "ab", 12), 0);
	assert_string_equal(buf, "ab-12");
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "1234567"), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "12345678"), -ENAMETOOLONG);
	/* Truncated, but still a terminated string. */
	assert_string_equal(buf, "1234567");
}

static void
test_log_safe(void **state)
{
	char buf[8], small[3];

	assert_string_equal(log_safe("abc", buf, sizeof(buf)), "abc");
	assert_string_equal(log_safe("a\nb\x1b[0m", buf, sizeof(buf)), "a?b?[0m");
	assert_string_equal(log_safe("a\x7f", buf, sizeof(buf)), "a?");
	assert_string_equal(log_safe(NULL, buf, sizeof(buf)), "(null)");
	assert_string_equal(log_safe("1234567", buf, sizeof(buf)), "1234567");
	assert_string_equal(log_safe("12345678", buf, sizeof(buf)), "1234...");
	assert_string_equal(log_safe("abc", small, sizeof(small)), "");
}

static void
test_diags(void **state)
{
	struct conf_diags d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(conf_diags_init(&d, "/etc/x.conf"), 0);
	assert_false(conf_diags_failed(&d));
	conf_diag_add(&d, 7, "seventh %d", 7);
	conf_diag_add(&d, 0, "whole file");
	conf_diag_add(&d, 2, "second");
	conf_diag_add(&d, 7, "seventh again");
	/* Control bytes from the file must not reach a terminal or syslog. */
	conf_diag_add(&d, 3, "bad '%s'", "a\nb\x1b");
	assert_true(conf_diags_failed(&d));
	assert_int_equal(d.n, 5);
	assert_string_equal(d.v[4].msg, "bad 'a?b?'");

	f = open_memstream(&out, &len);
	assert_non_null(f);
	conf_diags_print(&d, f);
	fclose(f);
	/* Sorted by line, stable within a line, "FILE: msg" for the file as a whole. */
	assert_string_equal(out, "/etc/x.conf: whole file\n"
				 "/etc/x.conf:2: second\n"
				 "/etc/x.conf:3: bad 'a?b?'\n"
				 "/etc/x.conf:7: seventh 7\n"
				 "/etc/x.conf:7: seventh again\n");
	free(out);
	conf_diags_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.file);
}

static void
test_diags_limit(void **state)
{
	struct conf_diags d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	/* A hostile file must not make us collect millions of messages: 200, then a flag. */
	assert_int_equal(conf_diags_init(&d, NULL), 0);
	assert_string_equal(d.file, "(config)");
	for (unsigned i = 1; i <= 1000; i++)
		conf_diag_add(&d, i, "problem %u", i);
	assert_int_equal(d.n, 200);
	assert_true(d.oom);
	assert_string_equal(d.v[199].msg, "problem 200");

	f = open_memstream(&out, &len);
	assert_non_null(f);
	conf_diags_print(&d, f);
	fclose(f);
	assert_non_null(strstr(out, "(config):200: problem 200\n"));
	assert_null(strstr(out, "problem 201"));
	assert_non_null(strstr(out, "(config): more problems were found than could be listed\n"));
	free(out);
	conf_diags_free(&d);

	/* Lost messages alone still count as failure. */
	assert_int_equal(conf_diags_init(&d, "x"), 0);
	d.oom = true;
	assert_true(conf_diags_failed(&d));
	conf_diags_free(&d);
}

static void
test_names(void **state)
{
	char buf[32];

	assert_string_equal(conf_private_type_name(CONF_PRIV_SESSION), "session");
	assert_string_equal(conf_private_type_name(CONF_PRIV_USER), "user");
	assert_string_equal(conf_private_type_name(CONF_PRIV_PERSISTENT), "persistent");
	assert_string_equal(conf_private_type_name((enum conf_private_type)9), "?");
	assert_string_equal(conf_ns_name(CONF_NS_MOUNT), "mount");
	assert_string_equal(conf_ns_name(CONF_NS_IPC), "ipc");
	assert_string_equal(conf_ns_name(CONF_NS_PID), "pid");
	assert_string_equal(conf_ns_name(CONF_NS_UTS), "uts");
	assert_string_equal(conf_ns_name(CONF_NS_NET), "net");
	assert_string_equal(conf_ns_name(CONF_NS_ALL), "?");

	conf_ns_format(CONF_NS_ALL, buf, sizeof(buf));
	assert_string_equal(buf, "mount,ipc,pid,uts,net");
	conf_ns_format(CONF_NS_DEFAULT, buf, sizeof(buf));
	assert_string_equal(buf, "mount,ipc,pid,uts");
	conf_ns_format(CONF_NS_PID | CONF_NS_MOUNT, buf, sizeof(buf));
	assert_string_equal(buf, "mount,pid");
	conf_ns_format(CONF_NS_UTS, buf, sizeof(buf));
	assert_string_equal(buf, "uts");
	conf_ns_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* Too small: whole names only, never half of one. */
	conf_ns_format(CONF_NS_ALL, buf, 12);
	assert_string_equal(buf, "mount,ipc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_uint),  cmocka_unit_test(test_xsnprintf),
		cmocka_unit_test(test_log_safe),    cmocka_unit_test(test_diags),
		cmocka_unit_test(test_diags_limit), cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
