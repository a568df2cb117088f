/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsitest-reaper CMD [ARG]...: run CMD as a child subreaper, the way init or systemd would
 * (this VM's init reaps orphans late: docs/kernel-facts.md, 'Hosts whose init reaps late').  The sessions' PID 1s and the
 * processes their login program left behind are reaped here at once; we exit with CMD's
 * status once every descendant is gone, or 10 s after CMD ended if some still are.
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int status = 125 << 8;

__attribute__((noreturn)) static void
give_up(int sig)
{
	(void)sig;
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int
main(int argc, char **argv)
{
	pid_t cmd, pid;
	int st;

	if (argc < 2 || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || (cmd = fork()) < 0)
		return 125;
	if (cmd == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	while ((pid = wait(&st)) > 0 || errno == EINTR)
		if (pid == cmd) {
			status = st;
			signal(SIGALRM, give_up);
			alarm(10);
		}
	give_up(0);
}
