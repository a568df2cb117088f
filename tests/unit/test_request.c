/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for helper/request.c: the helper's reading of the module's arguments (the
 * command line in common/protocol.h) - what the module sends is taken, anything else is
 * refused - and the rule's name in the reply.
 */
#include <getopt.h>
#include <string.h>

#include "../../helper/helper.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAX_ARGS 32

/* Parse a NULL-terminated list of arguments after "nsisolate-helper"; req is left filled. */
static int
parse_v(struct request *req, const char *const *args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"nsisolate-helper";
	for (; *args; args++) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	memset(req, 0, sizeof(*req));
	/* Quiet: getopt would print its complaints about the bad cases to stderr. */
	opterr = 0;
	return request_parse(argc, argv, req);
}

#define parse(req, ...) parse_v((req), (const char *const[]){__VA_ARGS__, NULL})

static void
request_free(struct request *req)
{
	free(req->groups);
	req->groups = NULL;
}

/* The arguments spawn_helper() sends, every optional one included. */
static void
test_full(void **state)
{
	struct request req;

	(void)state;
	assert_int_equal(parse(&req, "open", "--conf", "/etc/security/nsisolate.conf", "--user",
			       "alice", "--uid", "1000", "--gid", "100", "--service", "sshd",
			       "--tty", "ssh", "--rhost", "192.0.2.1", "--group", "users",
			       "--group", "wheel"),
			 0);
	assert_string_equal(req.conf, "/etc/security/nsisolate.conf");
	assert_string_equal(req.user, "alice");
	assert_int_equal(req.uid, 1000);
	assert_int_equal(req.gid, 100);
	assert_string_equal(req.service, "sshd");
	assert_string_equal(req.tty, "ssh");
	assert_string_equal(req.rhost, "192.0.2.1");
	assert_int_equal(req.ngroups, 2);
	assert_string_equal(req.groups[0], "users");
	assert_string_equal(req.groups[1], "wheel");
	request_free(&req);
}

/* Only conf, user, uid, gid and service are needed; tty, rhost and groups may be absent. */
static void
test_minimal(void **state)
{
	struct request req;

	(void)state;
	assert_int_equal(parse(&req, "open", "--conf", "/c", "--user", "root", "--uid", "0",
			       "--gid", "0", "--service", "su"),
			 0);
	assert_int_equal(req.uid, 0);
	assert_int_equal(req.gid, 0);
	assert_null(req.tty);
	assert_null(req.rhost);
	assert_int_equal(req.ngroups, 0);
	request_free(&req);
}

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

/* As many groups as the module sends, each kept in order. */
static void
test_many_groups(void **state)
{
	const char *args[MAX_ARGS];
	struct request req;
	size_t n = 0;

	(void)state;
	args[n++] = "open";
	args[n++] = "--conf", args[n++] = "/c";
	args[n++] = "--user", args[n++] = "a";
	args[n++] = "--uid", args[n++] = "1";
	args[n++] = "--gid", args[n++] = "1";
	args[n++] = "--service", args[n++] = "s";
	while (n + 2 < MAX_ARGS)
		args[n++] = "--group", args[n++] = "g";
	args[n] = NULL;
	assert_int_equal(parse_v(&req, args), 0);
	assert_int_equal(req.ngroups, (n - 11) / 2);
	for (size_t i = 0; i < req.ngroups; i++)
		assert_string_equal(req.groups[i], "g");
	request_free(&req);
}

static void
test_describe_rule(void **state)
{
	char title[200], buf[128], want[128];
	struct plan p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.verdict = PLAN_ISOLATE;
	p.rule_kind = CONF_RULE_TOP;
	request_describe_rule(&p, buf, sizeof(buf));
	assert_string_equal(buf, "top level");

	p.rule_kind = CONF_RULE_USER;
	p.rule_title = "alice";
	p.rule_line = 3;
	request_describe_rule(&p, buf, sizeof(buf));
	assert_string_equal(buf, "user 'alice' line 3");

	p.verdict = PLAN_DISABLED;
	p.rule_kind = CONF_RULE_GROUP;
	p.rule_title = "wheel";
	p.rule_line = 12;
	request_describe_rule(&p, buf, sizeof(buf));
	assert_string_equal(buf, "group 'wheel' line 12");

	/* Exempt says so, whatever rule the plan was on. */
	p.verdict = PLAN_EXEMPT;
	request_describe_rule(&p, buf, sizeof(buf));
	assert_string_equal(buf, "exempt");

	/* A long title is cut at 80 characters, the line number kept. */
	memset(title, 'x', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	p.verdict = PLAN_ISOLATE;
	p.rule_title = title;
	p.rule_line = 4294967295u;
	request_describe_rule(&p, buf, sizeof(buf));
	snprintf(want, sizeof(want), "group '%.80s' line 4294967295", title);
	assert_string_equal(buf, want);

	/* A buffer too small for it still ends in a NUL. */
	request_describe_rule(&p, buf, 10);
	assert_string_equal(buf, "group 'xx");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),	      cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_missing),	      cmocka_unit_test(test_command),
		cmocka_unit_test(test_conf_absolute), cmocka_unit_test(test_ids),
		cmocka_unit_test(test_unknown),	      cmocka_unit_test(test_many_groups),
		cmocka_unit_test(test_describe_rule),
	};

	return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
