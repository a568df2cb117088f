/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/parse.c, top-level options: what a valid file means, and every refused
 * value with the line it is on, also after comments (libconfuse alone miscounts those), with
 * trailing comments and CRLF line ends, and several problems in one file.
 */
#include <stdio.h>

#include "conf_test.h"

/*
 * Every top-level option and each type of private directory, as an administrator would write
 * them (trailing comments included), with a user and a group section.
 */
static const char spec_example[] =
	"isolate       = true               # false: leave matching users alone\n"
	"namespaces    = {mount, ipc, pid, uts}\n"
	"hostname      = \"\"                 # \"\" keeps the host's name\n"
	"on_error      = deny               # deny | allow\n"
	"nested        = skip               # skip | isolate\n"
	"linger        = false              # true: keep namespaces\n"
	"kill_timeout  = 2                  # seconds from SIGTERM to SIGKILL\n"
	"exempt_users  = {\"root\"}\n"
	"exempt_groups = {}\n"
	"\n"
	"private \"/tmp\"     { type = user     size = \"25%\" }   # one tmpfs per user\n"
	"private \"/var/tmp\" { type = persistent }              # on disk\n"
	"private \"/dev/shm\" { type = session  size = \"64M\" }   # fresh for every session\n"
	"\n"
	"group \"students\" {\n"
	"    hostname = \"lab-%u\"\n"
	"}\n"
	"user \"alice\" {\n"
	"    isolate = false\n"
	"}\n";

static void
test_spec_example(void **state)
{
	struct conf *c = expect_ok(spec_example);
	struct plan p;

	resolve_ok(c, "bob", 1001, &p, "users");
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	assert_null(p.rule_title);
	assert_int_equal(p.namespaces, CONF_NS_DEFAULT);
	assert_string_equal(p.hostname, "");
	assert_int_equal(p.on_error, CONF_ON_ERROR_DENY);
	assert_int_equal(p.nested, CONF_NESTED_SKIP);
	assert_int_equal(p.share, CONF_SHARE_LOGIN); /* the default */
	assert_false(p.linger);
	assert_int_equal(p.kill_timeout, 2);
	assert_int_equal(p.n_private, 3);
	assert_string_equal(p.private[0].path, "/tmp");
	assert_int_equal(p.private[0].type, CONF_PRIV_USER);
	assert_string_equal(p.private[0].size, "25%");
	assert_int_equal(p.private[0].mode, 01777);
	assert_false(p.private[0].noexec);
	assert_int_equal(p.private[0].nr_inodes, 0);
	assert_int_equal(p.private[0].line, 11);
	assert_string_equal(p.private[1].path, "/var/tmp");
	assert_int_equal(p.private[1].type, CONF_PRIV_PERSISTENT);
	assert_string_equal(p.private[1].size, "");
	assert_int_equal(p.private[1].line, 12);
	assert_string_equal(p.private[2].path, "/dev/shm");
	assert_int_equal(p.private[2].type, CONF_PRIV_SESSION);
	assert_string_equal(p.private[2].size, "67108864");
	assert_int_equal(p.private[2].line, 13);

	resolve_ok(c, "carol", 1002, &p, "carol", "students");
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.rule_kind, CONF_RULE_GROUP);
	assert_string_equal(p.rule_title, "students");
	assert_int_equal(p.rule_line, 15);
	assert_string_equal(p.hostname, "lab-carol");
	assert_int_equal(p.n_private, 3);

	resolve_ok(c, "alice", 1000, &p, "students");
	assert_int_equal(p.verdict, PLAN_DISABLED);
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_int_equal(p.rule_line, 18);

	resolve_ok(c, "root", 0, &p, "root");
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "user 'root' is in exempt_users (line 8)");
	conf_free(c);
}

static void
test_shipped_config(void **state)
{
	/* The file `make install` puts in /etc: found from this file's own path. */
	char path[4096], *buf;
	const char *end = strstr(__FILE__, "tests/unit/");
	struct conf *c;
	struct plan p;
	size_t len;
	FILE *f;

	assert_non_null(end);
	assert_int_equal(xsnprintf(path, sizeof(path), "%.*sconf/nsisolate.conf",
				   (int)(end - __FILE__), __FILE__),
			 0);
	f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s", path);
	buf = calloc(1, CONF_MAX_FILE_SIZE + 1);
	assert_non_null(buf);
	len = fread(buf, 1, CONF_MAX_FILE_SIZE, f);
	fclose(f);
	c = expect_ok(buf);
	assert_int_equal(strlen(buf), len);
	free(buf);

	resolve_ok(c, "someone", 1000, &p, "users");
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.namespaces, CONF_NS_DEFAULT);
	assert_int_equal(p.share, CONF_SHARE_LOGIN);
	assert_int_equal(p.n_private, 3);
	resolve_ok(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	conf_free(c);
}

