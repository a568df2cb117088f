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
	HELPER_EXIT_FAIL = 1,    /* reported to the module in the reply */
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

/* Everything PID 1 inherits from the first stage. */
struct session {
	const struct request *req;
	const struct plan *plan;
	struct conf *conf;   /* the plan points into it; PID 1 frees it after setup */
	unsigned clone_ns;   /* CLONE_NEW* flags */
	int login_pidfd;     /* the login process: when it dies, the session ends */
	int record_fd;       /* the session record; PID 1 holds its flock */
	int sessions_fd;     /* NSI_RUN_DIR/sessions */
	int user_dir_fd;     /* NSI_RUN_DIR/users/<uid> */
	int lock_fd;         /* users/<uid>/.lock, held by the first stage during setup */
	int status_fd;       /* PID 1 -> first stage: setup result */
	int peer_mnt_fd[CONF_MAX_PRIVATE]; /* per private dir of type user: a live peer's mnt ns */
	uint64_t id;
};

/* PID 1 -> first stage, once, through a pipe. */
struct init_status {
	int32_t ok;
	char msg[256];
};

/* main.c: answer the module and exit. */
_noreturn_ void reply_fail(unsigned on_error, const char *fmt, ...) _printf_(2, 3);

/* setup.c: first stage. */
int session_start(const struct request *req, const struct plan *plan, struct conf *conf,
		  int login_pidfd, struct nsi_reply *reply, int *ret_pidfd, char *err,
		  size_t errlen);
/* The session id (record name) of process `pid` ("self" or a number): see record.h. */
int session_id_of(const char *pid, unsigned clone_ns, uint64_t *ret);
/* Is this process already inside an isolated session?  1 yes, 0 no, -errno unknown. */
int session_is_nested(uint64_t *ret_id);

/* mounts.c: PID 1, still privileged. */
int mounts_apply(struct session *s, char *err, size_t errlen);

/* init.c: PID 1. */
_noreturn_ void init_main(struct session *s);

#endif
