/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsisolate run: a minimal PAM login program, like runuser(1).  Opens a session for USER
 * through SERVICE's stack (no authentication: root only), forks, drops to the user, runs
 * CMD, waits, closes the session.  Used by the demo, the tests and the benchmark.
 */
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <security/pam_appl.h>

#include "../common/identity.h"
#include "tool.h"

static int
conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)data;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_ERROR_MSG || msg[i]->msg_style == PAM_TEXT_INFO)
			fprintf(stderr, "%s\n", msg[i]->msg);
		else
			return PAM_CONV_ERR; /* no prompts: run does not authenticate */
	*resp = NULL;
	return PAM_SUCCESS;
}

_noreturn_ static void
exec_as_user(pam_handle_t *pamh, const struct user_info *u, char **cmd)
{
	char **env = pam_getenvlist(pamh);
	char *shell_argv[] = {u->shell, NULL};

	/* Nothing of root's environment: what PAM set, plus the usual login variables. */
	clearenv();
	for (char **e = env; e && *e; e++)
		putenv(*e);
	setenv("HOME", u->home, 1);
	setenv("SHELL", u->shell, 1);
	setenv("USER", u->name, 1);
	setenv("LOGNAME", u->name, 1);
	if (!getenv("PATH"))
		setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	if (initgroups(u->name, u->gid) < 0 || setgid(u->gid) < 0 || setuid(u->uid) < 0) {
		perror("nsisolate run: cannot become the user");
		_exit(126);
	}
	/* Prove it: a process that can get root back has not dropped it. */
	if (u->uid != 0 && setuid(0) == 0) {
		fputs("nsisolate run: could regain root; refusing to run the command\n", stderr);
		_exit(126);
	}
	if (chdir(u->home) < 0 && chdir("/") < 0)
		_exit(126);
	/*
	 * Nothing of root's for the user but stdin, stdout and stderr: an fd our caller left
	 * open without O_CLOEXEC (a root-only file, say) would otherwise pass the exec.
	 */
	(void)close_range(3, ~0u, 0);
	execvp(cmd ? cmd[0] : u->shell, cmd ? cmd : shell_argv);
	fprintf(stderr, "nsisolate run: cannot run '%s': %s\n", cmd ? cmd[0] : u->shell,
		strerror(errno));
	_exit(127);
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Forward termination to the command, as su and login do; the session closes after it. */
static pid_t child_pid;
static void
forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"user", required_argument, NULL, 'u'},
		{"service", required_argument, NULL, 's'},
		{"time", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *user = NULL, *service = "nsisolate";
	struct pam_conv conv = {conversation, NULL};
	struct user_info u = {0};
	pam_handle_t *pamh = NULL;
	int c, r, status = 0, ret = EXIT_RUNTIME;
	double t0, t_open;
	bool timing = false;
	char **cmd;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+u:s:th", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 's':
			service = optarg;
			break;
		case 't':
			timing = true;
			break;
		case 'h':
			puts("Usage: nsisolate run -u USER [-s SERVICE] [-t] [-- CMD [ARG]...]\n"
			     "  -t, --time   print how long pam_open_session and pam_close_session took");
			return EXIT_OK;
		default:
			usage_error(
				"usage: nsisolate run -u USER [-s SERVICE] [-t] [-- CMD [ARG]...]");
			return EXIT_USAGE;
		}
	}
	if (!user) {
		usage_error("run needs -u USER");
		return EXIT_USAGE;
	}
	cmd = optind < argc ? argv + optind : NULL;
	if (geteuid() != 0) {
		fputs("nsisolate run: only root may open sessions for other users\n", stderr);
		return EXIT_RUNTIME;
	}
	r = user_info_lookup(user, &u);
	if (r < 0) {
		fprintf(stderr, "nsisolate run: %s '%s'\n",
			r == -ENOENT ? "no such user" : "cannot look up user", user);
		return r == -ENOENT ? EXIT_NO : EXIT_RUNTIME;
	}
	r = pam_start(service, u.name, &conv, &pamh);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "nsisolate run: pam_start: %s\n", pam_strerror(pamh, r));
		goto out;
	}
	(void)pam_set_item(pamh, PAM_RUSER, "root");
	if (isatty(STDIN_FILENO))
		(void)pam_set_item(pamh, PAM_TTY, ttyname(STDIN_FILENO));
	r = pam_setcred(pamh, PAM_ESTABLISH_CRED);
	t0 = now_ms();
	if (r == PAM_SUCCESS)
		r = pam_open_session(pamh, 0);
	t_open = now_ms() - t0;
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "nsisolate run: session for '%s' refused: %s\n", u.name,
			pam_strerror(pamh, r));
		ret = EXIT_NO;
		goto end;
	}
	child_pid = fork();
	if (child_pid < 0) {
		perror("nsisolate run: fork");
	} else if (child_pid == 0) {
		exec_as_user(pamh, &u, cmd);
	} else {
		struct sigaction sa = {.sa_handler = forward};

		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR)
			;
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	t0 = now_ms();
	r = pam_close_session(pamh, 0);
	if (timing)
		fprintf(stderr,
			"nsisolate run: pam_open_session %.3f ms, pam_close_session %.3f ms\n",
			t_open, now_ms() - t0);
	if (r != PAM_SUCCESS)
		fprintf(stderr, "nsisolate run: pam_close_session: %s\n", pam_strerror(pamh, r));
	(void)pam_setcred(pamh, PAM_DELETE_CRED);
end:
	pam_end(pamh, r);
out:
	user_info_free(&u);
	return ret;
}
