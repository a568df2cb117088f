/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/resolve.c: which rule applies to a user (exempt lists, then `user`,
 * then `group` in file order, then the top level), what a section inherits, and hostname
 * templates.  The struct identity is built by hand: it is the seam for NSS group lookups.
 */
#include <stdio.h>

#include "conf_test.h"

static void
test_exempt(void **state)
{
	struct conf *c;
	struct plan p;

	/* No exempt_users key: root, and only root, is exempt. */
	c = expect_ok("user \"root\" {}\n");
	resolve_ok(c, "root", 0, &p, "root");
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "user 'root' is in exempt_users (the default)");
	resolve_ok(c, "toor", 0, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	conf_free(c);

	/* An empty list exempts nobody: root is isolated like everyone else. */
	c = expect_ok("exempt_users = {}\n");
	resolve_ok(c, "root", 0, &p, "root");
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	conf_free(c);
	c = expect_ok("exempt_users = {\n}\nexempt_users += {\"adm\"}\n");
	resolve_ok(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	resolve_ok(c, "adm", 3, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	conf_free(c);

	/* A list without root replaces the default; names, "#UID" and groups all count. */
	c = expect_ok("# c\n"
		      "exempt_users = {\"backup\", \"#1500\"}\n"
		      "exempt_groups = {\"wheel\", \"svc accounts\"}\n"
		      "user \"backup\" { isolate = true }\n"
		      "user \"#1500\" {}\n"
		      "group \"wheel\" {}\n");
	resolve_ok(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	/* Exempt lists come before any section naming the user. */
	resolve_ok(c, "backup", 34, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "user 'backup' is in exempt_users (line 2)");
	resolve_ok(c, "robot", 1500, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "user '#1500' is in exempt_users (line 2)");
	resolve_ok(c, "admin", 1000, &p, "users", "wheel");
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "group 'wheel' is in exempt_groups (line 3)");
	resolve_ok(c, "daemon2", 1001, &p, "svc accounts");
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "group 'svc accounts' is in exempt_groups (line 3)");
	/* Exact names only: no prefixes, no case folding. */
	resolve_ok(c, "Backup", 35, &p, "Wheel", "whee", "wheel2");
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	resolve_ok(c, "x", 15000, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	conf_free(c);
}

/* Resolve for a login through `service`: the seam the helper fills from --service. */
static void
resolve_service(const struct conf *c, const char *name, uid_t uid, const char *service,
		const char *group, struct plan *p)
{
	const char *const groups[] = {group};
	struct identity id = {
		.name = name,
		.uid = uid,
		.gid = 100,
		.ngroups = group ? 1 : 0,
		.group_names = groups,
		.service = service,
	};
	char err[512] = "";

	if (conf_resolve(c, &id, "box", p, err, sizeof(err)) != 0)
		fail_msg("conf_resolve for '%s' through '%s' failed: %s", name, service, err);
}

static void
test_exempt_services(void **state)
{
	struct conf *c;
	struct plan p;

	c = expect_ok("exempt_services = {\"cron\", \"systemd-user\"}\n" /* 1 */
		      "exempt_users = {}\n"				 /* 2 */
		      "exempt_groups = {\"wheel\"}\n"			 /* 3 */
		      "hostname = \"h-%u\"\n"				 /* 4 */
		      "user \"alice\" { kill_timeout = 9 }\n"		 /* 5 */
		      "group \"staff\" { isolate = true }\n");		 /* 6 */
	/* Through an exempt service: left alone, whatever the sections say. */
	resolve_service(c, "alice", 1000, "cron", NULL, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "service 'cron' is in exempt_services (line 1)");
	assert_int_equal(p.n_private, 0);
	resolve_service(c, "bob", 1001, "systemd-user", "staff", &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	assert_string_equal(p.why, "service 'systemd-user' is in exempt_services (line 1)");
	/* The service comes before the user and the groups. */
	resolve_service(c, "root", 0, "cron", "wheel", &p);
	assert_string_equal(p.why, "service 'cron' is in exempt_services (line 1)");
	resolve_service(c, "root", 0, "sshd", "wheel", &p);
	assert_string_equal(p.why, "group 'wheel' is in exempt_groups (line 3)");
	/* Any other service: the normal plan, with the user's own rule. */
	resolve_service(c, "alice", 1000, "sshd", NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_int_equal(p.rule_line, 5);
	assert_int_equal(p.kill_timeout, 9);
	assert_string_equal(p.hostname, "h-alice");
	resolve_service(c, "root", 0, "atd", NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	/* Exact names only; no service known (explain without -s): no service is exempt. */
	resolve_service(c, "alice", 1000, "Cron", NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	resolve_service(c, "alice", 1000, "cron.d", NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	resolve_service(c, "alice", 1000, "", NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	resolve_service(c, "alice", 1000, NULL, NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	conf_free(c);

	/* The default: no service is exempt, root still is. */
	c = expect_ok("");
	resolve_service(c, "alice", 1000, "cron", NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	resolve_service(c, "alice", 1000, "systemd-user", NULL, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	resolve_service(c, "root", 0, "cron", NULL, &p);
	assert_string_equal(p.why, "user 'root' is in exempt_users (the default)");
	conf_free(c);
}

static void
test_user_sections(void **state)
{
	struct conf *c = expect_ok("user \"alice\" { kill_timeout = 1 }\n" /* 1 */
				   "user \"#1002\" { kill_timeout = 2 }\n" /* 2 */
				   "user \"#1003\" { kill_timeout = 3 }\n" /* 3 */
				   "user \"carol\" { kill_timeout = 4 }\n" /* 4 */
				   "group \"staff\" { kill_timeout = 5 }\n");
	struct plan p;

	resolve_ok(c, "alice", 1001, &p, "staff");
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_string_equal(p.rule_title, "alice");
	assert_int_equal(p.rule_line, 1);
	assert_int_equal(p.kill_timeout, 1);
	resolve_ok(c, "bob", 1002, &p, "staff");
	assert_string_equal(p.rule_title, "#1002");
	assert_int_equal(p.kill_timeout, 2);
	/* Name and "#UID" both match: the one earlier in the file wins, either way round. */
	resolve_ok(c, "carol", 1003, &p);
	assert_string_equal(p.rule_title, "#1003");
	assert_int_equal(p.rule_line, 3);
	resolve_ok(c, "alice", 1002, &p);
	assert_string_equal(p.rule_title, "alice");
	/* A user section beats a group section that comes earlier in the file. */
	conf_free(c);
	c = expect_ok("group \"staff\" { kill_timeout = 5 }\nuser \"dave\" { kill_timeout = 6 }\n");
	resolve_ok(c, "dave", 1004, &p, "staff");
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_int_equal(p.kill_timeout, 6);
	resolve_ok(c, "erin", 1005, &p, "staff");
	assert_int_equal(p.rule_kind, CONF_RULE_GROUP);
	assert_int_equal(p.kill_timeout, 5);
	/* Nobody matches: the top level, no title. */
	resolve_ok(c, "frank", 1006, &p, "users");
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	assert_null(p.rule_title);
	assert_int_equal(p.rule_line, 0);
	assert_int_equal(p.kill_timeout, 2);
	conf_free(c);
}

static void
test_group_file_order(void **state)
{
	struct conf *c = expect_ok("group \"zeta\" { kill_timeout = 1 }\n"
				   "group \"alpha\" { kill_timeout = 2 }\n"
				   "group \"mid\" { kill_timeout = 3 }\n");
	struct plan p;

	/* File order decides, not the order of the user's groups nor the names' order. */
	resolve_ok(c, "u", 1000, &p, "mid", "alpha", "zeta");
	assert_string_equal(p.rule_title, "zeta");
	assert_int_equal(p.rule_line, 1);
	resolve_ok(c, "u", 1000, &p, "mid", "alpha");
	assert_string_equal(p.rule_title, "alpha");
	assert_int_equal(p.kill_timeout, 2);
	resolve_ok(c, "u", 1000, &p, "other", "mid");
	assert_string_equal(p.rule_title, "mid");
	resolve_ok(c, "u", 1000, &p, "other", "Alpha");
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	conf_free(c);
}

static void
test_many_groups(void **state)
{
	/* A user in 200 groups, as LDAP users often are. */
	char names[200][16];
	const char *groups[200];
	struct conf *c = expect_ok("group \"g199\" { kill_timeout = 99 }\n"
				   "group \"g150\" { kill_timeout = 50 }\n"
				   "group \"g0\" { kill_timeout = 10 }\n");
	struct plan p;
	char err[256];

	for (int i = 0; i < 200; i++) {
		assert_int_equal(xsnprintf(names[i], sizeof(names[i]), "g%d", i), 0);
		groups[i] = names[i];
	}
	assert_int_equal(resolve_for(c, "u", 1000, groups, 200, &p, err, sizeof(err)), 0);
	assert_string_equal(p.rule_title, "g199");
	assert_int_equal(p.kill_timeout, 99);
	/* Without g199, g150 is the first in the file; the user's list starts with g0. */
	assert_int_equal(resolve_for(c, "u", 1000, groups, 199, &p, err, sizeof(err)), 0);
	assert_string_equal(p.rule_title, "g150");
	assert_int_equal(resolve_for(c, "u", 1000, groups + 1, 149, &p, err, sizeof(err)), 0);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	conf_free(c);
}

static void
test_inheritance(void **state)
{
	struct conf *c = expect_ok("namespaces = {mount, uts}\n"
				   "hostname = \"t-%u\"\n"
				   "on_error = allow\n"
				   "nested = isolate\n"
				   "linger = true\n"
				   "kill_timeout = 9\n"
				   "private \"/tmp\" { type = user size = 1M }\n"
				   "private \"/var/tmp\" { type = persistent }\n"
				   "share = user\n"
				   "user \"inherit\" {}\n"
				   "group \"override\" {\n"
				   "  namespaces = {mount, ipc, pid}\n"
				   "  hostname = \"\"\n"
				   "  on_error = deny\n"
				   "  nested = skip\n"
				   "  share = login\n"
				   "  linger = false\n"
				   "  kill_timeout = 0\n"
				   "  private \"/dev/shm\" { size = 2M noexec = true }\n"
				   "}\n");
	struct plan p;

	/* A section that sets nothing gets every top-level value. */
	resolve_ok(c, "inherit", 1000, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_int_equal(p.namespaces, CONF_NS_MOUNT | CONF_NS_UTS);
	assert_string_equal(p.hostname, "t-inherit");
	assert_int_equal(p.on_error, CONF_ON_ERROR_ALLOW);
	assert_int_equal(p.nested, CONF_NESTED_ISOLATE);
	assert_int_equal(p.share, CONF_SHARE_USER);
	assert_true(p.linger);
	assert_int_equal(p.kill_timeout, 9);
	assert_int_equal(p.n_private, 2);
	assert_string_equal(p.private[0].path, "/tmp");
	assert_string_equal(p.private[0].size, "1048576");
	assert_string_equal(p.private[1].path, "/var/tmp");

	/* A section that sets everything; its private list replaces the top level's whole. */
	resolve_ok(c, "o", 1001, &p, "override");
	assert_int_equal(p.rule_kind, CONF_RULE_GROUP);
	assert_int_equal(p.namespaces, CONF_NS_MOUNT | CONF_NS_IPC | CONF_NS_PID);
	assert_string_equal(p.hostname, "");
	assert_int_equal(p.on_error, CONF_ON_ERROR_DENY);
	assert_int_equal(p.nested, CONF_NESTED_SKIP);
	assert_int_equal(p.share, CONF_SHARE_LOGIN);
	assert_false(p.linger);
	assert_int_equal(p.kill_timeout, 0);
	assert_int_equal(p.n_private, 1);
	assert_string_equal(p.private[0].path, "/dev/shm");
	assert_int_equal(p.private[0].type, CONF_PRIV_SESSION);
	assert_string_equal(p.private[0].size, "2097152");
	assert_true(p.private[0].noexec);
	assert_int_equal(p.private[0].line, 19);

	/* The top level itself. */
	resolve_ok(c, "x", 1002, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	assert_int_equal(p.n_private, 2);
	assert_int_equal(p.on_error, CONF_ON_ERROR_ALLOW);
	conf_free(c);
}

/*
 * `net` (a network namespace with only lo) only where a rule lists it: the built-in default
 * leaves it out.  Inherited like any other value; it alone is a valid set.
 */
static void
test_net(void **state)
{
	struct conf *c = expect_ok("group \"exam\" {\n"
				   "  namespaces = {mount, ipc, pid, uts, net}\n"
				   "}\n"
				   "user \"proctor\" {}\n");
	struct plan p;

	resolve_ok(c, "student", 1000, &p, "users", "exam");
	assert_int_equal(p.rule_kind, CONF_RULE_GROUP);
	assert_int_equal(p.namespaces, CONF_NS_DEFAULT | CONF_NS_NET);
	resolve_ok(c, "proctor", 1001, &p, "exam");
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_int_equal(p.namespaces, CONF_NS_DEFAULT);
	resolve_ok(c, "other", 1002, &p, "users");
	assert_int_equal(p.namespaces, CONF_NS_DEFAULT);
	conf_free(c);

	c = expect_ok("namespaces = {net, mount}\n"
		      "user \"a\" {}\n"
		      "user \"b\" { namespaces = {mount, ipc} }\n"
		      "user \"c\" { namespaces = {net} }\n");
	resolve_ok(c, "a", 1000, &p);
	assert_int_equal(p.namespaces, CONF_NS_MOUNT | CONF_NS_NET);
	resolve_ok(c, "b", 1001, &p);
	assert_int_equal(p.namespaces, CONF_NS_MOUNT | CONF_NS_IPC);
	resolve_ok(c, "c", 1002, &p);
	assert_int_equal(p.namespaces, CONF_NS_NET);
	resolve_ok(c, "x", 1003, &p);
	assert_int_equal(p.namespaces, CONF_NS_MOUNT | CONF_NS_NET);
	conf_free(c);
}

/*
 * What a section's own namespaces make moot does not apply to it: a hostname it inherits
 * without 'uts', private directories it inherits without 'mount'.  A plan never asks PID 1
 * for what it could only do to the host.
 */
static void
test_inherited_moot(void **state)
{
	struct conf *c = expect_ok("hostname = \"lab-%u\"\n"
				   "private \"/tmp\" { type = user }\n"
				   "user \"#1002\" { namespaces = {mount, ipc, pid} }\n"
				   "user \"noshm\" { namespaces = {ipc, uts} }\n"
				   "group \"g\" { namespaces = {ipc} }\n");
	struct plan p;

	resolve_ok(c, "u", 1002, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_USER);
	assert_int_equal(p.namespaces, CONF_NS_MOUNT | CONF_NS_IPC | CONF_NS_PID);
	assert_string_equal(p.hostname, "");
	assert_int_equal(p.n_private, 1);
	resolve_ok(c, "noshm", 1003, &p);
	assert_string_equal(p.hostname, "lab-noshm");
	assert_int_equal(p.n_private, 0);
	resolve_ok(c, "v", 1004, &p, "g");
	assert_string_equal(p.hostname, "");
	assert_int_equal(p.n_private, 0);
	/* The top level keeps both. */
	resolve_ok(c, "w", 1005, &p);
	assert_string_equal(p.hostname, "lab-w");
	assert_int_equal(p.n_private, 1);
	conf_free(c);
	/* A section's own private directories without 'mount' are still refused. */
	expect_error("hostname = \"x\"\ngroup \"own\" {\n  namespaces = {ipc}\n"
		     "  private \"/tmp\" {}\n}\n",
		     2, "group 'own': private directories need the 'mount' namespace");
}

static void
test_isolate_false(void **state)
{
	struct conf *c = expect_ok("isolate = false\n"
				   "hostname = \"%u\"\n"
				   "private \"/tmp\" {}\n"
				   "group \"lab\" { isolate = true }\n"
				   "user \"guest\" { isolate = false }\n");
	struct plan p;

	/* Nothing to set up, so nothing is expanded (this user's name is no host name). */
	resolve_ok(c, "not a host", 1000, &p);
	assert_int_equal(p.verdict, PLAN_DISABLED);
	assert_int_equal(p.n_private, 0);
	assert_string_equal(p.hostname, "");
	resolve_ok(c, "stud", 1001, &p, "lab");
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	assert_string_equal(p.hostname, "stud");
	assert_int_equal(p.n_private, 1);
	resolve_ok(c, "guest", 1002, &p, "lab");
	assert_int_equal(p.verdict, PLAN_DISABLED);
	assert_string_equal(p.rule_title, "guest");
	conf_free(c);
}

static void
test_hostname(void **state)
{
	struct conf *c = expect_ok("hostname = \"%h-%u-%U\"\n"
				   "user \"#7\" { hostname = \"%u\" }\n"
				   "group \"long\" { hostname = \"%u.%u\" }\n"
				   "group \"none\" { hostname = \"\" }\n");
	struct plan p;
	char err[512], name[40];
	const char *grp[] = {"long"};

	resolve_ok(c, "alice", 1001, &p);
	assert_string_equal(p.hostname, "box-alice-1001");
	resolve_ok(c, "Bob-2", 0, &p);
	assert_string_equal(p.hostname, "box-Bob-2-0");
	resolve_ok(c, "x", 1, &p, "none");
	assert_string_equal(p.hostname, "");

	/* A user name that is no host name fails for that user only, with the reason. */
	assert_int_equal(resolve_for(c, "a b", 7, NULL, 0, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "hostname 'a b' (from '%u') is not a valid host name (RFC 1123)");
	assert_int_equal(resolve_for(c, "svc_x", 8, NULL, 0, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'box-svc_x-8' (from '%h-%u-%U') is not a valid host name"));

	/* 64 bytes at most: 31 + 1 + 31 fit, 32 + 1 + 32 do not. */
	memset(name, 'n', 31);
	name[31] = '\0';
	assert_int_equal(resolve_for(c, name, 10, grp, 1, &p, err, sizeof(err)), 0);
	assert_int_equal(strlen(p.hostname), 63);
	name[31] = 'n', name[32] = '\0';
	assert_int_equal(resolve_for(c, name, 10, grp, 1, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 64 bytes"));
	conf_free(c);
}

static void
test_odd_names(void **state)
{
	/* Spaces and shell metacharacters are data: matched exactly, never interpreted. */
	struct conf *c = expect_ok("user \"a b;$(rm)\" { kill_timeout = 1 }\n"
				   "user 'x`id`|&<>*?' { kill_timeout = 2 }\n"
				   "user \"q\\\"uote\\\\\" { kill_timeout = 3 }\n"
				   "group \"DOMAIN\\\\domain users\" { kill_timeout = 4 }\n"
				   "user \"\xc3\xa9l\xc3\xa8ve\" { kill_timeout = 5 }\n"
				   "exempt_users = {\"$HOME\", \"//x\", \"/*y\"}\n");
	struct plan p;

	resolve_ok(c, "a b;$(rm)", 1000, &p);
	assert_string_equal(p.rule_title, "a b;$(rm)");
	assert_int_equal(p.kill_timeout, 1);
	resolve_ok(c, "a b", 1000, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	resolve_ok(c, "a", 1000, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	resolve_ok(c, "a b;$(rm) ", 1000, &p);
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	resolve_ok(c, "x`id`|&<>*?", 1000, &p);
	assert_int_equal(p.kill_timeout, 2);
	resolve_ok(c, "q\"uote\\", 1000, &p);
	assert_int_equal(p.kill_timeout, 3);
	resolve_ok(c, "u", 1000, &p, "DOMAIN\\domain users");
	assert_int_equal(p.kill_timeout, 4);
	resolve_ok(c, "\xc3\xa9l\xc3\xa8ve", 1000, &p);
	assert_int_equal(p.kill_timeout, 5);
	/* Taken literally: no variable, no comment. */
	resolve_ok(c, "$HOME", 1000, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	resolve_ok(c, "//x", 1000, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	resolve_ok(c, "/*y", 1000, &p);
	assert_int_equal(p.verdict, PLAN_EXEMPT);
	resolve_ok(c, "root", 0, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	conf_free(c);
}

static void
test_many_sections(void **state)
{
	/* 10,000 user sections and 1,000 group sections: correctness, not speed. */
	char *text, name[32];
	size_t len = 0;
	struct conf *c;
	struct plan p;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs("# header\nkill_timeout = 1\n", f); /* lines 1-2 */
	for (int i = 0; i < 10000; i++)		  /* lines 3-10002 */
		fprintf(f, "user \"u%d\" { kill_timeout = %d }\n", i, i % 3600);
	for (int i = 0; i < 1000; i++) /* lines 10003-12002 */
		fprintf(f, "# group %d\ngroup \"g%d\" { hostname = \"g%d-%%u\" }\n", i, i, i);
	fclose(f);
	c = expect_ok(text);
	free(text);

	for (int i = 0; i < 10000; i += 97) {
		assert_int_equal(xsnprintf(name, sizeof(name), "u%d", i), 0);
		resolve_ok(c, name, (uid_t)(20000 + i), &p, "g5");
		assert_int_equal(p.rule_kind, CONF_RULE_USER);
		assert_string_equal(p.rule_title, name);
		assert_int_equal(p.rule_line, 3 + i);
		assert_int_equal(p.kill_timeout, i % 3600);
	}
	resolve_ok(c, "u9999", 1, &p);
	assert_int_equal(p.rule_line, 10002);
	resolve_ok(c, "u10000", 1, &p, "g999", "g998", "g500");
	assert_int_equal(p.rule_kind, CONF_RULE_GROUP);
	assert_string_equal(p.rule_title, "g500");
	assert_int_equal(p.rule_line, 10003 + 2 * 500 + 1);
	assert_string_equal(p.hostname, "g500-u10000");
	assert_int_equal(p.kill_timeout, 1);
	resolve_ok(c, "nobody", 2, &p, "g1000", "u5");
	assert_int_equal(p.rule_kind, CONF_RULE_TOP);
	conf_free(c);

	/* A duplicate among them is still found, with both lines. */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	for (int i = 0; i < 10000; i++)
		fprintf(f, "user \"u%d\" {}\n", i == 7777 ? 1234 : i);
	fclose(f);
	expect_error(text, 7778, "duplicate user section 'u1234' (first at line 1235)");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exempt),	       cmocka_unit_test(test_exempt_services),
		cmocka_unit_test(test_user_sections),  cmocka_unit_test(test_group_file_order),
		cmocka_unit_test(test_many_groups),    cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_isolate_false),  cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_inherited_moot), cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_many_sections),  cmocka_unit_test(test_net),
	};

	return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
