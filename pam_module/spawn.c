/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running the helper from inside the login program: posix_spawn with an empty environment,
 * fds 0-2 on /dev/null and one socket, every signal reset, in a session of its own; one
 * reply read back (reply.c); the helper reaped before we return, so the login program never
 * has a child of ours to see.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../common/util.h"
#include "module.h"

static char **
helper_argv(const struct args *a, const struct user_info *u, const char *service, const char *tty,
	    const char *rhost, char *uid, char *gid)
{
	/* 16 with a tty and a remote host (sshd gives both), 2 per group, and the NULL. */
	size_t n = 0, max = 16 + 2 * u->ngroups + 1;
	char **v = calloc(max, sizeof(char *));

	if (!v)
		return NULL;
	v[n++] = (char *)a->helper;
	v[n++] = (char *)"open";
	v[n++] = (char *)"--conf", v[n++] = (char *)a->conf;
	v[n++] = (char *)"--user", v[n++] = u->name;
	v[n++] = (char *)"--uid", v[n++] = uid;
	v[n++] = (char *)"--gid", v[n++] = gid;
	v[n++] = (char *)"--service", v[n++] = (char *)service;
	if (tty)
		v[n++] = (char *)"--tty", v[n++] = (char *)tty;
	if (rhost)
		v[n++] = (char *)"--rhost", v[n++] = (char *)rhost;
	for (size_t i = 0; i < u->ngroups; i++)
		v[n++] = (char *)"--group", v[n++] = u->groups[i];
	return v;
}

/*
 * Run the helper and collect its answer.  The helper is our child only for as long as this
 * call lasts: it exits right after answering and we reap it here, with SIGCHLD at its
 * default so that the login program's handler (or SIG_IGN) neither runs nor steals it.
 */
int
spawn_helper(const struct args *a, const struct user_info *u, const char *service, const char *tty,
	     const char *rhost, struct nsi_reply *reply, int ret_fds[2], int *ret_control)
{
	static char *const empty_env[] = {NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	_cleanup_close_ int mine = -1, theirs = -1;
	char uid[16], gid[16];
	sigset_t none, all;
	char **argv;
	pid_t pid;
	int sv[2], r, status;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	mine = sv[0];
	theirs = sv[1];
	/* dup2(3, 3) would leave FD_CLOEXEC set: make sure the source is not 3 already. */
	if (theirs == NSI_CONTROL_FD) {
		theirs = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
		close(sv[1]);
		if (theirs < 0)
			return -errno;
	}
	(void)xsnprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
	(void)xsnprintf(gid, sizeof(gid), "%u", (unsigned)u->gid);
	argv = helper_argv(a, u, service, tty, rhost, uid, gid);
	if (!argv)
		return -ENOMEM;

	/* fds 0-2 on /dev/null, our socket as fd 3, nothing else of the login program's. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	posix_spawn_file_actions_adddup2(&fa, theirs, NSI_CONTROL_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, NSI_CONTROL_FD + 1);
	/* Signals the login program ignores or blocks would survive exec: reset them all. */
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_init(&attr);
	/*
	 * A session of its own, without a controlling terminal: in the login program's process
	 * group the helper would get whatever the terminal sends there, and the user owns that
	 * terminal (su and sudo run in it; TIOCSIG on a pty master sends any signal, SIGSTOP
	 * included, with no permission check).  Stopped while it holds users/<uid>/.lock, it
	 * would hold up every other login of that user.
	 */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);

	sigaction(SIGCHLD, &dfl, &old);
	r = posix_spawn(&pid, a->helper, &fa, &attr, argv, empty_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(argv); /* the strings are the caller's */
	if (r != 0) {
		sigaction(SIGCHLD, &old, NULL);
		return -r;
	}
	closep(&theirs);
	theirs = -1;
	r = reply_read(mine, reply, ret_fds);
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL); /* our unreaped child: the pid cannot have been reused */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGCHLD, &old, NULL);
	if (r < 0)
		return r;
	*ret_control = steal_fd(mine);
	return 0;
}
