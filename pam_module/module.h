/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_nsisolate's parts: the entry points (pam_nsisolate.c), spawn.c, reply.c, join.c and
 * logline.c.
 */
#ifndef NSISOLATE_MODULE_H
#define NSISOLATE_MODULE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "../common/identity.h"
#include "../common/join.h"
#include "../common/protocol.h"
#include "../common/util.h"

struct args {
	const char *conf;
	const char *helper;
	bool debug;
};

/* What a joined session leaves in the PAM handle (pam_set_data), for close_session. */
struct state {
	pid_t opener;		 /* only this process may close: su and login fork after open */
	int pidfd;		 /* the session's PID 1 */
	int control_fd;		 /* our end of the helper's socket */
	struct join_saved saved; /* where we were before joining */
	int root_fd;		 /* PID 1's root directory, until the join has used it */
	unsigned clone_ns;
	uint64_t id;
	uid_t uid;
	pid_t init_pid;
	bool detached; /* built for nsisolate-usermgr to enter: never joined by this process */
	bool shared;   /* share = user: closing leaves the session, never ends it */
	bool closed;
	struct timespec opened; /* CLOCK_BOOTTIME when it opened: the close line's duration */
};

/* unit.c: who opens the session (see there why a systemd unit is different). */
enum opener {
	OPENER_LOGIN,	     /* a login program: forks the user's processes after the join */
	OPENER_USER_MANAGER, /* systemd, for user@.service: nsisolate-usermgr enters */
	OPENER_UNIT,	     /* systemd, for another unit with PAMName=: refused */
};
enum opener opener_kind(const char *service);

/*
 * spawn.c: run the helper and collect its one reply; with NSI_READY, ret_fds gets the pidfd
 * of PID 1 and an fd of its root directory.
 */
int spawn_helper(const struct args *a, const struct user_info *u, const char *service,
		 const char *tty, const char *rhost, struct nsi_reply *reply, int ret_fds[2],
		 int *ret_control);

/*
 * reply.c: read the helper's one reply from fd and check it (size, magic, exactly the fds
 * its verdict carries, strings terminated); 0, -ETIMEDOUT, -EPIPE (no reply), -EBADMSG (a
 * malformed one) or recvmsg's -errno.  ret_fds is -1, -1 unless NSI_READY came with both.
 */
int reply_read(int fd, struct nsi_reply *reply, int ret_fds[2]);

/* join.c: enter the session, leave it, forget it. */
int join_session(struct state *st, char *err, size_t errlen);
int join_restore(struct state *st);
bool join_remove_record(const struct state *st, bool only_if_stale);
void join_close_fds(struct state *st);

/* logline.c: the key=value log lines of open and close (pam_nsisolate(8), LOG MESSAGES). */
struct logline {
	char *buf;
	size_t size, n;
	bool truncated; /* a pair did not fit: left out */
};
void logline_init(struct logline *l, char *buf, size_t size);
/* Append " key=value"; a NULL value is "-". */
void logline_add(struct logline *l, const char *key, const char *value);
void logline_addf(struct logline *l, const char *key, const char *fmt, ...) _printf_(3, 4);
/* rule= and rule_at= from the helper's name for the rule (common/protocol.h). */
void logline_add_rule(struct logline *l, const char *tag);
/* This process's audit session id, "" if it has none; before the join hides /proc/self. */
void logline_audit_session(char *buf, size_t size);

#endif