static void
test_defaults(void **state)
{
	/* An empty file: everyone but root isolated in every namespace but net, nothing private. */
	struct conf *c = expect_ok("");
	struct plan p;

	resolve_ok(c, "bob", 1001, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	assert_int_equal(p.namespaces, CONF_NS_DEFAULT);
	assert_string_equal(p.hostname, "");
	assert_int_equal(p.on_error, CONF_ON_ERROR_DENY);
	assert_int_equal(p.nested, CONF_NESTED_SKIP);
	assert_false(p.linger);
	assert_int_equal(p.kill_timeout, 2);
	assert_int_equal(p.n_private, 0);
	resolve_ok(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	conf_free(c);

	/* Comments and blank lines only: the same. */
	c = expect_ok("# nothing\n\n   \n\t# at all\r\n");
	resolve_ok(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	conf_free(c);
}

static void
test_top_values(void **state)
{
	struct conf *c = expect_ok("isolate = yes\n"
				   "namespaces = {uts, 'mount', \"ipc\"}\n"
				   "hostname = 'n-%U'\n"
				   "on_error = \"allow\"\n"
				   "nested = isolate\n"
				   "linger = on\n"
				   "kill_timeout = 3600\n");
	struct plan p;

	resolve_ok(c, "bob", 1001, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.namespaces, CONF_NS_UTS | CONF_NS_MOUNT | CONF_NS_IPC);
	assert_string_equal(p.hostname, "n-1001");
	assert_int_equal(p.on_error, CONF_ON_ERROR_ALLOW);
	assert_int_equal(p.nested, CONF_NESTED_ISOLATE);
	assert_true(p.linger);
	assert_int_equal(p.kill_timeout, 3600);
	conf_free(c);

	/* The scalar form of a list, `+=`, and a later `=` that starts the list again. */
	c = expect_ok("namespaces = ipc\nnamespaces += {uts}\nkill_timeout = 0\nisolate = off\n");
	resolve_ok(c, "bob", 1001, &p);
	assert_int_equal(p.verdict, PLAN_DISABLED);
	assert_int_equal(p.namespaces, CONF_NS_IPC | CONF_NS_UTS);
	assert_int_equal(p.kill_timeout, 0);
	conf_free(c);
	c = expect_ok("namespaces = {pid}\nnamespaces = {mount}\n");
	resolve_ok(c, "bob", 1001, &p);
	assert_int_equal(p.namespaces, CONF_NS_MOUNT);
	conf_free(c);
}

static void
test_exempt_services(void **state)
{
	struct conf *c;
	unsigned line = 7;
	struct plan p;

	/* Not set: no service is exempt, and nothing else changes. */
	c = expect_ok("");
	assert_int_equal(conf_exempt_services(c, &line), 0);
	assert_int_equal(line, 0);
	assert_null(conf_exempt_service(c, 0));
	assert_false(conf_service_exempt(c, "cron"));
	conf_free(c);
	c = expect_ok("exempt_services = {}\n");
	assert_int_equal(conf_exempt_services(c, &line), 0);
	conf_free(c);

	/* Quoted or not, over lines, appended; listed sorted; the line is the list's. */
	c = expect_ok("# c\n"
		      "exempt_services = {\"cron\", atd,\n"
		      "  'systemd-user', \"user@1000\", \"a.b+c_d\"}\n"
		      "exempt_users = {\"root\"}\n");
	assert_int_equal(conf_exempt_services(c, &line), 5);
	assert_int_equal(line, 3);
	assert_string_equal(conf_exempt_service(c, 0), "a.b+c_d");
	assert_string_equal(conf_exempt_service(c, 1), "atd");
	assert_string_equal(conf_exempt_service(c, 2), "cron");
	assert_string_equal(conf_exempt_service(c, 3), "systemd-user");
	assert_string_equal(conf_exempt_service(c, 4), "user@1000");
	assert_null(conf_exempt_service(c, 5));
	assert_true(conf_service_exempt(c, "systemd-user"));
	assert_false(conf_service_exempt(c, "systemd"));
	assert_false(conf_service_exempt(c, "Cron"));
	assert_false(conf_service_exempt(c, ""));
	/* Exempt users stay as they were: the lists are separate. */
	resolve_ok(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "user 'root' is in exempt_users (line 4)");
	conf_free(c);
	c = expect_ok("exempt_services = {cron}\nexempt_services += {atd}\n");
	assert_int_equal(conf_exempt_services(c, &line), 2);
	assert_true(conf_service_exempt(c, "atd"));
	assert_true(conf_service_exempt(c, "cron"));
	conf_free(c);
	/* A later `=` starts the list again. */
	c = expect_ok("exempt_services = {cron}\nexempt_services = {atd}\n");
	assert_int_equal(conf_exempt_services(c, &line), 1);
	assert_false(conf_service_exempt(c, "cron"));
	conf_free(c);
}

/* Each value refused on its own, after two comment lines and a trailing comment. */
static void
test_top_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{"bogus = 1", "no such option 'bogus'"},
		{"Isolate = true", "no such option 'Isolate'"},
		{"isolate = maybe", "invalid boolean value for option 'isolate'"},
		{"isolate = 1", "invalid boolean value for option 'isolate'"},
		{"linger = sometimes", "invalid boolean value for option 'linger'"},
		{"namespaces = {mount, time}", "namespace 'time' is not supported (yet)"},
		{"namespaces = {mount, cgroup}", "namespace 'cgroup' is not supported (yet)"},
		{"namespaces = {mount, mnt}", "'mnt' is not a namespace"},
		{"namespaces = {mount, ipc, mount}", "namespaces: 'mount' is listed twice"},
		{"namespaces = {}", "top level: no namespaces listed"},
		{"namespaces = {pid, ipc}", "top level: 'pid' needs 'mount' too"},
		{"hostname = \"lab_%u\"", "'_' cannot appear in a host name"},
		{"hostname = \"lab-%n\"", "unknown '%n'"},
		{"hostname = \"lab-%\"", "unknown '%'"},
		/* Fixed text that makes every expansion an invalid host name. */
		{"hostname = \"-%u\"", "cannot start with '-'"},
		{"hostname = \"%U-\"", "cannot end with '-'"},
		{"hostname = \"a%%b\"", "would put a '%' in the host name"},
		{"hostname = \"aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		 "aaaaaaaaaa\"",
		 "at least 70 bytes long"},
		{"on_error = maybe", "on_error 'maybe' is not deny or allow"},
		{"on_error = \"\"", "on_error '' is not deny or allow"},
		{"nested = never", "nested 'never' is not skip or isolate"},
		{"share = always", "share 'always' is not login or user"},
		{"share = true", "share 'true' is not login or user"},
		{"kill_timeout = x", "kill_timeout 'x' is not a whole number of seconds"},
		{"kill_timeout = -1", "kill_timeout '-1' is not a whole number"},
		{"kill_timeout = 1.5", "kill_timeout '1.5' is not a whole number"},
		{"kill_timeout = 3601", "from 0 to 3600"},
		{"kill_timeout = \"\"", "kill_timeout '' is not a whole number"},
		{"kill_timeout = {1}", "unexpected token '{'"},
		{"hostname = {a}", "unexpected token '{'"},
		{"exempt_users = {\"a:b\"}", "exempt_users: 'a:b' cannot be a user or group name"},
		{"exempt_users = {\"#x\"}",
		 "exempt_users: '#x': '#' must be followed by a numeric"},
		{"exempt_users = {\"\"}", "exempt_users: empty name"},
		{"exempt_groups = {\"#100\"}", "exempt_groups: '#100': group names cannot start"},
		{"exempt_groups = {\"wheel\", \"x:y\"}", "exempt_groups: 'x:y' cannot be"},
		{"exempt_services = {\"\"}", "exempt_services: empty service name"},
		{"exempt_services = {\"cron\", \"/etc/pam.d/atd\"}",
		 "exempt_services: '/etc/pam.d/atd' is not a PAM service name"},
		{"exempt_services = {\"..\"}", "exempt_services: '..' is not a PAM service name"},
		{"exempt_services = {\"cron jobs\"}", "exempt_services: 'cron jobs' is not a PAM"},
		{"exempt_services = {\"sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
		 "\"}",
		 "exempt_services: service name is longer than 64 bytes"},
		{"exempt_services = {cron, cron}",
		 "exempt_services: 'cron' is listed twice (first at line 3)"},
		{"exempt_users = {\"root\", \"#0\", \"root\"}",
		 "exempt_users: 'root' is listed twice (first at line 3)"},
		{"exempt_groups = {adm, wheel, adm}",
		 "exempt_groups: 'adm' is listed twice (first at line 3)"},
		{"isolate true", "missing equal sign after option 'isolate'"},
		{"isolate += true", "attempt to append to non-list option 'isolate'"},
		{"= 1", "unexpected token '='"},
		{"isolate = true false", "no such option 'false'"},
	};
	char text[512];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(xsnprintf(text, sizeof(text),
					   "# nsisolate.conf\n# two comment lines\n%s # why\n\n",
					   cases[i].text),
				 0);
		expect_error(text, 3, cases[i].msg);
	}
}

