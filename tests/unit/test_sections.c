/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/parse.c, sections: `private`, `user` and `group`, their values, their
 * titles, the checks that need a whole rule, and every problem with its line.
 */
#include <stdio.h>

#include "conf_test.h"

static void
test_private_values(void **state)
{
	struct conf *c = expect_ok("# privates\n"
				   "private \"/tmp\" {\n"
				   "  type = user\n"
				   "  size = \"25%\"\n"
				   "  nr_inodes = 10K\n"
				   "  mode = 0700\n"
				   "  noexec = true\n"
				   "}\n"
				   "private /var/tmp { type = persistent mode = 1777 }\n"
				   "private '/dev/shm' {}\n"
				   "private \"/srv/scratch dir\" { type = session size = 1G }\n");
	struct plan p;

	resolve_ok(c, "bob", 1001, &p);
	assert_int_equal(p.n_private, 4);
	assert_string_equal(p.private[0].path, "/tmp");
	assert_int_equal(p.private[0].type, CONF_PRIV_USER);
	assert_string_equal(p.private[0].size, "25%");
	assert_int_equal(p.private[0].nr_inodes, 10240);
	assert_int_equal(p.private[0].mode, 0700);
	assert_true(p.private[0].noexec);
	assert_int_equal(p.private[0].line, 2);
	assert_string_equal(p.private[1].path, "/var/tmp");
	assert_int_equal(p.private[1].type, CONF_PRIV_PERSISTENT);
	assert_int_equal(p.private[1].mode, 01777);
	assert_string_equal(p.private[1].size, "");
	assert_int_equal(p.private[1].line, 9);
	/* Defaults: a session tmpfs of the kernel's size, mode 1777, exec allowed. */
	assert_string_equal(p.private[2].path, "/dev/shm");
	assert_int_equal(p.private[2].type, CONF_PRIV_SESSION);
	assert_string_equal(p.private[2].size, "");
	assert_int_equal(p.private[2].nr_inodes, 0);
	assert_int_equal(p.private[2].mode, 01777);
	assert_false(p.private[2].noexec);
	assert_int_equal(p.private[2].line, 10);
	assert_string_equal(p.private[3].path, "/srv/scratch dir");
	assert_string_equal(p.private[3].size, "1073741824");
	conf_free(c);
}

static void
test_private_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line; /* counted from the section's first line, 1 */
		const char *msg;
	} cases[] = {
		{"private \"tmp\" {}", 1, "private: 'tmp' is not an absolute path"},
		{"private \"\" {}", 1, "private: '' is not an absolute path"},
		{"private \"/\" {}", 1, "'/' cannot be made private"},
		{"private \"/tmp/\" {}", 1, "'/tmp/' is not canonical"},
		{"private \"/var/./tmp\" {}", 1, "'/var/./tmp' is not canonical"},
		{"private \"/proc\" {}", 1, "'/proc' is a kernel file system"},
		{"private \"/run/nsisolate\" {}", 1, "would hide nsisolate's own state"},
		{"private \"/var/lib/nsisolate/1000\" {}", 1, "would hide nsisolate's own state"},
		{"private {\n type = user\n}", 1, "private section without a path"},
		{"private \"/tmp\" {\n type = shared\n}", 2, "type 'shared' is not one of"},
		{"private \"/tmp\" {\n\n size = \"0\"\n}", 3, "size must be greater than 0"},
		{"private \"/tmp\" {\n size = \"200%\"\n}", 2, "a percentage must be 1% to 100%"},
		{"private \"/tmp\" {\n size = 1T\n}", 2, "size '1T' is not bytes, K, M, G or N%"},
		{"private \"/tmp\" {\n nr_inodes = 0\n}", 2, "must be at least 1"},
		{"private \"/tmp\" {\n nr_inodes = lots\n}", 2, "'lots' is not a number"},
		{"private \"/tmp\" {\n mode = 4777\n}", 2,
		 "may hold permission bits and the sticky"},
		{"private \"/tmp\" {\n mode = rwx\n}", 2, "mode 'rwx' is not an octal number"},
		{"private \"/tmp\" {\n noexec = perhaps\n}", 2, "invalid boolean value for option"},
		{"private \"/tmp\" {\n type = persistent\n size = 1M\n}", 3,
		 "size applies to tmpfs types (session, user) only"},
		{"private \"/tmp\" {\n nr_inodes = 5\n type = persistent\n}", 2,
		 "nr_inodes applies to tmpfs types"},
		{"private \"/tmp\" {\n bogus = 1\n}", 2, "no such option 'bogus'"},
		{"private \"/tmp\" {\n private \"/x\" {}\n}", 2, "no such option 'private'"},
		{"private \"/tmp\" {\n isolate = false\n}", 2, "no such option 'isolate'"},
	};
	char text[512];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* At the top level, in a user section and in a group section, after comments. */
		assert_int_equal(xsnprintf(text, sizeof(text), "# c\n# d\n%s\n", cases[i].text), 0);
		expect_error(text, cases[i].line + 2, cases[i].msg);
		assert_int_equal(xsnprintf(text, sizeof(text), "# c\nuser \"u\" {\n# d\n%s\n}\n",
					   cases[i].text),
				 0);
		expect_error(text, cases[i].line + 3, cases[i].msg);
		assert_int_equal(
			xsnprintf(text, sizeof(text), "group \"g\" {\n%s # e\n}\n", cases[i].text),
			0);
		expect_error(text, cases[i].line + 1, cases[i].msg);
	}
}

