/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PID 1 of a session.  Finishes the setup (mounts, hostname), gives up every privilege and
 * proves it, reports to the first stage, then reaps orphans until the session ends: on
 * SIGTERM (the module's close_session), on EOF of the control socket, or when the login
 * process dies.  From here on it must never die on a mere warning (catatonit's rule): its
 * exit kills every process of the session.
 */
#include <dirent.h>
#include <grp.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/securebits.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>

#include "helper.h"

#define fail(...)                                                                                  \
	({                                                                                         \
		(void)xsnprintf(err, errlen, __VA_ARGS__);                                         \
		-EPERM;                                                                            \
	})

_noreturn_ static void
report_and_exit(struct session *s, const char *msg)
{
	struct init_status st = {.ok = 0};

	(void)xsnprintf(st.msg, sizeof(st.msg), "%s", msg);
	(void)!write(s->status_fd, &st, sizeof(st));
	_exit(HELPER_EXIT_FAIL);
}

static void
on_alarm(int sig)
{
	(void)sig;
	_exit(HELPER_EXIT_FAIL); /* the first stage reports "PID 1 died during setup" */
}

/*
 * Give up everything that made us root, in an order that keeps the means to do so until
 * the end: the bounding set needs CAP_SETPCAP, which the final cap_set_proc() removes.
 */
static int
drop_privileges(uid_t uid, char *err, size_t errlen)
{
	_cleanup_(cap_free) cap_t none = NULL;
	int bits = cap_max_bits();

	for (int c = 0; c < bits; c++)
		if (cap_drop_bound((cap_value_t)c) < 0)
			return fail("cannot drop capability %d from the bounding set: %s", c,
				    strerror(errno));
	if (cap_reset_ambient() < 0)
		return fail("cannot clear the ambient capabilities: %s", strerror(errno));
	/* uid 0 must never again mean capabilities, even after setresuid(0, 0, 0). */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
					     SECBIT_NO_CAP_AMBIENT_RAISE |
					     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
		  0, 0, 0) < 0)
		return fail("cannot set securebits: %s", strerror(errno));
	if (setgroups(0, NULL) < 0)
		return fail("cannot drop supplementary groups: %s", strerror(errno));
	/*
	 * Effective uid = the user's, so that we may signal the user's processes at logout
	 * without CAP_KILL; real and saved uid stay 0, so that the user can neither signal nor
	 * ptrace us (FACTS F43).
	 */
	if (setresuid(0, uid, 0) < 0)
		return fail("cannot change uid: %s", strerror(errno));
	none = cap_init();
	if (!none || cap_set_proc(none) < 0)
		return fail("cannot clear capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail("cannot set no_new_privs/non-dumpable: %s", strerror(errno));
	return 0;
}

/* Like OpenSSH's uidswap.c: do not trust the drop, try to use what was dropped. */
static int
prove_unprivileged(uid_t uid, char *err, size_t errlen)
{
	_cleanup_(cap_free) cap_t now = cap_get_proc(), none = cap_init();
	uid_t r, e, sv;

	if (!now || !none || cap_compare(now, none) != 0)
		return fail("capabilities remain after the drop");
	for (int c = 0; c < cap_max_bits(); c++)
		if (cap_get_bound((cap_value_t)c) != 0)
			return fail("capability %d remains in the bounding set", c);
	if (getresuid(&r, &e, &sv) < 0 || r != 0 || e != uid || sv != 0)
		return fail("unexpected uids after the drop");
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return fail("still dumpable or without no_new_privs");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0 || errno != EPERM)
		return fail("mount still works after dropping privileges");
	if (unshare(CLONE_NEWUTS) == 0)
		return fail("unshare still works after dropping privileges");
	return 0;
}

/* Keep only what PID 1 needs; the first stage's other fds (lock, peers) must not linger. */
static void
close_extra_fds(struct session *s, int keep_extra)
{
	int keep[] = {0, 1, 2, NSI_CONTROL_FD, s->login_pidfd, s->record_fd, s->sessions_fd,
		      s->user_dir_fd, s->status_fd, keep_extra};
	int next = 0;

	for (;;) {
		int lo = -1;

		/* The smallest kept fd at or above `next`: close the gap below it. */
		for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
			if (keep[i] >= next && (lo < 0 || keep[i] < lo))
				lo = keep[i];
		if (lo < 0) {
			(void)close_range((unsigned)next, ~0u, 0);
			return;
		}
		if (lo > next)
			(void)close_range((unsigned)next, (unsigned)lo - 1, 0);
		next = lo + 1;
	}
}

