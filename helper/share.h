/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a later login's first stage hands its login to a shared session's PID 1 (share_join.c
 * on one side, share.c on the other), over the session's socket users/<uid>/<id>.sock: the
 * request, with the login process's pidfd and the module's socket as SCM_RIGHTS; PID 1's
 * word (taken, refused, full); the first stage's commit.  docs/DESIGN.md, "Shared sessions".
 */
#ifndef NSISOLATE_SHARE_H
#define NSISOLATE_SHARE_H

#include <stdint.h>

#include "../conf/conf.h"

#define SHARE_MAGIC 0x6e736a31u /* "nsj1" */

/* The first stage's request: its login, for PID 1 to take (with two fds, see above). */
struct share_request {
	uint32_t magic;
	uint32_t uid;	   /* the user logging in */
	uint64_t id;	   /* the session the first stage means */
	uint32_t on_error; /* NSI_ON_ERROR_*, for the module: as its own rule says */
	uint32_t pad;
	char plan[CONF_DIGEST_HEX]; /* conf_plan_digest() of the login's plan */
	char rule[128];		    /* the rule that applied, for the module's log line */
};

/* Both ways after the request: PID 1's verdict, then the first stage's commit. */
enum share_word {
	SHARE_TAKEN = 1, /* PID 1: the login is welcome; waiting for the commit */
	SHARE_REFUSED,	 /* PID 1: not this session's (user, session, plan) */
	SHARE_FULL,	 /* PID 1: no room for one more login */
	SHARE_COMMIT,	 /* first stage: PID 1 answers the module; I am gone */
};

struct share_word_msg {
	uint32_t magic;
	uint32_t word;
};

/* Milliseconds on CLOCK_MONOTONIC; waiting for fd to be readable until then (-ETIMEDOUT). */
int64_t share_now_ms(void);
int share_wait_readable(int fd, int64_t deadline);
/* One word (0, -EPIPE), or the other side's next one by the deadline (-errno, EOF -EPIPE). */
int share_send_word(int fd, enum share_word w);
int share_recv_word(int fd, int64_t deadline);

#endif
