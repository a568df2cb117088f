/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for conf/values.c: every validator, accepted and refused inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "../../conf/values.h"

static void
test_size(void **state)
{
	char out[32], err[256];

	assert_int_equal(conf_parse_size("64M", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "67108864");
	assert_int_equal(conf_parse_size("25%", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "25%");
	assert_int_equal(conf_parse_size("0", out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_int_equal(conf_parse_size("101%", out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_int_equal(conf_parse_size("1T", out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_int_equal(conf_parse_size("-1", out, sizeof(out), err, sizeof(err)), -EINVAL);
	assert_int_equal(conf_parse_size("99999999999999999999G", out, sizeof(out), err,
					 sizeof(err)),
			 -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests_name("values", tests, NULL, NULL);
}
