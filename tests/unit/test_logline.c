/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for pam_module/logline.c: the module's key=value log lines (pam_nsisolate(8),
 * LOG MESSAGES) split back into the same keys and values whatever the values hold, and the
 * helper's name for the rule split into rule= and rule_at=.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../pam_module/module.h"

static void
test_bare_and_quoted(void **state)
{
	char buf[512];
	struct logline l;

	(void)state;
	logline_init(&l, buf, sizeof(buf));
	logline_add(&l, "event", "open");
	logline_add(&l, "user", "alice");
	logline_addf(&l, "uid", "%u", 1000u);
	logline_add(&l, "tty", NULL);
	logline_add(&l, "rhost", "");
	logline_add(&l, "name", "a b");
	logline_add(&l, "q", "say \"hi\" \\o/");
	logline_add(&l, "eq", "a=b");
	logline_add(&l, "dash", "-");
	logline_add(&l, "ctl", "x\ny\tz");
	assert_string_equal(buf, "event=open user=alice uid=1000 tty=- rhost=\"\" name=\"a b\" "
				 "q=\"say \\\"hi\\\" \\\\o/\" eq=\"a=b\" dash=\"-\" ctl=x?y?z");
	assert_false(l.truncated);
}

static void
test_long_and_full(void **state)
{
	char buf[64], big[1000];
	struct logline l;

	(void)state;
	memset(big, 'u', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* A value is cut to 255 bytes ending in "..."; a pair that does not fit is left out. */
	logline_init(&l, buf, sizeof(buf));
	logline_add(&l, "event", "close");
	logline_add(&l, "user", big);
	assert_string_equal(buf, "event=close");
	assert_true(l.truncated);
	{
		char wide[600];

		logline_init(&l, wide, sizeof(wide));
		logline_add(&l, "user", big);
		assert_int_equal(strlen(wide), 5 + 255);
		assert_string_equal(wide + strlen(wide) - 3, "...");
	}
}

static void
test_rule(void **state)
{
	char buf[512];
	struct logline l;

	(void)state;
	logline_init(&l, buf, sizeof(buf));
	logline_add_rule(&l, "group:students:/etc/security/nsisolate.d/50-lab.conf:3");
	assert_string_equal(buf,
			    "rule=group:students rule_at=/etc/security/nsisolate.d/50-lab.conf:3");
	logline_init(&l, buf, sizeof(buf));
	logline_add_rule(&l, "user:al ice:/etc/x y.conf:12");
	assert_string_equal(buf, "rule=\"user:al ice\" rule_at=\"/etc/x y.conf:12\"");
	logline_init(&l, buf, sizeof(buf));
	logline_add_rule(&l, "top");
	assert_string_equal(buf, "rule=top rule_at=-");
	/* Cut short by the helper, or another version's words: the rule, and no place. */
	logline_init(&l, buf, sizeof(buf));
	logline_add_rule(&l, "user:xxxx");
	assert_string_equal(buf, "rule=user:xxxx rule_at=-");
	logline_init(&l, buf, sizeof(buf));
	logline_add_rule(&l, "group 'wheel' line 12");
	assert_string_equal(buf, "rule=\"group 'wheel' line 12\" rule_at=-");
	logline_init(&l, buf, sizeof(buf));
	logline_add_rule(&l, "user:x:");
	assert_string_equal(buf, "rule=user:x: rule_at=-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_and_quoted),
		cmocka_unit_test(test_long_and_full),
		cmocka_unit_test(test_rule),
	};

	return cmocka_run_group_tests_name("logline", tests, NULL, NULL);
}