static void
test_private_lists(void **state)
{
	struct parsed p;
	char *text;
	size_t len = 0;
	FILE *f;

	expect_error("private \"/tmp\" {}\n\nprivate \"/tmp\" { type = user }\n", 3,
		     "private '/tmp' is listed twice (first at line 1)");
	expect_error("private \"/srv\" {}\nprivate \"/srv/a\" {}\n", 2,
		     "private '/srv/a' and '/srv' (line 1) are nested");
	expect_error("private \"/srv/a/b\" {}\n# c\nprivate \"/srv/a\" {}\n", 3,
		     "private '/srv/a' and '/srv/a/b' (line 1) are nested");
	/* Siblings that share a prefix are not nested. */
	conf_free(expect_ok(
		"private \"/srv/a\" {}\nprivate \"/srv/ab\" {}\nprivate \"/srv/b\" {}\n"));
	/* The same path in two sections is fine: each list stands alone. */
	conf_free(expect_ok("private \"/tmp\" {}\nuser \"u\" { private \"/tmp\" {} }\n"));

	/* 16 private directories are allowed, the 17th is reported where it is. */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("namespaces = {mount}\n", f);
	for (int i = 0; i < 16; i++)
		fprintf(f, "private \"/srv/p%d\" {}\n", i);
	fflush(f);
	conf_free(expect_ok(text));
	fputs("# one more\nprivate \"/srv/p16\" {}\n", f);
	fclose(f);
	expect_error(text, 19, "top level: more than 16 private directories");
	free(text);

	/* Several problems in one list: each at its own line. */
	parse(&p, "private \"/a\" { type = bad }\n"
		  "private \"/a\" { size = x }\n"
		  "private \"rel\" {}\n"
		  "private \"/a/b\" { mode = 99999 }\n");
	assert_diag(&p, 1, "type 'bad'");
	assert_diag(&p, 2, "size 'x'");
	assert_diag(&p, 2, "private '/a' is listed twice (first at line 1)");
	assert_diag(&p, 3, "'rel' is not an absolute path");
	assert_diag(&p, 4, "mode '99999'");
	assert_diag(&p, 4, "private '/a/b' and '/a' (line 1) are nested");
	assert_diag(&p, 4, "private '/a/b' and '/a' (line 2) are nested");
	assert_ndiags(&p, 7);
	parsed_free(&p);
}

