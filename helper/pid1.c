/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PID 1 of a session.  Finishes the setup (mounts, hostname, the record), gives up every
 * privilege and proves it, answers the module, then reaps orphans until the session ends: on
 * SIGTERM (the module's close_session), on EOF of the control socket, or when the login
 * process dies.  From here on it must never die on a mere warning (catatonit's rule): its
 * exit kills every process of the session.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>

#include "../common/record.h"
#include "helper.h"

/*
 * PID 1, still root, once its namespaces exist: write the record and link it under its name
 * (the inode of its first namespace), so that `nsisolate list`, the nested check and the
 * user's later logins find it.  In PID 1 rather than the first stage, which exits right
 * after the clone: nobody has to wait for anybody.
 */
static void
session_register(struct session *s)
{
	struct session_record rec = {
		.id = s->id,
		.init_pid = s->pid,
		.uid = s->req->uid,
		.start = (int64_t)time(NULL),
		.clone_ns = s->clone_ns,
		.linger = s->plan->linger,
		.shared = s->shared,
		.logins = 1,
	};
	int r;

	for (size_t i = 0; i < NS_COUNT; i++) {
		if (!(s->clone_ns & ns_types[i].clone))
			continue;
		r = record_ns_inode("self", i, &rec.ns[i]);
		if (r < 0)
			die("cannot read the session's namespaces: %s", strerror(-r));
	}
	(void)xsnprintf(rec.user, sizeof(rec.user), "%s", s->req->user);
	(void)xsnprintf(rec.service, sizeof(rec.service), "%s", s->req->service);
	(void)xsnprintf(rec.tty, sizeof(rec.tty), "%s", s->req->tty ? s->req->tty : "");
	(void)xsnprintf(rec.rhost, sizeof(rec.rhost), "%s", s->req->rhost ? s->req->rhost : "");
	(void)xsnprintf(rec.hostname, sizeof(rec.hostname), "%s", s->plan->hostname);
	(void)xsnprintf(rec.rule, sizeof(rec.rule), "%s", s->rule);
	(void)xsnprintf(rec.plan, sizeof(rec.plan), "%s", s->plan_digest);
	for (size_t i = 0; i < s->plan->n_private && rec.n_user_dirs < RECORD_MAX_USER_DIRS; i++)
		if (s->plan->private[i].type == CONF_PRIV_USER)
			(void)xsnprintf(rec.user_dirs[rec.n_user_dirs++], sizeof(rec.user_dirs[0]),
					"%s", s->plan->private[i].path);
	if (record_write(s->record_fd, &rec) < 0)
		die("cannot write the session record");
	r = record_publish(s->record_fd, s->sessions_fd, s->user_dir_fd, rec.id);
	if (r < 0)
		die("cannot register the session: %s", strerror(-r));
	s->registered = true;
}

/*
 * die() in PID 1, before it answers: no record may name a session that never was.  The
 * state directories are root's, and we may have dropped root already.
 */
static void
session_unregister(void *arg)
{
	struct session *s = arg;

	if (!s->registered)
		return;
	(void)setfsuid(0);
	(void)record_unpublish(s->record_fd, s->sessions_fd, s->user_dir_fd, s->id);
	s->registered = false;
}

static void
on_alarm(int sig)
{
	(void)sig;
	/* A hung mount, say: the module sees the socket close and refuses the login. */
	_exit(HELPER_EXIT_FAIL);
}

/* Keep only what PID 1 needs; the first stage's other fds (lock, peers) must not linger. */
static void
close_extra_fds(struct session *s, int keep_extra)
{
	int keep[] = {0,
		      1,
		      2,
		      NSI_CONTROL_FD,
		      s->login_pidfd,
		      s->record_fd,
		      s->sessions_fd,
		      s->user_dir_fd,
		      s->listen_fd,
		      keep_extra};
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

/*
 * Any process but us that is not a zombie?  A zombie here waits for its parent outside (sshd's
 * monitor reaps its user child only after close_session returns), not for us.
 */
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
	int r;

	share_close(s);
	(void)setfsuid(0);
	r = record_unpublish(s->record_fd, s->sessions_fd, s->user_dir_fd, s->id);
	if (r < 0 && r != -ENOENT)
		syslog(LOG_AUTHPRIV | LOG_WARNING,
		       "nsisolate: cannot remove session record %" PRIu64 ": %s", s->id,
		       strerror(-r));
	/* The kernel SIGKILLs whatever is left in the PID namespace. */
	_exit(0);
}

/*
 * Logged out: from now on no new login of the user may join our `user` tmpfs, or it would
 * find what this session left in /tmp while its processes are being killed (kill_timeout),
 * and that tmpfs would outlive the user's last session.  Only the link the first stage's
 * peer search reads goes; the record in sessions/ stays until we exit.
 */
static void
leave_peers(struct session *s)
{
	share_close(s); /* and no later login may join it */
	(void)setfsuid(0);
	(void)record_unpublish_user(s->record_fd, s->user_dir_fd, s->id);
	(void)setfsuid(s->req->uid);
}

/*
 * Until the session ends: reap, and watch the logins (share.c).  The last login gone - or
 * SIGTERM, which the module sends at close when the session is not shared - ends it:
 * SIGTERM to all, SIGKILL after kill_timeout; with linger, it waits for the last process
 * instead, and a shared session takes the user back meanwhile.  SIGTERM to a shared session
 * (root, nsisolate-usermgr) ends it whatever linger says: its logins leave by closing.
 */
_noreturn_ static void
loop(struct session *s, int sfd)
{
	const bool pidns = s->clone_ns & CLONE_NEWPID;
	enum { RUNNING, STOPPING, LINGERING } state = RUNNING;
	int64_t deadline = 0;

	for (;;) {
		struct pollfd *p;
		size_t n = share_poll(s, sfd, state != STOPPING, &p);
		int timeout = -1;
		bool stop = false, signalled = false;

		if (state == STOPPING) {
			int64_t left = deadline - now_ms();

			timeout = left < 0 ? 0 : left > 50 ? 50 : (int)left;
		} else if (state == LINGERING) {
			timeout = 1000;
		}
		if (poll(p, n, timeout) < 0 && errno != EINTR)
			syslog(LOG_AUTHPRIV | LOG_WARNING, "nsisolate: poll: %m");
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (si.ssi_signo != SIGCHLD)
					signalled = true;
		}
		/* A login's socket closed everywhere or its process gone; or a login joined. */
		if (state != STOPPING) {
			size_t left = share_events(s);

			stop = state == RUNNING && left == 0;
			if (state == LINGERING && left > 0)
				state = RUNNING; /* the user is back */
		}
		reap();
		if ((signalled || stop) && state != STOPPING &&
		    (state == RUNNING || (signalled && s->shared))) {
			/* Without a PID namespace kill(-1) would reach the whole host: just go. */
			if (!pidns)
				finish(s);
			if (s->plan->linger && !(signalled && s->shared)) {
				state = LINGERING;
			} else {
				leave_peers(s);
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

/* Our pid as the login process sees it (the record's pid=): /proc is still its /proc here. */
static int
login_view_pid(pid_t *ret)
{
	char buf[16];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	uint64_t v;

	if (n <= 0)
		return n < 0 ? -errno : -EINVAL;
	buf[n] = '\0';
	if (parse_uint(buf, INT32_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

int
send_ready(struct session *s, int control, const char *rule, uint32_t on_error, const char *msg)
{
	struct nsi_reply r = {
		.magic = NSI_REPLY_MAGIC,
		.verdict = NSI_READY,
		.on_error = on_error,
		.clone_ns = s->clone_ns,
		.init_pid = s->pid,
		.flags = s->shared ? NSI_REPLY_SHARED : 0,
		.session_id = s->id,
	};
	/*
	 * And our root: setns(CLONE_NEWNS) puts the joining process at the root of the mount
	 * namespace, which is not ours if the login program runs in a chroot; the module
	 * chroots to this one, so that a chrooted login's user stays in that chroot.
	 */
	int fds[2] = {pidfd_open(getpid(), 0), open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)};
	int ret = fds[0] < 0 || fds[1] < 0 ? -errno : 0;

	(void)xsnprintf(r.rule, sizeof(r.rule), "%s", rule);
	(void)xsnprintf(r.msg, sizeof(r.msg), "%s", msg);
	if (ret == 0)
		send_reply_to(control, &r, fds, 2);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return ret;
}

/* Everything is in place and privileges are gone: give the module a pidfd of us to join. */
static void
answer_ready(struct session *s)
{
	char msg[sizeof(s->note) + 32] = "";

	if (s->shared)
		(void)xsnprintf(msg, sizeof(msg), "built the shared session%s%s",
				s->note[0] ? ": " : "", s->note);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	if (send_ready(s, NSI_CONTROL_FD, s->rule, reply_on_error(s->plan->on_error), msg) < 0)
		die("cannot open a pidfd or the root of PID 1");
}

static void
drop_pages(uintptr_t low, uintptr_t high)
{
	low = (low + 4095) & ~(uintptr_t)4095;
	high &= ~(uintptr_t)4095;
	if (low && high > low)
		(void)madvise((void *)low, high - low, MADV_DONTNEED);
}

/*
 * After the answer, off the login's path: give back what only the setup needed (PSS).  The
 * plan's paths point into the configuration; from here on PID 1 reads only its numbers.
 * Our own stack went deep for the path walks and is dead below the frames still in use.
 * A page we give back and touch again is a fresh zero page, never someone's data.
 */
static void
give_back_memory(struct session *s)
{
	uintptr_t here = (uintptr_t)&here;

	conf_free(s->conf);
	s->conf = NULL;
	malloc_trim(0);
	drop_pages((uintptr_t)s->stack + 4096, here - 2 * 4096);
}

void
pid1_main(struct session *s)
{
	sigset_t mask;
	int sfd;

	die_undo(session_unregister, s);
	signal(SIGALRM, on_alarm);
	alarm(NSI_SETUP_TIMEOUT_S);
	if (setsid() < 0)
		die("setsid failed");
	/* The record is named after our namespace; we need the name to remove it. */
	if (record_id_of("self", s->clone_ns, &s->id) < 0 || login_view_pid(&s->pid) < 0)
		die("cannot read our own namespaces");
	mounts_apply(s);
	if ((s->clone_ns & CLONE_NEWUTS) && s->plan->hostname[0] &&
	    sethostname(s->plan->hostname, strlen(s->plan->hostname)) < 0)
		die("cannot set the hostname");
	/* Only `lo`, and up, before the module joins: sshd's forwardings land there. */
	if (s->clone_ns & CLONE_NEWNET)
		net_lo_up();
	/* Before the user's lock goes (close_extra_fds): the user's next login must find us. */
	session_register(s);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die("signalfd failed");
	/* Its logins; a shared session's socket, before the user's lock goes. */
	share_setup(s);
	signal(SIGPIPE, SIG_IGN);
	close_extra_fds(s, sfd);
	privs_drop(s->req->uid, s->req->gid);
	privs_prove_dropped(s->req->uid, s->req->gid);
	answer_ready(s);
	give_back_memory(s);
	openlog("nsisolate-init", LOG_PID, LOG_AUTHPRIV);
	loop(s, sfd);
}
