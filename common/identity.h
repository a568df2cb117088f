/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_IDENTITY_H
#define NSISOLATE_IDENTITY_H

#include <sys/types.h>

/* A user as NSS knows them: name, ids and the names of all their groups. */
struct user_info {
	char *name;
	char *home;
	char *shell;
	uid_t uid;
	gid_t gid;
	size_t ngroups; /* groups with a name */
	char **groups;	/* their names, primary group included */
	size_t ngids;
	gid_t *gids; /* every group id, named or not */
};

/*
 * Look a user up through NSS (files, LDAP, SSSD...): getpwnam_r, getgrouplist, getgrgid_r.
 * Returns 0, -ENOENT for an unknown user, or another -errno.  Never aborts: the PAM module
 * uses it inside the login program.
 */
int user_info_lookup(const char *name, struct user_info *ret);
/*
 * The same, and when NSS fails to name one of the user's groups (an error, not "no such
 * group": see identity.c), the whole lookup fails with that error and *ret_failed_gid is
 * that group's gid; otherwise it is (gid_t)-1.  A gid NSS has no group for is kept in
 * gids[] and has no name in groups[].
 */
int user_info_lookup_gid(const char *name, struct user_info *ret, gid_t *ret_failed_gid);
void user_info_free(struct user_info *u);

#endif
