/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_TOOL_H
#define NSISOLATE_TOOL_H

#include "../common/record.h"
#include "../common/util.h"

/* Exit codes (nsisolate(8), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_NO = 1, /* invalid configuration, unknown user */
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
};

int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_enter(int argc, char **argv);

int cmd_terminate(int argc, char **argv);

void usage_error(const char *fmt, ...) _printf_(1, 2);

/* sessions.c: live sessions, for list, enter and terminate. */
/*
 * The session's PID 1, as this tool's PID namespace numbers it: its pid, a pidfd, and an fd
 * of its /proc directory, all three the same process.
 */
struct init_proc {
	pid_t pid;
	int pidfd;
	int procfd;
};
void init_proc_close(struct init_proc *p);
/* NSI_SESSIONS_DIR, or -1 with errno (ENOENT: no session yet; a failure is printed). */
int sessions_open_dir(void);
/* The record of SESSION (a record's name) or of the session holding process PID. */
int sessions_find(int dfd, const char *arg, struct session_record *rec, int *ret_fd);
/* The session's PID 1, proven to be it (the helper holding the record open at rfd). */
int sessions_find_init(const struct session_record *rec, int rfd, struct init_proc *ret);

/* list.c: a user's uid by name; an exit code, the problem printed. */
int tool_user_uid(const char *name, uid_t *ret);

#endif