static void
test_rule_checks(void **state)
{
	/* Private directories and pid both need the mount namespace. */
	expect_error("# c\nnamespaces = {ipc}\nprivate \"/tmp\" {}\n", 2,
		     "top level: private directories need the 'mount' namespace");
	/* Inherited ones simply do not apply to a section without it (test_resolve.c). */
	conf_free(expect_ok("private \"/tmp\" {}\n\nuser \"u\" {\n  namespaces = {ipc, uts}\n}\n"));
	expect_error("namespaces = {ipc}\ngroup \"g\" {\n  private \"/tmp\" {}\n}\n", 2,
		     "group 'g': private directories need the 'mount' namespace");
	expect_error("\nuser \"u\" {\n  namespaces = {pid}\n}\n", 2,
		     "user 'u': 'pid' needs 'mount' too");
	expect_error("group \"g\" {\n  namespaces = {}\n}\n", 1, "group 'g': no namespaces listed");
	/*
	 * A host name needs a UTS namespace of its own.  One a section inherits from the top
	 * level simply does not apply where the section leaves uts out; its own is an error.
	 */
	expect_error("# c\nnamespaces = {mount, ipc}\nhostname = \"lab\"\n", 2,
		     "top level: 'hostname' needs the 'uts' namespace");
	conf_free(expect_ok(
		"hostname = \"lab-%u\"\n\nuser \"#1002\" {\n  namespaces = {mount}\n}\n"));
	expect_error("namespaces = {mount}\n\nuser \"u\" {\n  hostname = \"lab\"\n}\n", 3,
		     "user 'u': 'hostname' needs the 'uts' namespace");
	expect_error("\ngroup \"g\" {\n  namespaces = {mount, ipc}\n  hostname = \"lab\"\n}\n", 2,
		     "group 'g': 'hostname' needs the 'uts' namespace");
	/* The top level's mistake is reported once, not again for every section inheriting it. */
	expect_error("namespaces = {mount, ipc}\nhostname = \"lab\"\nuser \"u\" {}\n"
		     "group \"g\" { kill_timeout = 1 }\n",
		     1, "top level: 'hostname' needs the 'uts' namespace");
	conf_free(expect_ok("namespaces = {mount, ipc}\nhostname = \"\"\n"));
	/* With isolate = false nothing is set up, so nothing needs checking. */
	conf_free(expect_ok("user \"u\" {\n  isolate = false\n  namespaces = {}\n}\n"));
	conf_free(
		expect_ok("isolate = false\nnamespaces = {pid}\nuser \"u\" { isolate = false }\n"));
	/* ...but a section that turns isolation back on inherits what the top level says. */
	expect_error("isolate = false\nnamespaces = {pid}\n\nuser \"u\" { isolate = true }\n", 4,
		     "user 'u': 'pid' needs 'mount' too");
	/* A section with its own private list and mount is fine under a top level without. */
	conf_free(expect_ok("namespaces = {ipc}\nuser \"u\" {\n  namespaces = {mount}\n"
			    "  private \"/tmp\" {}\n}\n"));
	/* The top level's privates are checked once, where they are, not in every section. */
	expect_error("private \"/tmp\" {}\nprivate \"/tmp\" {}\nuser \"a\" {}\ngroup \"b\" {}\n", 2,
		     "private '/tmp' is listed twice");
}

