/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The helper's arguments as nobody but the module should send them, refused whole
 * (request_parse(), helper/request.c): a required one missing or empty, another command,
 * a relative configuration path, uids and gids that are not plain decimal or are (uid_t)-1,
 * options the module never sends and stray words.  What the module does send is taken:
 * test_request.c.
 */
#include "request_test.h"

/* Each required argument left out in turn, or empty where that means nothing. */
static void
test_missing(void **state)
{
	struct request req;

	(void)state;
	assert_int_equal(
		parse(&req, "open", "--user", "a", "--uid", "1", "--gid", "1", "--service", "s"),
		-EINVAL);
	request_free(&req);
	assert_int_equal(
		parse(&req, "open", "--conf", "/c", "--uid", "1", "--gid", "1", "--service", "s"),
		-EINVAL);
	request_free(&req);
	assert_int_equal(
		parse(&req, "open", "--conf", "/c", "--user", "a", "--gid", "1", "--service", "s"),
		-EINVAL);
	request_free(&req);
	assert_int_equal(
		parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--service", "s"),
		-EINVAL);
	request_free(&req);
	assert_int_equal(
		parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--gid", "1"),
		-EINVAL);
	request_free(&req);
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "", "--uid", "1", "--gid",
			       "1", "--service", "s"),
			 -EINVAL);
	request_free(&req);
	/* An option without its value at the end. */
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service"),
			 -EINVAL);
	request_free(&req);
}

/* Nothing but "open" is a command; nothing is read before it. */
static void
test_command(void **state)
{
	struct request req;
	char *none[] = {(char *)"nsisolate-helper", NULL};

	(void)state;
	memset(&req, 0, sizeof(req));
	assert_int_equal(request_parse(1, none, &req), -EINVAL);
	assert_int_equal(parse(&req, "close", "--conf", "/c", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s"),
			 -EINVAL);
	assert_int_equal(parse(&req, "OPEN", "--conf", "/c", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s"),
			 -EINVAL);
	assert_int_equal(parse(&req, "--conf", "/c", "open", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s"),
			 -EINVAL);
	request_free(&req);
}

/* The configuration is named by an absolute path: the helper's cwd is the login program's. */
static void
test_conf_absolute(void **state)
{
	struct request req;

	(void)state;
	assert_int_equal(parse(&req, "open", "--conf", "etc/nsisolate.conf", "--user", "a", "--uid",
			       "1", "--gid", "1", "--service", "s"),
			 -EINVAL);
	request_free(&req);
	assert_int_equal(parse(&req, "open", "--conf", "", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s"),
			 -EINVAL);
	request_free(&req);
}

/*
 * uid and gid: decimal digits, at most 4294967294.  (uid_t)-1 means "leave unchanged" to
 * setresuid() and its friends; signs, blanks, hex and overflow are refused.
 */
static void
test_ids(void **state)
{
	static const char *const bad[] = {
		"4294967295", "4294967296", "18446744073709551616",
		"-1",	      "+1",	    " 1",
		"1 ",	      "0x10",	    "1e3",
		"",	      "1000a",
	};
	struct request req;

	(void)state;
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "4294967294",
			       "--gid", "4294967294", "--service", "s"),
			 0);
	assert_int_equal(req.uid, 4294967294u);
	assert_int_equal(req.gid, 4294967294u);
	request_free(&req);
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "007", "--gid",
			       "0", "--service", "s"),
			 0);
	assert_int_equal(req.uid, 7);
	request_free(&req);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", bad[i],
				       "--gid", "1", "--service", "s"),
				 -EINVAL);
		request_free(&req);
		assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1",
				       "--gid", bad[i], "--service", "s"),
				 -EINVAL);
		request_free(&req);
	}
	/* Given twice, the last one counts: a bad one after a good one refuses. */
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--uid",
			       "x", "--gid", "1", "--service", "s"),
			 -EINVAL);
	request_free(&req);
}

/* Options the module never sends, and words that are no option at all. */
static void
test_unknown(void **state)
{
	struct request req;

	(void)state;
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s", "--shell", "/bin/sh"),
			 -EINVAL);
	request_free(&req);
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s", "-x"),
			 -EINVAL);
	request_free(&req);
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s", "extra"),
			 -EINVAL);
	request_free(&req);
	assert_int_equal(parse(&req, "open", "extra", "--conf", "/c", "--user", "a", "--uid", "1",
			       "--gid", "1", "--service", "s"),
			 -EINVAL);
	request_free(&req);
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "a", "--uid", "1", "--gid",
			       "1", "--service", "s", "--", "extra"),
			 -EINVAL);
	request_free(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),	      cmocka_unit_test(test_command),
		cmocka_unit_test(test_conf_absolute), cmocka_unit_test(test_ids),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests_name("hostile_request", tests, NULL, NULL);
}
