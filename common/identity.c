/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "identity.h"
#include "util.h"

/* NSS wants a caller-sized buffer and says ERANGE when it is too small. */
#define NSS_BUF_MAX (1u << 20)

static int
lookup_pw(const char *name, struct user_info *u)
{
	size_t size = 1024;

	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		struct passwd pw, *res = NULL;
		int r;

		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r == ERANGE && size < NSS_BUF_MAX) {
			size *= 2;
			continue;
		}
		if (r)
			return -r;
		if (!res)
			return -ENOENT;
		u->name = strdup(pw.pw_name);
		u->home = strdup(pw.pw_dir ? pw.pw_dir : "/");
		u->shell = strdup(pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh");
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
		return u->name && u->home && u->shell ? 0 : -ENOMEM;
	}
}

static int
lookup_gids(struct user_info *u)
{
	int n = 64;

	for (;;) {
		gid_t *v = reallocarray(u->gids, (size_t)n, sizeof(gid_t));
		int want = n;

		if (!v)
			return -ENOMEM;
		u->gids = v;
		if (getgrouplist(u->name, u->gid, u->gids, &want) >= 0) {
			u->ngids = (size_t)want;
			return 0;
		}
		/* Too small: `want` now holds the size needed (NGROUPS_MAX is 65536). */
		if (want <= n || want > 65536)
			return -E2BIG;
		n = want;
	}
}

/*
 * The name of one group: 0 with *ret set, 0 with *ret NULL when NSS has no group by that
 * gid, or -errno when NSS could not say.
 *
 * The configuration matches `group` sections by name, so a group dropped here can give the
 * user a laxer rule than the one written for that group: an error (a backend that cannot be
 * reached, an entry larger than NSS_BUF_MAX) refuses the whole lookup, never "no name".
 *
 * "No such group" (0 and no entry) is not refused.  A gid without a group entry is common
 * and legitimate (a passwd entry's primary gid with no group line; groups SSSD or winbind
 * report in a user's list but cannot name, the "cannot find name for group ID" of id(1)),
 * and it can match no `group` section whatever we do.  A backend that reports an outage as
 * "not found" cannot be told from that here, and refusing would not close the gap anyway:
 * getgrouplist(3), from the same backend, would already have left such groups out of the
 * list without a word.  glibc turns a backend that is unavailable (NSS_STATUS_UNAVAIL,
 * TRYAGAIN) into an error, which is refused below.
 */
static int
group_name(gid_t gid, char **ret)
{
	size_t size = 1024;

	*ret = NULL;
	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		struct group gr, *res = NULL;
		int r;

		if (!buf)
			return -ENOMEM;
		r = getgrgid_r(gid, &gr, buf, size, &res);
		if (r == ERANGE && size < NSS_BUF_MAX) {
			size *= 2;
			continue;
		}
		/* ERANGE here: the entry does not fit in NSS_BUF_MAX; also an error. */
		if (r)
			return r > 0 ? -r : -EIO;
		if (!res || !gr.gr_name)
			return 0;
		*ret = strdup(gr.gr_name);
		return *ret ? 0 : -ENOMEM;
	}
}

int
user_info_lookup_gid(const char *name, struct user_info *ret, gid_t *ret_failed_gid)
{
	struct user_info u = {0};
	int r;

	*ret_failed_gid = (gid_t)-1;
	if ((r = lookup_pw(name, &u)) < 0 || (r = lookup_gids(&u)) < 0)
		goto fail;
	u.groups = calloc(u.ngids ? u.ngids : 1, sizeof(char *));
	if (!u.groups) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < u.ngids; i++) {
		char *g;

		if ((r = group_name(u.gids[i], &g)) < 0) {
			*ret_failed_gid = u.gids[i];
			goto fail;
		}
		if (g)
			u.groups[u.ngroups++] = g;
	}
	*ret = u;
	return 0;
fail:
	user_info_free(&u);
	return r;
}

int
user_info_lookup(const char *name, struct user_info *ret)
{
	gid_t failed;

	return user_info_lookup_gid(name, ret, &failed);
}

void
user_info_free(struct user_info *u)
{
	for (size_t i = 0; i < u->ngroups; i++)
		free(u->groups[i]);
	free(u->groups);
	free(u->gids);
	free(u->name);
	free(u->home);
	free(u->shell);
	*u = (struct user_info){0};
}
