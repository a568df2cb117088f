/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_HELPER_H
#define NSISOLATE_HELPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/protocol.h"
#include "../common/util.h"
#include "../conf/conf.h"

/* Exit codes of nsisolate-helper (the module reads the reply, not these; they are for people). */
enum {
	HELPER_EXIT_OK = 0,
	HELPER_EXIT_FAIL = 1, /* reported to the module in the reply */
	HELPER_EXIT_USAGE = 2,
	HELPER_EXIT_NOT_ROOT = 3, /* run by hand by someone else than root: nothing was done */
};

/* What the module asked for (argv). */
struct request {
	const char *conf;
	const char *user;
	const char *service;
	const char *tty;
	const char *rhost;
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	const char **groups;
};

/*
 * request.c: read the module's arguments into req (0, or -EINVAL for anything but the
 * command line in common/protocol.h; req->groups is allocated); and name the rule that
 * applied, for the reply ("top level", "user 'NAME' line N", ...).
 */
int request_parse(int argc, char **argv, struct request *req);
void request_describe_rule(const struct plan *p, char *buf, size_t size);
/* The rule as the reply names it for the module's log line (common/protocol.h). */
void request_rule_tag(const struct plan *p, char *buf, size_t size);

/* Everything PID 1 inherits from the first stage. */
struct session {
	const struct request *req;
	const struct plan *plan;
	struct conf *conf;		   /* the plan points into it; PID 1 frees it after setup */
	const char *rule;		   /* the rule that applied, for the module's log line */
	unsigned clone_ns;		   /* CLONE_NEW* flags */
	int login_pidfd;		   /* the login process: when it dies, the session ends */
	int record_fd;			   /* the session record; PID 1 holds its flock */
	int sessions_fd;		   /* NSI_RUN_DIR/sessions */
	int user_dir_fd;		   /* NSI_RUN_DIR/users/<uid> */
	int lock_fd;			   /* users/<uid>/.lock, held until PID 1 is registered */
	int peer_mnt_fd[CONF_MAX_PRIVATE]; /* per private dir of type user: a live peer's mnt ns */
	int peer_root_fd[CONF_MAX_PRIVATE]; /* ... and its PID 1's root directory */
	pid_t pid; /* PID 1 as the login process sees it: the record's pid= */
	uint64_t id;
	bool registered; /* the record is linked in sessions/ and users/<uid>/ */
	/* share = user, and not nested: the user's later logins with this plan join (share.c) */
	bool shared;
	char plan_digest[CONF_DIGEST_HEX]; /* conf_plan_digest() of the plan */
	char note[160];			   /* why a shared session was built, not joined */
	int listen_fd;			   /* PID 1 of a shared session: where logins come */
	struct share *share;		   /* PID 1: its logins (share.c) */
	char *stack; /* PID 1's stack (a guard page, then stack_size - 4096 bytes) */
	size_t stack_size;
};

/*
 * main.c: the one answer the module gets for a login, from the first stage (ignore, or a
 * failure before PID 1 exists) or from PID 1 (ready, or its own failure).
 */
void send_reply(const struct nsi_reply *reply, const int *fds, size_t nfds);
/* The same on another module's socket: a login that joins a shared session (share.c). */
void send_reply_to(int fd, const struct nsi_reply *reply, const int *fds, size_t nfds);
/* One message and up to two fds (SCM_RIGHTS) on `sock`: 0, or -errno (-EPIPE: sent short). */
int send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/*
 * The helper's error style: setup code that cannot go on calls die(), which knows the stage.
 * It answers the module (NSI_FAIL, with the rule's on_error once die_on_error() has set it,
 * deny before) and exits; in PID 1 it first runs what die_undo() named (the record goes).
 * Nothing is unwound by hand: the process exits and the kernel takes back its namespaces,
 * mounts and fds.  What a caller can recover from (a peer session that ended meanwhile), and
 * everything in common/ and conf/, returns -errno with the reason in a caller's buffer.
 */
_noreturn_ void die(const char *fmt, ...) _printf_(1, 2);
void die_on_error(enum conf_on_error on_error);
void die_undo(void (*undo)(void *), void *arg);

/*
 * The one place a configuration's on_error becomes the reply's (common/protocol.h): the wire
 * has numbers of its own, so that reordering enum conf_on_error changes nothing the module
 * sees.  Only allow says allow; anything else, a value this switch does not know included,
 * is deny.
 */
static inline uint32_t
reply_on_error(enum conf_on_error on_error)
{
	switch (on_error) {
	case CONF_ON_ERROR_ALLOW:
		return NSI_ON_ERROR_ALLOW;
	case CONF_ON_ERROR_DENY:
	default:
		return NSI_ON_ERROR_DENY;
	}
}

/*
 * launch.c: first stage.  Never returns: once PID 1 exists the first stage exits, and PID 1
 * answers the module when the session is ready.  Takes run_fd (NSI_RUN_DIR, opened by
 * safe_state_dir(), or -1).
 */
_noreturn_ void session_start(const struct request *req, const struct plan *plan, struct conf *conf,
			      const char *rule, int login_pidfd, int run_fd, bool nested);
/* Is this process already inside an isolated session?  1 yes, 0 no, -errno unknown. */
int session_is_nested(uint64_t *ret_id);

/* mounts.c: PID 1, still privileged. */
void mounts_apply(struct session *s);

/*
 * net.c: PID 1, still privileged, in the session's new network namespace: `lo` up, which
 * gives it 127.0.0.1 and ::1.
 */
void net_lo_up(void);

/*
 * privs.c: PID 1 becomes unprivileged (euid = the user's; real and saved uid 0; every gid the
 * user's) and proves it.
 */
void privs_drop(uid_t uid, gid_t gid);
void privs_prove_dropped(uid_t uid, gid_t gid);

/* pid1.c: PID 1, from its clone to its exit. */
_noreturn_ void pid1_main(struct session *s);
/*
 * PID 1's answer to a login (the first, or one that joins): READY with a pidfd of itself and
 * its root, on that login's socket; `msg` is for the module's log line.
 */
int send_ready(struct session *s, int control, const char *rule, uint32_t on_error,
	       const char *msg);

/*
 * share.c: a session's logins, and the later logins of its user that join it (share = user).
 * How long a first stage and PID 1 wait for each other while one hands a login over, and
 * how many logins one session takes at most (two fds each in PID 1).
 */
#define SHARE_JOIN_TIMEOUT_MS 500
#define SHARE_MAX_LOGINS      4096
struct pollfd;
/*
 * First stage, the user's lock held: hand this login to a live shared session of the user
 * whose plan is ours.  Exits once one has taken it; returns if none did (s->note says why).
 */
void share_join(struct session *s);
/* PID 1, still root, registered, before the user's lock goes: its logins (and its socket). */
void share_setup(struct session *s);
/* PID 1's loop: what to poll (the signalfd first; with `logins`, the logins and socket) ... */
size_t share_poll(struct session *s, int sfd, bool logins, struct pollfd **ret);
/* ... and after the poll: ended logins dropped, a joining one taken; the logins left. */
size_t share_events(struct session *s);
/* No more logins join: the socket's name removed, the socket closed (idempotent). */
void share_close(struct session *s);

#endif