static void
test_lines_after_comments(void **state)
{
	char *text;
	size_t len = 0;
	FILE *f;

	/* libconfuse alone reports this at line 11 (docs/kernel-facts.md, 'libconfuse 3.3'). */
	expect_error("# one\n# two\n# three\n\nbogus = 1\n", 5, "no such option 'bogus'");
	/* Trailing comments on every line, with quotes and braces in them. */
	expect_error("isolate = true # \"quoted\" {\n"
		     "namespaces = {mount} # } '\n"
		     "linger = false #\n"
		     "kill_timeout = 99999 # too long\n",
		     4, "kill_timeout '99999'");
	/* Comment lines inside sections and lists. */
	expect_error("# top\nuser \"a\" {\n  # inside\n  # again\n  on_error = never\n}\n", 5,
		     "on_error 'never'");
	expect_error("namespaces = {\n  # first\n  mount,\n  # second\n  cgroup\n}\n", 5,
		     "namespace 'cgroup'");
	expect_error("exempt_users = {\n  \"root\",\n\n  \"a:b\", # no\n  \"bob\"\n}\n", 4,
		     "exempt_users: 'a:b'");
	expect_error("exempt_services = {\n  \"cron\",\n  # atd too\n  \"atd\",\n  \"a/b\"\n}\n", 5,
		     "exempt_services: 'a/b'");
	expect_error(
		"exempt_services = {\"cron\", \"atd\"}\n# again\nexempt_services += {\"cron\"}\n",
		3, "exempt_services: 'cron' is listed twice (first at line 1)");
	/* An empty list written over lines is reported where it starts. */
	expect_error("# c\nnamespaces = {\n  # none\n}\n", 2, "no namespaces listed");

	/* A thousand comment lines, then the problem. */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "# comment %d with a \"quote\" and a brace {\n", i);
	fputs("nested = sometimes\n", f);
	fclose(f);
	expect_error(text, 1001, "nested 'sometimes'");
	free(text);
}

