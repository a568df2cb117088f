/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsisolate run: a minimal PAM login program, like runuser(1).  Opens a session for USER
 * through SERVICE's stack (no authentication: root only), forks, drops to the user, runs
 * CMD, waits, closes the session.  Used by the demo, the tests and the benchmark.
 *
 * The command never gets root's terminal: it runs in a session of its own (setsid), and
 * when any of our fds 0-2 is a terminal, on a pty of its own that we relay, as su --pty
 * does.  On root's terminal it could push input into root's shell (TIOCSTI), read what root
 * types after it, or change the terminal's settings.
 */
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
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

/*
 * The command's own terminal: a pty whose slave takes the place of each of fds 0-2 that is
 * a terminal (tty[fd]), with the settings and size of ours (the first of 0-2 that is one).
 */
struct pty {
	int master, slave;
	int our_tty; /* our first fd that is a terminal, or -1: no pty */
	bool tty[3];
	char name[64];
	struct termios saved; /* stdin's settings, while it is raw */
	bool raw;
};

static int
pty_open(struct pty *p)
{
	struct termios tio;
	struct winsize ws;
	int r;

	p->master = p->slave = p->our_tty = -1;
	for (int fd = 2; fd >= 0; fd--) {
		p->tty[fd] = isatty(fd);
		if (p->tty[fd])
			p->our_tty = fd;
	}
	if (p->our_tty < 0)
		return 0;
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0)
		return -errno;
	r = ptsname_r(p->master, p->name, sizeof(p->name));
	if (r != 0)
		return -r;
	p->slave = open(p->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0)
		return -errno;
	if (tcgetattr(p->our_tty, &tio) == 0)
		(void)tcsetattr(p->slave, TCSANOW, &tio);
	if (ioctl(p->our_tty, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(p->slave, TIOCSWINSZ, &ws);
	return 0;
}

static void
pty_close(struct pty *p)
{
	if (p->raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &p->saved);
	p->raw = false;
	closep(&p->slave);
	closep(&p->master);
}

/* In the child, still root: its own session, and the pty as its controlling terminal. */
static int
pty_attach(const struct pty *p, uid_t uid)
{
	/*
	 * A session of its own, whatever its fds: without one, the command keeps root's
	 * controlling terminal (open("/dev/tty")) and could push input into root's shell
	 * with TIOCSTI, which needs nothing more than that terminal being its own.
	 */
	if (setsid() < 0)
		return -errno;
	if (p->our_tty < 0)
		return 0;
	/* Its own terminal, the user's like any login's; none of root's stays on 0-2. */
	if (ioctl(p->slave, TIOCSCTTY, 0) < 0 || fchown(p->slave, uid, (gid_t)-1) < 0)
		return -errno;
	for (int fd = 0; fd < 3; fd++)
		if (p->tty[fd] && dup2(p->slave, fd) < 0)
			return -errno;
	return 0;
}

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* our terminal is gone: the output has nowhere to go */
		buf += n;
		len -= (size_t)n;
	}
}

static volatile sig_atomic_t winch;
static void
on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

/*
 * Copy our terminal's input to the pty and its output to our terminal until the command
 * exits (its pidfd), then what it left in the pty; not a byte more for anything of the
 * user's that keeps the pty after it.  Our stdin is raw meanwhile: ^C, ^Z and
 * the rest are the pty's to interpret, for the command.
 */
static void
pty_relay(struct pty *p, pid_t child)
{
	_cleanup_close_ int pidfd = pidfd_open(child, 0);
	struct sigaction sa = {.sa_handler = on_winch};
	sigset_t block, during;
	char in[4096], out[4096];
	size_t in_len = 0, in_off = 0;
	int in_fd = p->tty[0] ? STDIN_FILENO : -1, master = p->master;
	int out_fd = p->tty[1] ? STDOUT_FILENO : p->tty[2] ? STDERR_FILENO : STDIN_FILENO;
	struct termios raw;
	ssize_t n;

	if (in_fd >= 0 && tcgetattr(in_fd, &p->saved) == 0) {
		raw = p->saved;
		cfmakeraw(&raw);
		p->raw = tcsetattr(in_fd, TCSANOW, &raw) == 0;
	}
	(void)fcntl(master, F_SETFL, O_NONBLOCK);
	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &during);
	sigdelset(&during, SIGWINCH);
	sigaction(SIGWINCH, &sa, NULL);
	for (;;) {
		struct pollfd pf[3] = {
			{in_len ? -1 : in_fd, POLLIN, 0},
			{master, (short)(POLLIN | (in_len ? POLLOUT : 0)), 0},
			{pidfd, POLLIN, 0},
		};
		struct winsize ws;

		if (ppoll(pf, 3, NULL, &during) < 0) {
			if (errno != EINTR)
				break;
			if (winch && ioctl(p->our_tty, TIOCGWINSZ, &ws) == 0)
				(void)ioctl(master, TIOCSWINSZ, &ws);
			winch = 0;
			continue;
		}
		if (pf[0].revents) {
			n = read(in_fd, in, sizeof(in));
			if (n > 0)
				in_len = (size_t)n, in_off = 0;
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				in_fd = -1; /* our terminal is gone: the command reads no more */
		}
		if ((pf[1].revents & POLLOUT) &&
		    (n = write(master, in + in_off, in_len - in_off)) > 0)
			if ((in_off += (size_t)n) == in_len)
				in_len = 0;
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(master, out, sizeof(out));
			if (n > 0)
				write_all(out_fd, out, (size_t)n);
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				master = -1; /* EIO: nothing has the slave open */
		}
		/* Without a pidfd (kernels before 5.3): until nothing has the slave open. */
		if (pf[2].revents || (pidfd < 0 && master < 0))
			break;
	}
	while (master >= 0 && (n = read(master, out, sizeof(out))) > 0)
		write_all(out_fd, out, (size_t)n);
	signal(SIGWINCH, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	if (p->raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &p->saved);
	p->raw = false;
}

