/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for conf/values.c: every validator, accepted and refused inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "../../conf/values.h"

/* One refused value: -EINVAL and a message that says why. */
#define assert_refused(call, why)                                            \
	do {                                                                 \
		err[0] = '\0';                                               \
		assert_int_equal((call), -EINVAL);                           \
		if (!strstr(err, (why)))                                     \
			fail_msg("message \"%s\" lacks \"%s\"", err, (why)); \
	} while (0)

static void
test_private_path(void **state)
{
	static const char *const ok[] = {
		"/tmp",		"/var/tmp",	   "/dev/shm",
		"/srv/a.b/c d", "/run/nsisolatex", "/var/lib/nsisolate-old",
		"/proc2",	"/run/user"};
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (conf_check_private_path(ok[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", ok[i], err);

	assert_refused(conf_check_private_path("tmp", err, sizeof(err)), "not an absolute path");
	assert_refused(conf_check_private_path("", err, sizeof(err)), "not an absolute path");
	assert_refused(conf_check_private_path("/", err, sizeof(err)), "'/' cannot be made");
	assert_refused(conf_check_private_path("/tmp/", err, sizeof(err)), "trailing '/'");
	assert_refused(conf_check_private_path("//tmp", err, sizeof(err)), "empty component");
	assert_refused(conf_check_private_path("/a//b", err, sizeof(err)), "empty component");
	assert_refused(conf_check_private_path("/a/./b", err, sizeof(err)), "'.' or '..'");
	assert_refused(conf_check_private_path("/a/../b", err, sizeof(err)), "'.' or '..'");
	assert_refused(conf_check_private_path("/..", err, sizeof(err)), "'.' or '..'");
	assert_refused(conf_check_private_path("/proc", err, sizeof(err)), "kernel file system");
	assert_refused(conf_check_private_path("/proc/sys", err, sizeof(err)), "kernel file");
	assert_refused(conf_check_private_path("/sys", err, sizeof(err)), "kernel file system");
	assert_refused(conf_check_private_path("/sys/fs/cgroup", err, sizeof(err)), "kernel");
	assert_refused(conf_check_private_path("/dev", err, sizeof(err)), "kernel file system");
	/* Above nsisolate's own state, at it, and below it. */
	assert_refused(conf_check_private_path("/run", err, sizeof(err)), "own state");
	assert_refused(conf_check_private_path("/run/nsisolate", err, sizeof(err)), "own state");
	assert_refused(conf_check_private_path("/run/nsisolate/s", err, sizeof(err)), "own state");
	assert_refused(conf_check_private_path("/var", err, sizeof(err)), "own state");
	assert_refused(conf_check_private_path("/var/lib", err, sizeof(err)), "own state");
	assert_refused(conf_check_private_path("/var/lib/nsisolate/1000", err, sizeof(err)),
		       "own state in /var/lib/nsisolate");
}

static void
test_private_path_too_long(void **state)
{
	char path[PATH_MAX + 2], err[256];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[PATH_MAX] = '\0'; /* PATH_MAX bytes: one too many for the terminating NUL */
	assert_refused(conf_check_private_path(path, err, sizeof(err)), "longer than 4095");
	path[PATH_MAX - 1] = '\0';
	assert_int_equal(conf_check_private_path(path, err, sizeof(err)), 0);
}

static void
test_size(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"64M", "67108864"},  {"512K", "524288"},   {"512k", "524288"},
		{"1G", "1073741824"}, {"1g", "1073741824"}, {"1048576", "1048576"},
		{"1", "1"},	      {"25%", "25%"},	    {"1%", "1%"},
		{"100%", "100%"},     {"007%", "7%"},	    {"0010M", "10485760"},
	};
	char out[32], err[256];

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(conf_parse_size(ok[i].in, out, sizeof(out), err, sizeof(err)), 0);
		assert_string_equal(out, ok[i].out);
	}
	assert_refused(conf_parse_size("0", out, sizeof(out), err, sizeof(err)), "greater than 0");
	assert_refused(conf_parse_size("0K", out, sizeof(out), err, sizeof(err)), "greater than 0");
	assert_refused(conf_parse_size("0%", out, sizeof(out), err, sizeof(err)), "1% to 100%");
	assert_refused(conf_parse_size("101%", out, sizeof(out), err, sizeof(err)), "1% to 100%");
	assert_refused(conf_parse_size("00000025%", out, sizeof(out), err, sizeof(err)), "1% to");
	assert_refused(conf_parse_size("%", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("M", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("1T", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("1MB", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("1.5G", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("-1", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("+1", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size(" 1", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("1 ", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("25 %", out, sizeof(out), err, sizeof(err)), "not bytes");
	assert_refused(conf_parse_size("99999999999999999999G", out, sizeof(out), err, sizeof(err)),
		       "too large");
	/* 2^33 G is 2^63 bytes: one past INT64_MAX. */
	assert_refused(conf_parse_size("8589934592G", out, sizeof(out), err, sizeof(err)),
		       "too large");
	assert_int_equal(conf_parse_size("8589934591G", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "9223372035781033984");
	/* An output buffer too small is an error, never a truncated value. */
	assert_refused(conf_parse_size("64M", out, 4, err, sizeof(err)), "too long");
}

static void
test_count(void **state)
{
	char err[256];
	uint64_t v = 0;

	assert_int_equal(conf_parse_count("100000", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(conf_parse_count("10K", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 10240);
	assert_int_equal(conf_parse_count("1m", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(conf_parse_count("2G", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2147483648u);
	assert_refused(conf_parse_count("0", &v, err, sizeof(err)), "at least 1");
	assert_refused(conf_parse_count("x", &v, err, sizeof(err)), "not a number");
	assert_refused(conf_parse_count("", &v, err, sizeof(err)), "not a number");
	assert_refused(conf_parse_count("1KB", &v, err, sizeof(err)), "not a number");
	assert_refused(conf_parse_count("-5", &v, err, sizeof(err)), "not a number");
	assert_refused(conf_parse_count("5%", &v, err, sizeof(err)), "not a number");
	assert_refused(conf_parse_count("123456789012345678901234567890123", &v, err, sizeof(err)),
		       "too large");
}

static void
test_mode(void **state)
{
	char err[256];
	mode_t m = 0;

	assert_int_equal(conf_parse_mode("1777", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 01777);
	assert_int_equal(conf_parse_mode("01777", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 01777);
	assert_int_equal(conf_parse_mode("0755", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0755);
	assert_int_equal(conf_parse_mode("700", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0700);
	assert_int_equal(conf_parse_mode("0", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0);
	assert_refused(conf_parse_mode("2777", &m, err, sizeof(err)), "at most 1777");
	assert_refused(conf_parse_mode("4755", &m, err, sizeof(err)), "at most 1777");
	assert_refused(conf_parse_mode("7777", &m, err, sizeof(err)), "at most 1777");
	assert_refused(conf_parse_mode("8", &m, err, sizeof(err)), "not an octal number");
	assert_refused(conf_parse_mode("0x1ff", &m, err, sizeof(err)), "not an octal number");
	assert_refused(conf_parse_mode("", &m, err, sizeof(err)), "not an octal number");
	assert_refused(conf_parse_mode("-1", &m, err, sizeof(err)), "not an octal number");
	assert_refused(conf_parse_mode("001777", &m, err, sizeof(err)), "not an octal number");
	assert_refused(conf_parse_mode("u+rwx", &m, err, sizeof(err)), "not an octal number");
}

static void
test_choices(void **state)
{
	enum conf_private_type t = CONF_PRIV_SESSION;
	enum conf_on_error e = CONF_ON_ERROR_DENY;
	enum conf_nested n = CONF_NESTED_SKIP;
	enum conf_share s = CONF_SHARE_LOGIN;
	unsigned ns = 0;
	char err[256];

	assert_int_equal(conf_parse_private_type("user", &t, err, sizeof(err)), 0);
	assert_int_equal(t, CONF_PRIV_USER);
	assert_int_equal(conf_parse_private_type("persistent", &t, err, sizeof(err)), 0);
	assert_int_equal(t, CONF_PRIV_PERSISTENT);
	assert_int_equal(conf_parse_private_type("session", &t, err, sizeof(err)), 0);
	assert_int_equal(t, CONF_PRIV_SESSION);
	assert_refused(conf_parse_private_type("Session", &t, err, sizeof(err)), "not one of");
	assert_refused(conf_parse_private_type("", &t, err, sizeof(err)), "not one of");

	assert_int_equal(conf_parse_ns("mount", &ns, err, sizeof(err)), 0);
	assert_int_equal(ns, CONF_NS_MOUNT);
	assert_int_equal(conf_parse_ns("ipc", &ns, err, sizeof(err)), 0);
	assert_int_equal(ns, CONF_NS_IPC);
	assert_int_equal(conf_parse_ns("pid", &ns, err, sizeof(err)), 0);
	assert_int_equal(ns, CONF_NS_PID);
	assert_int_equal(conf_parse_ns("uts", &ns, err, sizeof(err)), 0);
	assert_int_equal(ns, CONF_NS_UTS);
	assert_int_equal(conf_parse_ns("net", &ns, err, sizeof(err)), 0);
	assert_int_equal(ns, CONF_NS_NET);
	assert_refused(conf_parse_ns("network", &ns, err, sizeof(err)), "is not a namespace");
	assert_refused(conf_parse_ns("cgroup", &ns, err, sizeof(err)), "not supported (yet)");
	assert_refused(conf_parse_ns("user", &ns, err, sizeof(err)), "not supported (yet)");
	assert_refused(conf_parse_ns("time", &ns, err, sizeof(err)), "not supported (yet)");
	assert_refused(conf_parse_ns("MOUNT", &ns, err, sizeof(err)), "is not a namespace");
	assert_refused(conf_parse_ns("", &ns, err, sizeof(err)), "is not a namespace");

	assert_int_equal(conf_parse_on_error("allow", &e, err, sizeof(err)), 0);
	assert_int_equal(e, CONF_ON_ERROR_ALLOW);
	assert_int_equal(conf_parse_on_error("deny", &e, err, sizeof(err)), 0);
	assert_int_equal(e, CONF_ON_ERROR_DENY);
	assert_refused(conf_parse_on_error("Deny", &e, err, sizeof(err)), "not deny or allow");
	assert_refused(conf_parse_on_error("ignore", &e, err, sizeof(err)), "not deny or allow");

	assert_int_equal(conf_parse_nested("isolate", &n, err, sizeof(err)), 0);
	assert_int_equal(n, CONF_NESTED_ISOLATE);
	assert_int_equal(conf_parse_nested("skip", &n, err, sizeof(err)), 0);
	assert_int_equal(n, CONF_NESTED_SKIP);
	assert_refused(conf_parse_nested("yes", &n, err, sizeof(err)), "not skip or isolate");

	assert_int_equal(conf_parse_share("user", &s, err, sizeof(err)), 0);
	assert_int_equal(s, CONF_SHARE_USER);
	assert_int_equal(conf_parse_share("login", &s, err, sizeof(err)), 0);
	assert_int_equal(s, CONF_SHARE_LOGIN);
	assert_refused(conf_parse_share("group", &s, err, sizeof(err)), "not login or user");
	assert_refused(conf_parse_share("User", &s, err, sizeof(err)), "not login or user");
	assert_refused(conf_parse_share("", &s, err, sizeof(err)), "not login or user");
}

static void
test_hostname_template(void **state)
{
	static const char *const ok[] = {"", "lab-%u", "%h-%U", "%u.%h", "A-1.b", "%u-%U", "%h"};
	char tmpl[CONF_MAX_HOSTNAME * 4 + 2], err[512];

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (conf_check_hostname_template(ok[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", ok[i], err);
	assert_refused(conf_check_hostname_template("%x", err, sizeof(err)), "unknown '%x'");
	assert_refused(conf_check_hostname_template("lab-%", err, sizeof(err)), "unknown '%'");
	assert_refused(conf_check_hostname_template("a_b", err, sizeof(err)), "'_' cannot appear");
	assert_refused(conf_check_hostname_template("a b", err, sizeof(err)), "' ' cannot appear");
	assert_refused(conf_check_hostname_template("a/b", err, sizeof(err)), "'/' cannot appear");

	/* 256 bytes at most, whatever they expand to ("%h" may expand to nothing). */
	for (size_t i = 0; i + 1 < sizeof(tmpl); i += 2)
		memcpy(tmpl + i, "%h", 2);
	tmpl[sizeof(tmpl) - 2] = 'a';
	tmpl[sizeof(tmpl) - 1] = '\0'; /* 257 bytes */
	assert_refused(conf_check_hostname_template(tmpl, err, sizeof(err)), "too long");
	tmpl[sizeof(tmpl) - 2] = '\0';
	assert_int_equal(conf_check_hostname_template(tmpl, err, sizeof(err)), 0);
}

/*
 * What the fixed text of a template alone rules out, for every user: the login of each user
 * the rule applies to would fail, so the file is refused instead, at the template's line.
 */
static void
test_hostname_template_literals(void **state)
{
	static const struct {
		const char *tmpl, *why;
	} bad[] = {
		{"-%u", "cannot start with '-'"},
		{".%u", "cannot start with '.'"},
		{"%u-", "cannot end with '-'"},
		{"lab-%u.", "cannot end with '.'"},
		{"-", "cannot start with '-'"},
		{"a%%b", "'%%' would put a '%' in the host name"},
		{"%%", "'%%' would put a '%' in the host name"},
		{"%u..%U", "'..'"},
		{"%u-.x", "'-.'"},
		{"x.-%u", "'.-'"},
	};
	char tmpl[128], err[512];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		if (conf_check_hostname_template(bad[i].tmpl, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, bad[i].why))
			fail_msg("'%s': expected \"%s\", got \"%s\"", bad[i].tmpl, bad[i].why, err);
	}
	/* 70 bytes of fixed text, in labels of a legal length: never 64 bytes or fewer. */
	memset(tmpl, 'a', 70);
	for (size_t i = 9; i < 65; i += 10)
		tmpl[i] = '.';
	memcpy(tmpl + 70, "%u", 3);
	assert_refused(conf_check_hostname_template(tmpl, err, sizeof(err)),
		       "at least 71 bytes long");
	tmpl[70] = '\0';
	assert_refused(conf_check_hostname_template(tmpl, err, sizeof(err)),
		       "at least 70 bytes long");
	/* A user name and a uid are at least one byte each: 63 + 1 fit, 63 + 2 do not. */
	memset(tmpl, 'b', 63);
	tmpl[31] = '.';
	memcpy(tmpl + 63, "%u", 3);
	assert_int_equal(conf_check_hostname_template(tmpl, err, sizeof(err)), 0);
	memcpy(tmpl + 63, "%u%U", 5);
	assert_refused(conf_check_hostname_template(tmpl, err, sizeof(err)),
		       "at least 65 bytes long");
	memcpy(tmpl + 63, "%h", 3);
	assert_int_equal(conf_check_hostname_template(tmpl, err, sizeof(err)), 0);
	/* A label is at most 63 bytes: 64 fixed ones in a row can never be. */
	memset(tmpl, 'c', 64);
	memcpy(tmpl + 64, "", 1);
	assert_refused(conf_check_hostname_template(tmpl, err, sizeof(err)), "more than 63 bytes");
	memcpy(tmpl + 63, "", 1);
	assert_int_equal(conf_check_hostname_template(tmpl, err, sizeof(err)), 0);
	/* Next to a %u, 63 may still do: the user name may end in a dot. */
	memcpy(tmpl, "%u", 2);
	memset(tmpl + 2, 'd', 63);
	tmpl[65] = '\0';
	assert_int_equal(conf_check_hostname_template(tmpl, err, sizeof(err)), 0);
}

static void
test_hostname_valid(void **state)
{
	char name[80];

	assert_true(conf_hostname_valid("a"));
	assert_true(conf_hostname_valid("lab-alice"));
	assert_true(conf_hostname_valid("a.b.c"));
	assert_true(conf_hostname_valid("1abc"));
	assert_true(conf_hostname_valid("A-b-C"));
	assert_false(conf_hostname_valid(""));
	assert_false(conf_hostname_valid("-a"));
	assert_false(conf_hostname_valid("a-"));
	assert_false(conf_hostname_valid("a-.b"));
	assert_false(conf_hostname_valid("a..b"));
	assert_false(conf_hostname_valid(".a"));
	assert_false(conf_hostname_valid("a."));
	assert_false(conf_hostname_valid("a_b"));
	assert_false(conf_hostname_valid("a b"));
	assert_false(conf_hostname_valid("a%b"));
	assert_false(conf_hostname_valid("\xc3\xa9"));

	/* Labels: at most 63 bytes. */
	memset(name, 'a', 63);
	name[63] = '\0';
	assert_true(conf_hostname_valid(name));
	name[63] = 'a', name[64] = '\0';
	assert_false(conf_hostname_valid(name));
	/* Whole name: at most 64 bytes. */
	memset(name, 'b', 64);
	name[31] = '.';
	name[64] = '\0';
	assert_true(conf_hostname_valid(name));
	name[64] = 'b', name[65] = '\0';
	assert_false(conf_hostname_valid(name));
}

static void
test_expand_hostname(void **state)
{
	char out[CONF_MAX_HOSTNAME + 1], err[512], user[64];

	assert_int_equal(conf_expand_hostname("lab-%u", "alice", 1001, "box", out, sizeof(out), err,
					      sizeof(err)),
			 0);
	assert_string_equal(out, "lab-alice");
	assert_int_equal(conf_expand_hostname("%h-%U", "alice", 1001, "box", out, sizeof(out), err,
					      sizeof(err)),
			 0);
	assert_string_equal(out, "box-1001");
	assert_int_equal(conf_expand_hostname("%u.%h.%U", "bob", 0, "srv1", out, sizeof(out), err,
					      sizeof(err)),
			 0);
	assert_string_equal(out, "bob.srv1.0");
	assert_int_equal(conf_expand_hostname("%U", "x", 4294967294u, "h", out, sizeof(out), err,
					      sizeof(err)),
			 0);
	assert_string_equal(out, "4294967294");
	/* Empty keeps the host's name: the result is "" and that is not an error. */
	assert_int_equal(
		conf_expand_hostname("", "alice", 1, "box", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "");
	/* "%%" is a literal '%', which no host name may hold. */
	assert_refused(
		conf_expand_hostname("a%%b", "alice", 1, "box", out, sizeof(out), err, sizeof(err)),
		"'a%b' (from 'a%%b') is not a valid host name");
	/* A user name that is not a valid host name makes "%u" fail for that user only. */
	assert_refused(
		conf_expand_hostname("lab-%u", "a b", 1, "box", out, sizeof(out), err, sizeof(err)),
		"'lab-a b' (from 'lab-%u') is not a valid host name");
	assert_refused(
		conf_expand_hostname("%u", "_svc", 1, "box", out, sizeof(out), err, sizeof(err)),
		"is not a valid host name");
	assert_refused(
		conf_expand_hostname("%u", "a.", 1, "box", out, sizeof(out), err, sizeof(err)),
		"is not a valid host name");
	assert_refused(
		conf_expand_hostname("%q", "a", 1, "box", out, sizeof(out), err, sizeof(err)),
		"unknown '%' sequence");

	/* 64 bytes fit, 65 do not. */
	memset(user, 'u', 60);
	user[60] = '\0';
	assert_int_equal(
		conf_expand_hostname("abc.%u", user, 1, "box", out, sizeof(out), err, sizeof(err)),
		0);
	assert_int_equal(strlen(out), 64);
	assert_refused(
		conf_expand_hostname("abcd.%u", user, 1, "box", out, sizeof(out), err, sizeof(err)),
		"longer than 64 bytes");
	assert_refused(conf_expand_hostname("%h", "a", 1, user, out, 8, err, sizeof(err)),
		       "longer than 64 bytes");
}

static void
test_names(void **state)
{
	char name[CONF_MAX_NAME + 2], err[512];
	uid_t uid = 0;

	assert_int_equal(conf_check_name("alice", true, err, sizeof(err)), 0);
	assert_int_equal(conf_check_name("a b;$(rm)", false, err, sizeof(err)), 0);
	assert_int_equal(conf_check_name("DOMAIN\\user@realm", true, err, sizeof(err)), 0);
	assert_int_equal(conf_check_name("#1001", true, err, sizeof(err)), 0);
	assert_int_equal(conf_check_name("#0", true, err, sizeof(err)), 0);
	assert_int_equal(conf_check_name("#4294967294", true, err, sizeof(err)), 0);
	assert_refused(conf_check_name("#4294967295", true, err, sizeof(err)), "numeric uid");
	assert_refused(conf_check_name("#1001", false, err, sizeof(err)), "cannot start with '#'");
	assert_refused(conf_check_name("#", true, err, sizeof(err)), "numeric uid");
	assert_refused(conf_check_name("#abc", true, err, sizeof(err)), "numeric uid");
	assert_refused(conf_check_name("#-1", true, err, sizeof(err)), "numeric uid");
	assert_refused(conf_check_name("# 1", true, err, sizeof(err)), "numeric uid");
	assert_refused(conf_check_name("", true, err, sizeof(err)), "empty name");
	assert_refused(conf_check_name("a:b", true, err, sizeof(err)), "contains ':'");
	memset(name, 'n', CONF_MAX_NAME);
	name[CONF_MAX_NAME] = '\0';
	assert_int_equal(conf_check_name(name, true, err, sizeof(err)), 0);
	name[CONF_MAX_NAME] = 'n', name[CONF_MAX_NAME + 1] = '\0';
	assert_refused(conf_check_name(name, true, err, sizeof(err)), "longer than 256 bytes");

	assert_int_equal(conf_parse_uid_title("#0", &uid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(conf_parse_uid_title("#1001", &uid), 0);
	assert_int_equal(uid, 1001);
	assert_int_equal(conf_parse_uid_title("#4294967294", &uid), 0);
	assert_int_equal(uid, 4294967294u);
	uid = 7;
	assert_int_equal(conf_parse_uid_title("1001", &uid), -EINVAL);
	assert_int_equal(conf_parse_uid_title("#", &uid), -EINVAL);
	assert_int_equal(conf_parse_uid_title("#+1", &uid), -EINVAL);
	assert_int_equal(conf_parse_uid_title("#0x10", &uid), -EINVAL);
	assert_int_equal(conf_parse_uid_title("#4294967295", &uid), -EINVAL);
	assert_int_equal(conf_parse_uid_title("#99999999999999999999999", &uid), -EINVAL);
	assert_int_equal(uid, 7);
}

static void
test_escape_path(void **state)
{
	char out[NAME_MAX + 1], path[NAME_MAX + 3];

	assert_int_equal(conf_escape_path("/var/tmp", out, sizeof(out)), 0);
	assert_string_equal(out, "var-tmp");
	assert_int_equal(conf_escape_path("/tmp", out, sizeof(out)), 0);
	assert_string_equal(out, "tmp");
	assert_int_equal(conf_escape_path("/dev/shm", out, sizeof(out)), 0);
	assert_string_equal(out, "dev-shm");
	/* '-' is the separator, so a real '-' must be escaped to keep names distinct. */
	assert_int_equal(conf_escape_path("/a-b", out, sizeof(out)), 0);
	assert_string_equal(out, "a\\x2db");
	assert_int_equal(conf_escape_path("/a/b", out, sizeof(out)), 0);
	assert_string_equal(out, "a-b");
	assert_int_equal(conf_escape_path("/a b", out, sizeof(out)), 0);
	assert_string_equal(out, "a\\x20b");
	/* A leading '.' would make a hidden file name ("..", even); inner dots stay. */
	assert_int_equal(conf_escape_path("/.x/a.b", out, sizeof(out)), 0);
	assert_string_equal(out, "\\x2ex-a.b");
	assert_int_equal(conf_escape_path("/\xc3\xa9", out, sizeof(out)), 0);
	assert_string_equal(out, "\\xc3\\xa9");
	assert_int_equal(conf_escape_path("/", out, sizeof(out)), -EINVAL);
	assert_int_equal(conf_escape_path("/var/tmp", out, 7), -ENAMETOOLONG);

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[NAME_MAX + 1] = '\0'; /* NAME_MAX bytes after the '/' */
	assert_int_equal(conf_escape_path(path, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), NAME_MAX);
	path[NAME_MAX + 1] = 'p', path[NAME_MAX + 2] = '\0';
	assert_int_equal(conf_escape_path(path, out, sizeof(out)), -ENAMETOOLONG);
}

static void
test_services(void **state)
{
	char name[CONF_MAX_SERVICE + 2], err[512];
	static const char *const good[] = {
		"cron",	      "atd",	   "systemd-user", "sshd", "common-session-noninteractive",
		"login.defs", "user@1000", "a+b",	   "x_y",  "A9",
		"...",	      ".hidden",
	};
	static const struct {
		const char *name, *msg;
	} bad[] = {
		{"", "empty service name"},
		{"/etc/pam.d/cron", "not a PAM service name"},
		{"../cron", "not a PAM service name"},
		{"a/b", "not a PAM service name"},
		{".", "'.' is not a PAM service name"},
		{"..", "'..' is not a PAM service name"},
		{"cron ", "not a PAM service name"},
		{"cr on", "not a PAM service name"},
		{"cron:x", "not a PAM service name"},
		{"cron*", "not a PAM service name"},
		{"\xc3\xa9t\xc3\xa9", "not a PAM service name"},
		{"c\tron", "not a PAM service name"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (conf_check_service(good[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_refused(conf_check_service(bad[i].name, err, sizeof(err)), bad[i].msg);
	memset(name, 's', CONF_MAX_SERVICE);
	name[CONF_MAX_SERVICE] = '\0';
	assert_int_equal(conf_check_service(name, err, sizeof(err)), 0);
	name[CONF_MAX_SERVICE] = 's', name[CONF_MAX_SERVICE + 1] = '\0';
	assert_refused(conf_check_service(name, err, sizeof(err)), "longer than 64 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_path),
		cmocka_unit_test(test_private_path_too_long),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_hostname_template),
		cmocka_unit_test(test_hostname_template_literals),
		cmocka_unit_test(test_hostname_valid),
		cmocka_unit_test(test_expand_hostname),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_escape_path),
	};

	return cmocka_run_group_tests_name("values", tests, NULL, NULL);
}
