/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/identity.c: what user_info_lookup() makes of NSS's answers about a
 * user's groups.  The configuration matches `group` sections by group name, so a group that
 * silently goes missing can give the user a laxer rule: a failed lookup must refuse.
 *
 * getgrouplist(3) and getgrgid_r(3) are replaced at link time (-Wl,--wrap, see the Makefile):
 * the user is root, as /etc/passwd says, in groups 0, GID_A and GID_B, and each test decides
 * what NSS answers for GID_A and GID_B.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../common/identity.h"

#define GID_A 424242u
#define GID_B 424243u

enum answer {
	ANSWER_NAME,   /* a group entry */
	ANSWER_NONE,   /* 0 and no entry: NSS has no group by that gid */
	ANSWER_EIO,    /* an error: the backend is unreachable */
	ANSWER_ERANGE, /* "buffer too small", whatever the size */
};

static enum answer answer_a, answer_b;
static size_t largest_buffer;

int __real_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **ret);
int __wrap_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **ret);
int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups);

int
__wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
	const gid_t mine[] = {group, GID_A, GID_B};

	(void)user;
	if (*ngroups < 3) {
		*ngroups = 3;
		return -1;
	}
	memcpy(groups, mine, sizeof(mine));
	*ngroups = 3;
	return 3;
}

int
__wrap_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **ret)
{
	enum answer a = gid == GID_A ? answer_a : answer_b;

	*ret = NULL;
	if (gid != GID_A && gid != GID_B)
		return __real_getgrgid_r(gid, gr, buf, size, ret);
	if (size > largest_buffer)
		largest_buffer = size;
	switch (a) {
	case ANSWER_NONE:
		return 0;
	case ANSWER_EIO:
		return EIO;
	case ANSWER_ERANGE:
		return ERANGE;
	case ANSWER_NAME:
		break;
	}
	if (size < 16)
		return ERANGE;
	snprintf(buf, size, "grp%u", (unsigned)gid);
	*gr = (struct group){.gr_name = buf, .gr_gid = gid, .gr_mem = NULL};
	*ret = gr;
	return 0;
}

static int
reset(void **state)
{
	(void)state;
	answer_a = answer_b = ANSWER_NAME;
	largest_buffer = 0;
	return 0;
}

static bool
has_group(const struct user_info *u, const char *name)
{
	for (size_t i = 0; i < u->ngroups; i++)
		if (strcmp(u->groups[i], name) == 0)
			return true;
	return false;
}

/* The control: every group has a name, and every name is there. */
static void
test_all_named(void **state)
{
	struct user_info u;

	(void)state;
	assert_int_equal(user_info_lookup("root", &u), 0);
	assert_int_equal(u.ngids, 3);
	assert_int_equal(u.ngroups, 3);
	assert_true(has_group(&u, "grp424242"));
	assert_true(has_group(&u, "grp424243"));
	user_info_free(&u);
}

/* NSS failed for one group (LDAP or SSSD unreachable): refuse, never carry on without it. */
static void
test_group_lookup_error_refuses(void **state)
{
	struct user_info u = {0};

	(void)state;
	answer_a = ANSWER_EIO;
	assert_int_equal(user_info_lookup("root", &u), -EIO);
	assert_null(u.name);
}

/* The module's log line names the group that failed. */
static void
test_failed_group_is_named(void **state)
{
	struct user_info u = {0};
	gid_t failed = 0;

	(void)state;
	answer_b = ANSWER_EIO;
	assert_int_equal(user_info_lookup_gid("root", &u, &failed), -EIO);
	assert_int_equal(failed, GID_B);
	reset(NULL);
	assert_int_equal(user_info_lookup_gid("root", &u, &failed), 0);
	assert_int_equal(failed, (gid_t)-1);
	user_info_free(&u);
	/* An unknown user is no group's fault. */
	assert_int_equal(user_info_lookup_gid("nsitest-no-such-user", &u, &failed), -ENOENT);
	assert_int_equal(failed, (gid_t)-1);
}

/* A group entry larger than the buffer ever gets: refuse rather than drop the group. */
static void
test_group_too_large_refuses(void **state)
{
	struct user_info u = {0};

	(void)state;
	answer_b = ANSWER_ERANGE;
	assert_int_equal(user_info_lookup("root", &u), -ERANGE);
	assert_null(u.name);
	/* It did try the largest buffer first. */
	assert_int_equal(largest_buffer, 1u << 20);
}

/*
 * A gid NSS has no group for (0 and no entry) is not an error: there is no name that a
 * `group` section could match.  The gid is kept, the name list is one shorter.
 */
static void
test_group_without_name_is_kept_unnamed(void **state)
{
	struct user_info u;

	(void)state;
	answer_a = ANSWER_NONE;
	assert_int_equal(user_info_lookup("root", &u), 0);
	assert_int_equal(u.ngids, 3);
	assert_int_equal(u.ngroups, 2);
	assert_false(has_group(&u, "grp424242"));
	assert_true(has_group(&u, "grp424243"));
	user_info_free(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_all_named, reset),
		cmocka_unit_test_setup(test_group_lookup_error_refuses, reset),
		cmocka_unit_test_setup(test_failed_group_is_named, reset),
		cmocka_unit_test_setup(test_group_too_large_refuses, reset),
		cmocka_unit_test_setup(test_group_without_name_is_kept_unnamed, reset),
	};

	return cmocka_run_group_tests_name("identity", tests, NULL, NULL);
}
