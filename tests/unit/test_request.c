/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for helper/request.c: the helper's reading of what the module sends (the
 * command line in common/protocol.h), and the rule's name in the reply.  Arguments the
 * module never sends are refused: test_hostile_request.c.
 */
#include "request_test.h"

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

/* The reply's name for the rule, which the module splits for rule= and rule_at=. */
static void
test_rule_tag(void **state)
{
	char title[300], buf[128], want[128];
	struct plan p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.verdict = PLAN_ISOLATE;
	p.rule_kind = CONF_RULE_TOP;
	request_rule_tag(&p, buf, sizeof(buf));
	assert_string_equal(buf, "top");

	p.rule_kind = CONF_RULE_GROUP;
	p.rule_title = "students";
	p.rule_file = "/etc/security/nsisolate.d/50-lab.conf";
	p.rule_line = 3;
	request_rule_tag(&p, buf, sizeof(buf));
	assert_string_equal(buf, "group:students:/etc/security/nsisolate.d/50-lab.conf:3");
	p.verdict = PLAN_EXEMPT;
	request_rule_tag(&p, buf, sizeof(buf));
	assert_string_equal(buf, "exempt");

	/* A long name is cut short; the place is kept whole, and the buffer full. */
	memset(title, 'x', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	p.verdict = PLAN_ISOLATE;
	p.rule_kind = CONF_RULE_USER;
	p.rule_title = title;
	p.rule_file = "/etc/security/nsisolate.conf";
	p.rule_line = 4294967295u;
	request_rule_tag(&p, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	snprintf(want, sizeof(want), ":%s:4294967295", p.rule_file);
	assert_string_equal(buf + strlen(buf) - strlen(want), want);
	assert_memory_equal(buf, "user:xxx", 8);

	/* No room for the place: the rule alone, with one ':' (the module then says rule_at=-). */
	request_rule_tag(&p, buf, 20);
	assert_string_equal(buf, "user:xxxxxxxxxxxxxx");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),	    cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_many_groups), cmocka_unit_test(test_describe_rule),
		cmocka_unit_test(test_rule_tag),
	};

	return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