static void
test_titles(void **state)
{
	struct conf *c;
	struct plan p;

	expect_error("# c\nuser {\n  isolate = false\n}\n", 2, "user section without a name");
	expect_error("\nuser\n{\n}\n", 3, "user section without a name");
	expect_error("group {}\n", 1, "group section without a name");
	expect_error("user \"\" {}\n", 1, "user section: empty name");
	expect_error("\ngroup \"\" {}\n", 2, "group section: empty name");
	expect_error("user \"#x\" {}\n", 1,
		     "user section: '#x': '#' must be followed by a numeric");
	expect_error("user \"#4294967295\" {}\n", 1, "must be followed by a numeric uid");
	expect_error("group \"#5\" {}\n", 1, "group section: '#5': group names cannot start");
	expect_error("group \"a:b\" {}\n", 1, "group section: 'a:b' cannot be a user or group");
	expect_error("user \"a\" {}\n# c\nuser \"b\" {}\n# d\nuser \"a\" {\n}\n", 5,
		     "duplicate user section 'a' (first at line 1)");
	expect_error("group \"g\" {}\ngroup \"h\" {}\ngroup \"g\" {}\n", 3,
		     "duplicate group section 'g' (first at line 1)");
	expect_error("user \"#5\" {}\nuser \"#5\" {}\n", 2, "duplicate user section '#5'");
	/* A user and a group may share a name; "#5" and "5" and "#05"... are different titles. */
	c = expect_ok("user \"x\" {}\ngroup \"x\" {}\nuser \"#5\" {}\nuser \"5\" {}\n");
	resolve_ok(c, "5", 7, &p);
	assert_int_equal(p.rule_line, 4);
	conf_free(c);
	/* A title longer than any name NSS allows. */
	{
		char text[CONF_MAX_NAME + 32], name[CONF_MAX_NAME + 2];

		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		assert_int_equal(xsnprintf(text, sizeof(text), "\nuser \"%s\" {}\n", name), 0);
		expect_error(text, 2, "user section: name is longer than 256 bytes");
		name[CONF_MAX_NAME] = '\0';
		assert_int_equal(xsnprintf(text, sizeof(text), "\nuser \"%s\" {}\n", name), 0);
		conf_free(expect_ok(text));
	}
}

static void
test_section_errors(void **state)
{
	struct parsed p;

	/* Options that exist only at the top level, and sections inside sections. */
	expect_error("user \"u\" {\n  exempt_users = {\"a\"}\n}\n", 2,
		     "no such option 'exempt_users'");
	expect_error("group \"g\" {\n\n  exempt_groups = {}\n}\n", 3,
		     "no such option 'exempt_groups'");
	expect_error("user \"u\" {\n  # cron jobs\n  exempt_services = {\"cron\"}\n}\n", 3,
		     "no such option 'exempt_services'");
	expect_error("group \"g\" {\n  exempt_services = {}\n}\n", 2,
		     "no such option 'exempt_services'");
	expect_error("user \"u\" {\n  # c\n  user \"v\" {}\n}\n", 3, "no such option 'user'");
	expect_error("group \"g\" {\n  group \"h\" {}\n}\n", 2, "no such option 'group'");
	expect_error("user \"u\" {\n  bogus = 1\n}\n", 2, "no such option 'bogus'");
	expect_error("group \"g\" {\n  isolate = maybe\n}\n", 2, "invalid boolean value");

	/* Every value checked inside sections too, each at its own line. */
	parse(&p, "user \"u\" {\n"			 /* 1 */
		  "  namespaces = {uts, time}\n"	 /* 2 */
		  "  hostname = \"x_%u\"\n"		 /* 3 */
		  "  on_error = never\n"		 /* 4 */
		  "  nested = no\n"			 /* 5 */
		  "  kill_timeout = 1h\n"		 /* 6 */
		  "}\n"					 /* 7 */
		  "group \"g\" {\n"			 /* 8 */
		  "  # c\n"				 /* 9 */
		  "  namespaces = {uts, uts}\n"		 /* 10 */
		  "  private \"/tmp\" { type = nope }\n" /* 11 */
		  "}\n");				 /* 12 */
	assert_diag(&p, 2, "namespace 'time' is not supported");
	assert_diag(&p, 3, "'_' cannot appear");
	assert_diag(&p, 4, "on_error 'never'");
	assert_diag(&p, 5, "nested 'no'");
	assert_diag(&p, 6, "kill_timeout '1h'");
	assert_diag(&p, 10, "namespaces: 'uts' is listed twice");
	assert_diag(&p, 11, "type 'nope'");
	/* uts alone and a private directory: the group also lacks mount. */
	assert_diag(&p, 8, "group 'g': private directories need the 'mount' namespace");
	assert_ndiags(&p, 8);
	parsed_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_values), cmocka_unit_test(test_private_errors),
		cmocka_unit_test(test_private_lists),  cmocka_unit_test(test_rule_checks),
		cmocka_unit_test(test_titles),	       cmocka_unit_test(test_section_errors),
	};

	return cmocka_run_group_tests_name("sections", tests, NULL, NULL);
}
