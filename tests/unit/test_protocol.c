/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the reply's on_error (common/protocol.h): the wire's numbers are its own,
 * the helper maps every configuration value onto them (reply_on_error, helper/helper.h), and
 * the module allows a failed login only on NSI_ON_ERROR_ALLOW.  If conf_on_error is ever
 * reordered, these still hold; if someone sends conf values again, they fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "../../conf/values.h"
#include "../../helper/helper.h"

/* The numbers are the protocol: a module and a helper of other builds must agree on them. */
_Static_assert(NSI_ON_ERROR_DENY == 2, "the wire's deny is 2");
_Static_assert(NSI_ON_ERROR_ALLOW == 3, "the wire's allow is 3");

static void
test_wire_numbers(void **state)
{
	(void)state;
	assert_int_equal(NSI_ON_ERROR_DENY, 2);
	assert_int_equal(NSI_ON_ERROR_ALLOW, 3);
	assert_int_equal(sizeof(((struct nsi_reply *)NULL)->on_error), sizeof(uint32_t));
}

/* Every configuration value, named by what the file says, not by its number. */
static void
test_translation(void **state)
{
	enum conf_on_error e = CONF_ON_ERROR_ALLOW;
	char err[128];

	(void)state;
	assert_int_equal(reply_on_error(CONF_ON_ERROR_DENY), NSI_ON_ERROR_DENY);
	assert_int_equal(reply_on_error(CONF_ON_ERROR_ALLOW), NSI_ON_ERROR_ALLOW);
	assert_int_equal(conf_parse_on_error("deny", &e, err, sizeof(err)), 0);
	assert_int_equal(reply_on_error(e), NSI_ON_ERROR_DENY);
	assert_int_equal(conf_parse_on_error("allow", &e, err, sizeof(err)), 0);
	assert_int_equal(reply_on_error(e), NSI_ON_ERROR_ALLOW);
	/* A value the switch does not know (a corrupt plan, say) is deny. */
	assert_int_equal(reply_on_error((enum conf_on_error)77), NSI_ON_ERROR_DENY);
	assert_int_equal(reply_on_error((enum conf_on_error) - 1), NSI_ON_ERROR_DENY);
}

/*
 * The module's reading: only NSI_ON_ERROR_ALLOW allows; an all-zero reply refuses, and so
 * does 1, the configuration's allow that earlier helpers sent.
 */
static void
test_module_reading(void **state)
{
	static const uint32_t refused[] = {
		0, 1, NSI_ON_ERROR_DENY, 4, 0x100 | NSI_ON_ERROR_ALLOW, UINT32_MAX,
	};
	struct nsi_reply zero;

	(void)state;
	assert_true(nsi_on_error_allows(NSI_ON_ERROR_ALLOW));
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		assert_false(nsi_on_error_allows(refused[i]));
	memset(&zero, 0, sizeof(zero));
	assert_false(nsi_on_error_allows(zero.on_error));
	/* What the helper sends for each configuration value reads back as that value. */
	assert_false(nsi_on_error_allows(reply_on_error(CONF_ON_ERROR_DENY)));
	assert_true(nsi_on_error_allows(reply_on_error(CONF_ON_ERROR_ALLOW)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_numbers),
		cmocka_unit_test(test_translation),
		cmocka_unit_test(test_module_reading),
	};

	return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}