/* Any process but us that is not a zombie? (Zombies wait for a parent outside: F25.) */
static bool
others_alive(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool alive = false;

	if (!d)
		return false;
	while (!alive && (de = readdir(d))) {
		char path[64], buf[512], *p;
		int fd;
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || strcmp(de->d_name, "1") == 0)
			continue;
		(void)xsnprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	}
	closedir(d);
	return alive;
}

static void
reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Remove our record (root's directory: fsuid 0 for just this) and go. */
_noreturn_ static void
finish(struct session *s)
{
	char name[24];

	(void)xsnprintf(name, sizeof(name), "%" PRIu64, s->id);
	(void)setfsuid(0);
	if (unlinkat(s->sessions_fd, name, 0) < 0 && errno != ENOENT)
		syslog(LOG_AUTHPRIV | LOG_WARNING, "nsisolate: cannot remove session record %s: %m",
		       name);
	(void)unlinkat(s->user_dir_fd, name, 0);
	/* The kernel SIGKILLs whatever is left in the PID namespace. */
	_exit(0);
}

_noreturn_ static void
loop(struct session *s, int sfd)
{
	const bool pidns = s->clone_ns & CLONE_NEWPID;
	enum { RUNNING, STOPPING, LINGERING } state = RUNNING;
	struct pollfd p[3] = {
		{.fd = sfd, .events = POLLIN},
		{.fd = NSI_CONTROL_FD, .events = POLLIN},
		{.fd = s->login_pidfd, .events = POLLIN},
	};
	int64_t deadline = 0;

	for (;;) {
		int timeout = -1;
		bool stop = false;

		if (state == STOPPING) {
			int64_t left = deadline - now_ms();

			timeout = left < 0 ? 0 : left > 50 ? 50 : (int)left;
		} else if (state == LINGERING) {
			timeout = 1000;
		}
		if (poll(p, state == RUNNING ? 3 : 1, timeout) < 0 && errno != EINTR)
			syslog(LOG_AUTHPRIV | LOG_WARNING, "nsisolate: poll: %m");
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (si.ssi_signo != SIGCHLD)
					stop = true;
		}
		/* The module's socket closed everywhere, or the login process is gone. */
		if (state == RUNNING && (p[1].revents || p[2].revents))
			stop = true;
		reap();
		if (stop && state == RUNNING) {
			/* Without a PID namespace kill(-1) would reach the whole host: just go. */
			if (!pidns)
				finish(s);
			if (s->plan->linger) {
				state = LINGERING;
			} else {
				(void)kill(-1, SIGTERM);
				state = STOPPING;
				deadline = now_ms() + (int64_t)s->plan->kill_timeout * 1000;
			}
		}
		if (state != RUNNING && !others_alive())
			finish(s);
		if (state == STOPPING && now_ms() >= deadline) {
			(void)kill(-1, SIGKILL);
			finish(s);
		}
	}
}

void
init_main(struct session *s)
{
	struct init_status ok = {.ok = 1};
	char err[256];
	sigset_t mask;
	int sfd;

	signal(SIGALRM, on_alarm);
	alarm(NSI_SETUP_TIMEOUT_S);
	if (setsid() < 0)
		report_and_exit(s, "setsid failed");
	/* The first stage names the record after our namespace; we need the name to remove it. */
	if (session_id_of("self", s->clone_ns, &s->id) < 0)
		report_and_exit(s, "cannot read our own namespaces");
	if (mounts_apply(s, err, sizeof(err)) < 0)
		report_and_exit(s, err);
	if ((s->clone_ns & CLONE_NEWUTS) && s->plan->hostname[0] &&
	    sethostname(s->plan->hostname, strlen(s->plan->hostname)) < 0)
		report_and_exit(s, "cannot set the hostname");
	/* From here on PID 1 needs only the plan's numbers: give the memory back (PSS). */
	conf_free(s->conf);
	s->conf = NULL;
	malloc_trim(0);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		report_and_exit(s, "signalfd failed");
	signal(SIGPIPE, SIG_IGN);
	close_extra_fds(s, sfd);
	openlog("nsisolate-init", LOG_PID, LOG_AUTHPRIV);
	if (drop_privileges(s->req->uid, err, sizeof(err)) < 0 ||
	    prove_unprivileged(s->req->uid, err, sizeof(err)) < 0)
		report_and_exit(s, err);

	alarm(0);
	signal(SIGALRM, SIG_DFL);
	if (write(s->status_fd, &ok, sizeof(ok)) != (ssize_t)sizeof(ok))
		_exit(HELPER_EXIT_FAIL);
	close(s->status_fd);
	loop(s, sfd);
}