static void
test_crlf(void **state)
{
	struct conf *c;
	struct plan p;

	expect_error("# c\r\n# d\r\nisolate = true\r\nfoo = 1\r\n", 4, "no such option 'foo'");
	expect_error("user \"a\" {\r\n\r\n  linger = maybe # x\r\n}\r\n", 3,
		     "invalid boolean value for option 'linger'");
	c = expect_ok("hostname = \"h-%u\"\r\nuser \"a\" {\r\n  kill_timeout = 7\r\n}\r\n");
	resolve_ok(c, "a", 5, &p);
	assert_int_equal(p.kill_timeout, 7);
	assert_string_equal(p.hostname, "h-a");
	assert_int_equal(p.rule_line, 2);
	conf_free(c);
}

static void
test_multiple_errors(void **state)
{
	/* Every problem the walk finds is reported, each at its own line. */
	struct parsed p;

	parse(&p, "# several problems\n"		     /* 1 */
		  "namespaces = {mount, uts, cgroup}\n"	     /* 2 */
		  "hostname = \"a b\"\n"		     /* 3 */
		  "kill_timeout = 9999\n"		     /* 4 */
		  "exempt_users = {\"root\", \"x:y\"}\n"     /* 5 */
		  "private \"tmp\" {\n"			     /* 6 */
		  "  # comment\n"			     /* 7 */
		  "  type = scratch\n"			     /* 8 */
		  "}\n"					     /* 9 */
		  "user \"u\" {\n"			     /* 10 */
		  "  on_error = maybe\n"		     /* 11 */
		  "}\n"					     /* 12 */
		  "group \"g\" {\n"			     /* 13 */
		  "  nested = perhaps\n"		     /* 14 */
		  "  private \"/srv/x\" { mode = 9 }\n"	     /* 15 */
		  "}\n"					     /* 16 */
		  "user \"u\" {}\n"			     /* 17 */
		  "exempt_services = {cron, \"\", cron}\n"); /* 18 */
	assert_diag(&p, 2, "namespace 'cgroup' is not supported");
	assert_diag(&p, 3, "' ' cannot appear in a host name");
	assert_diag(&p, 4, "kill_timeout '9999'");
	assert_diag(&p, 5, "exempt_users: 'x:y'");
	assert_diag(&p, 6, "private: 'tmp' is not an absolute path");
	assert_diag(&p, 8, "type 'scratch' is not one of session, user, persistent");
	assert_diag(&p, 11, "on_error 'maybe'");
	assert_diag(&p, 14, "nested 'perhaps'");
	assert_diag(&p, 15, "mode '9' is not an octal number");
	assert_diag(&p, 17, "duplicate user section 'u' (first at line 10)");
	assert_diag(&p, 18, "exempt_services: empty service name");
	assert_diag(&p, 18, "exempt_services: 'cron' is listed twice (first at line 18)");
	assert_ndiags(&p, 12);
	parsed_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_top_values),
		cmocka_unit_test(test_top_errors),
		cmocka_unit_test(test_lines_after_comments),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_exempt_services),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