_noreturn_ static void
exec_as_user(pam_handle_t *pamh, const struct user_info *u, char **cmd, const struct pty *pty)
{
	char **env = pam_getenvlist(pamh);
	char *shell_argv[] = {u->shell, NULL};

	if (pty_attach(pty, u->uid) < 0) {
		perror("nsisolate run: cannot give the command a session and terminal of its own");
		_exit(126);
	}
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

struct run_opts {
	const char *user, *service;
	bool timing;
	char **cmd; /* NULL: the user's shell */
};

/* -1 to go on, else the exit code (after --help, or a usage error). */
static int
run_options(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{"user", required_argument, NULL, 'u'},
		{"service", required_argument, NULL, 's'},
		{"time", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	*o = (struct run_opts){.service = "nsisolate"};
	optind = 1;
	while ((c = getopt_long(argc, argv, "+u:s:th", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->user = optarg;
			break;
		case 's':
			o->service = optarg;
			break;
		case 't':
			o->timing = true;
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
	if (!o->user) {
		usage_error("run needs -u USER");
		return EXIT_USAGE;
	}
	o->cmd = optind < argc ? argv + optind : NULL;
	return -1;
}

/* In the open session: run the command as the user and wait; its exit status. */
static int
run_child(pam_handle_t *pamh, const struct user_info *u, char **cmd, struct pty *pty)
{
	struct sigaction sa = {.sa_handler = forward};
	int status = 0;

	child_pid = fork();
	if (child_pid < 0) {
		perror("nsisolate run: fork");
		return EXIT_RUNTIME;
	}
	if (child_pid == 0)
		exec_as_user(pamh, u, cmd, pty);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (pty->our_tty >= 0) {
		/* Ours closed: the master sees EIO once nothing of the command has it. */
		closep(&pty->slave);
		pty_relay(pty, child_pid);
	}
	while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
cmd_run(int argc, char **argv)
{
	struct pam_conv conv = {conversation, NULL};
	struct user_info u = {0};
	struct pty pty = {.master = -1, .slave = -1, .our_tty = -1};
	pam_handle_t *pamh = NULL;
	int r, ret = EXIT_RUNTIME;
	struct run_opts o;
	double t0, t_open;

	r = run_options(argc, argv, &o);
	if (r >= 0)
		return r;
	if (geteuid() != 0) {
		fputs("nsisolate run: only root may open sessions for other users\n", stderr);
		return EXIT_RUNTIME;
	}
	r = user_info_lookup(o.user, &u);
	if (r < 0) {
		fprintf(stderr, "nsisolate run: %s '%s'\n",
			r == -ENOENT ? "no such user" : "cannot look up user", o.user);
		return r == -ENOENT ? EXIT_NO : EXIT_RUNTIME;
	}
	r = pam_start(o.service, u.name, &conv, &pamh);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "nsisolate run: pam_start: %s\n", pam_strerror(pamh, r));
		goto out;
	}
	(void)pam_set_item(pamh, PAM_RUSER, "root");
	r = pty_open(&pty);
	if (r < 0) {
		fprintf(stderr, "nsisolate run: cannot open a pty: %s\n", strerror(-r));
		r = PAM_SYSTEM_ERR;
		goto end;
	}
	/* The session's terminal is the command's pty, not ours. */
	if (pty.our_tty >= 0)
		(void)pam_set_item(pamh, PAM_TTY, pty.name);
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
	ret = run_child(pamh, &u, o.cmd, &pty);
	t0 = now_ms();
	r = pam_close_session(pamh, 0);
	if (o.timing)
		fprintf(stderr,
			"nsisolate run: pam_open_session %.3f ms, pam_close_session %.3f ms\n",
			t_open, now_ms() - t0);
	if (r != PAM_SUCCESS)
		fprintf(stderr, "nsisolate run: pam_close_session: %s\n", pam_strerror(pamh, r));
	(void)pam_setcred(pamh, PAM_DELETE_CRED);
end:
	pam_end(pamh, r);
	pty_close(&pty);
out:
	user_info_free(&u);
	return ret;
}
