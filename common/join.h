/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Entering a live session's namespaces and root, for the module (a login joins its session)
 * and for `nsisolate enter` (root joins one): one setns(2) of PID 1's pidfd, which joins
 * every namespace at once or none (kernel 5.8+), else one namespace at a time.
 */
#ifndef NSISOLATE_JOIN_H
#define NSISOLATE_JOIN_H

#include <stddef.h>
#include <sys/types.h>

#include "ns.h"

/* What a joining process leaves behind, to go back (the module, at close). */
struct join_saved {
	int ns[NS_COUNT]; /* our namespaces, in join order (common/ns.c) */
	int root, cwd;	  /* setns(mnt) moves both to the namespace's root */
};

void join_saved_init(struct join_saved *saved);
void join_saved_close(struct join_saved *saved);

/*
 * Enter the namespaces `clone_ns` of the session whose PID 1 is behind pidfd (`pid` is that
 * process in our numbering, for kernels without setns(pidfd)), then PID 1's root `root_fd`.
 * Refuses a multithreaded caller and a dead PID 1.  With `saved`, first keeps what we leave,
 * for join_leave(); on failure nothing has changed.  Returns 0 or -errno, with the reason
 * in err.
 */
int join_enter(int pidfd, pid_t pid, unsigned clone_ns, int root_fd, struct join_saved *saved,
	       char *err, size_t errlen);

/* Back to what join_enter() saved: namespaces (mnt first), root, cwd.  0 or the last -errno. */
int join_leave(struct join_saved *saved);

#endif
