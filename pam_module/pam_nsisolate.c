/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_nsisolate: a session module that moves the login process into an isolated session
 * built by nsisolate-helper.  A thin client inside someone else's process (sshd, login, su):
 * it gathers the user, runs the helper, joins the namespaces with one setns(2) and maps the
 * result to a PAM code.  It never parses the configuration, never exits, never waits for
 * the session's processes, and changes nothing in the login process before that one setns.
 *
 *   session required pam_nsisolate.so [conf=FILE] [helper=PATH] [debug]
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>

#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "../common/identity.h"
#include "../common/paths.h"
#include "../common/protocol.h"
#include "../common/record.h"
#include "../common/util.h"

#define PUBLIC	 __attribute__((visibility("default")))
#define DATA_KEY "pam_nsisolate:session"

/* The configuration's on_error values; the module only needs to tell them apart. */
#define ON_ERROR_ALLOW 1

struct args {
	const char *conf;
	const char *helper;
	bool debug;
};

/* What a joined session leaves in the PAM handle (pam_set_data), for close_session. */
struct state {
	pid_t opener;	/* only this process may close: su and login fork after open */
	int pidfd;	/* the session's PID 1 */
	int control_fd; /* our end of the helper's socket */
	int saved[4];	/* our own mnt, ipc, uts, pid namespaces before joining */
	unsigned clone_ns;
	uint64_t id;
	uid_t uid;
	pid_t init_pid;
	bool closed;
};

static const struct {
	int flag;
	const char *name;
} ns_order[4] = {
	/* Joined in this order by the fallback, mnt last: after it /proc/PID is out of reach. */
	{CLONE_NEWIPC, "ipc"},
	{CLONE_NEWUTS, "uts"},
	{CLONE_NEWPID, "pid"},
	{CLONE_NEWNS, "mnt"},
};

static int
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	*a = (struct args){.conf = NSI_CONF_PATH, .helper = NSI_HELPER_PATH};
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0 && argv[i][5] == '/')
			a->conf = argv[i] + 5;
		else if (strncmp(argv[i], "helper=", 7) == 0 && argv[i][7] == '/')
			a->helper = argv[i] + 7;
		else if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else {
			/* A misspelt argument must not quietly turn isolation off. */
			pam_syslog(
				pamh, LOG_ERR,
				"unknown or invalid argument '%s' (conf= and helper= take absolute "
				"paths); refusing the session",
				argv[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
close_state_fds(struct state *st)
{
	closep(&st->pidfd);
	closep(&st->control_fd);
	for (size_t i = 0; i < ARRAY_SIZE(st->saved); i++)
		closep(&st->saved[i]);
	st->pidfd = st->control_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(st->saved); i++)
		st->saved[i] = -1;
}

/* pam_end: only close fds.  It also runs in forked children (su, login) and in sudo's opener. */
static void
cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh, (void)error_status;
	close_state_fds(data);
	free(data);
}

static void
argv_free(char **v)
{
	free(v);
}

static char **
helper_argv(const struct args *a, const struct user_info *u, const char *service, const char *tty,
	    const char *rhost, char *uid, char *gid)
{
	size_t n = 0, max = 16 + 2 * u->ngroups;
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

/* Read the helper's one reply, with the pidfd of PID 1 when it says READY. */
static int
read_reply(int fd, struct nsi_reply *reply, int *ret_pidfd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = reply, .iov_len = sizeof(*reply)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int r;

	*ret_pidfd = -1;
	do
		r = poll(&p, 1, NSI_REPLY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*ret_pidfd < 0)
				*ret_pidfd = got;
			else
				close(got);
		}
	}
	if (n != (ssize_t)sizeof(*reply) || reply->magic != NSI_REPLY_MAGIC ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (reply->verdict == NSI_READY) != (*ret_pidfd >= 0)) {
		closep(ret_pidfd);
		*ret_pidfd = -1;
		return n == 0 ? -EPIPE : -EBADMSG;
	}
	reply->rule[sizeof(reply->rule) - 1] = '\0';
	reply->msg[sizeof(reply->msg) - 1] = '\0';
	return 0;
}

/*
 * Run the helper and collect its answer.  The helper is our child only for as long as this
 * call lasts: it exits right after answering and we reap it here, with SIGCHLD at its
 * default so that the login program's handler (or SIG_IGN) neither runs nor steals it.
 */
static int
run_helper(const struct args *a, const struct user_info *u, const char *service, const char *tty,
	   const char *rhost, struct nsi_reply *reply, int *ret_pidfd, int *ret_control)
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
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);

	sigaction(SIGCHLD, &dfl, &old);
	r = posix_spawn(&pid, a->helper, &fa, &attr, argv, empty_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	argv_free(argv);
	if (r != 0) {
		sigaction(SIGCHLD, &old, NULL);
		return -r;
	}
	closep(&theirs);
	theirs = -1;
	r = read_reply(mine, reply, ret_pidfd);
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

static int
count_threads(void)
{
	char buf[4096];
	_cleanup_close_ int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	char *p;
	uint64_t v;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nThreads:\t");
	if (!p)
		return 0;
	p += 10;
	p[strspn(p, "0123456789")] = '\0';
	return parse_uint(p, 1u << 22, &v) == 0 ? (int)v : 0;
}

/* Restore what we saved; used on close and when a fallback join fails half-way. */
static int
restore_namespaces(struct state *st)
{
	int ret = 0;

	/* mnt first: it is the one that hides /proc from us and changes root and cwd. */
	for (int i = 3; i >= 0; i--)
		if (st->saved[i] >= 0 && setns(st->saved[i], ns_order[i].flag) < 0)
			ret = -errno;
	return ret;
}

/*
 * Join the session.  Nothing in the login process changes before this, and the pidfd form of
 * setns(2) joins every namespace at once or none (kernel 5.8+); before that, one by one.
 */
static int
join(struct state *st, const char **what)
{
	struct pollfd p = {.fd = st->pidfd, .events = POLLIN};
	int fds[4] = {-1, -1, -1, -1}, r = 0;

	/*
	 * setns(pidfd) succeeds in a multithreaded process but moves only the calling thread:
	 * a fork from any other thread would escape the session.  Login programs are
	 * single-threaded; refuse the rest (FACTS F28, P11).
	 */
	if (count_threads() > 1) {
		*what = "the login program is multithreaded; only one thread would join";
		return -EINVAL;
	}
	/* A dead PID 1 would make every later fork() of ours fail with ENOMEM (FACTS P9). */
	if (poll(&p, 1, 0) != 0) {
		*what = "the session's PID 1 died before it could be joined";
		return -ESRCH;
	}
	for (int i = 0; i < 4; i++) {
		char path[64];

		if (!(st->clone_ns & (unsigned)ns_order[i].flag))
			continue;
		(void)xsnprintf(path, sizeof(path), "/proc/self/ns/%s", ns_order[i].name);
		st->saved[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (st->saved[i] < 0) {
			*what = "cannot save the login process's namespaces";
			return -errno;
		}
	}
	if (setns(st->pidfd, (int)st->clone_ns) == 0)
		return 0;
	if (errno != EINVAL) {
		*what = "setns failed";
		return -errno;
	}
	/* Kernels before 5.8 do not take a pidfd: open every namespace first, join mnt last. */
	for (int i = 0; i < 4 && r == 0; i++) {
		char path[64];

		if (!(st->clone_ns & (unsigned)ns_order[i].flag))
			continue;
		(void)xsnprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st->init_pid,
				ns_order[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			r = -errno;
	}
	/* The pid in the path is only trustworthy while the pidfd says PID 1 still lives. */
	if (r == 0 && poll(&p, 1, 0) != 0)
		r = -ESRCH;
	for (int i = 0; i < 4 && r == 0; i++)
		if (fds[i] >= 0 && setns(fds[i], ns_order[i].flag) < 0)
			r = -errno;
	for (int i = 0; i < 4; i++)
		closep(&fds[i]);
	if (r < 0) {
		(void)restore_namespaces(st);
		*what = "setns failed";
	}
	return r;
}

/* Unlink dir/name if it is still the file `want` (ino 0: whatever it is). */
static void
unlink_same(int dir, const char *name, ino_t want)
{
	struct stat st;

	if (dir < 0)
		return;
	if (want && (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != want))
		return;
	(void)unlinkat(dir, name, 0);
}

/*
 * PID 1 is gone but its record is not (it was SIGKILLed): remove the record ourselves.  With
 * only_if_stale, only when nobody holds the record's lock any more, and tell whether it was.
 * That lock, not the pidfd, is what says "gone" at close: PID 1 releases it the moment it
 * dies, but its pidfd turns readable only once every process of its PID namespace has been
 * reaped, and sshd's monitor reaps its user child (inside the session) only after
 * close_session returns (FACTS F2, F25).  tests/e2e/ssh.sh: SIGKILL of PID 1 under sshd
 * left the record behind.
 */
static bool
remove_record(const struct state *st, bool only_if_stale)
{
	char name[24], users[64];
	_cleanup_close_ int s = -1, u = -1, fd = -1;
	struct stat rec = {0};

	(void)xsnprintf(name, sizeof(name), "%" PRIu64, st->id);
	(void)xsnprintf(users, sizeof(users), "%s/%u", NSI_USERS_DIR, (unsigned)st->uid);
	s = open(NSI_SESSIONS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (only_if_stale) {
		fd = s >= 0 ? openat(s, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
		/* Held while we unlink: only a stale record's names go, never a live one's. */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &rec) < 0)
			return false;
	}
	u = open(users, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	unlink_same(s, name, rec.st_ino);
	unlink_same(u, name, rec.st_ino);
	return true;
}

static int
refuse_or_allow(pam_handle_t *pamh, unsigned on_error, const char *user, const char *what)
{
	if (on_error == ON_ERROR_ALLOW) {
		pam_syslog(
			pamh, LOG_WARNING,
			"isolation failed for user %s, continuing without it (on_error = allow): "
			"%s",
			user, what);
		return PAM_IGNORE;
	}
	pam_syslog(pamh, LOG_ERR, "refusing the session of user %s: %s", user, what);
	/* Not PAM_SESSION_ERR: sudo runs the command anyway on that one (FACTS F40). */
	return PAM_SYSTEM_ERR;
}

PUBLIC int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *user = NULL, *service = NULL, *tty = NULL, *rhost = NULL, *old = NULL;
	struct user_info u = {0};
	struct nsi_reply reply;
	struct timespec t0;
	struct state *st;
	struct args a;
	char safe[300], msg[700];
	const char *what = "";
	int pidfd = -1, control = -1, r;
	uid_t uid;

	(void)flags;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (parse_args(pamh, argc, argv, &a) < 0)
		return PAM_SERVICE_ERR;
	if (pam_get_data(pamh, DATA_KEY, &old) == PAM_SUCCESS && old) {
		pam_syslog(pamh, LOG_WARNING, "session already isolated in this PAM handle");
		return PAM_SUCCESS;
	}
	if (pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS || !user || !*(const char *)user) {
		pam_syslog(pamh, LOG_ERR, "no user name; refusing the session");
		return PAM_SYSTEM_ERR;
	}
	(void)pam_get_item(pamh, PAM_SERVICE, &service);
	(void)pam_get_item(pamh, PAM_TTY, &tty);
	(void)pam_get_item(pamh, PAM_RHOST, &rhost);
	(void)log_safe(user, safe, 64);

	r = user_info_lookup(user, &u);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot look up user %s: %s; refusing the session", safe,
			   strerror(-r));
		return PAM_SYSTEM_ERR;
	}
	r = run_helper(&a, &u, service ? service : "unknown", tty, rhost, &reply, &pidfd, &control);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot run %s: %s; refusing the session of user %s",
			   a.helper, strerror(-r), safe);
		user_info_free(&u);
		return PAM_SYSTEM_ERR;
	}
	uid = u.uid;
	user_info_free(&u);
	(void)log_safe(reply.msg, msg, sizeof(msg));
	if (reply.verdict == NSI_IGNORE) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "not isolating user %s: %s", safe, msg);
		closep(&control);
		return PAM_IGNORE;
	}
	if (reply.verdict != NSI_READY) {
		closep(&control);
		return refuse_or_allow(pamh, reply.on_error, safe, msg);
	}

	st = calloc(1, sizeof(*st));
	if (!st) {
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		close(pidfd);
		closep(&control);
		return refuse_or_allow(pamh, reply.on_error, safe, "out of memory");
	}
	*st = (struct state){
		.opener = getpid(),
		.pidfd = pidfd,
		.control_fd = control,
		.saved = {-1, -1, -1, -1},
		.clone_ns = reply.clone_ns,
		.id = reply.session_id,
		.uid = uid,
		.init_pid = reply.init_pid,
	};
	r = join(st, &what);
	if (r == 0 && pam_set_data(pamh, DATA_KEY, st, cleanup) != PAM_SUCCESS) {
		/* Joined but cannot remember it: undo the join, or we could never leave. */
		(void)restore_namespaces(st);
		r = -ENOMEM, what = "pam_set_data failed";
	}
	if (r < 0) {
		(void)xsnprintf(msg, sizeof(msg), "%s: %s", what, strerror(-r));
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		(void)remove_record(st, false);
		close_state_fds(st);
		free(st);
		return refuse_or_allow(pamh, reply.on_error, safe, msg);
	}
	pam_syslog(pamh, LOG_INFO,
		   "session isolated for user %s: service %s, rule %s, session %" PRIu64
		   ", init pid %d, %.1f ms",
		   safe, service ? (const char *)service : "?", reply.rule, reply.session_id,
		   (int)reply.init_pid, ms_since(&t0));
	return PAM_SUCCESS;
}

PUBLIC int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	struct state *st;
	struct args a;
	bool dead;
	int r;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) < 0)
		return PAM_SERVICE_ERR;
	if (pam_get_data(pamh, DATA_KEY, &data) != PAM_SUCCESS || !data)
		return PAM_SUCCESS; /* nothing was isolated */
	st = (struct state *)data;
	/* Only the process that joined closes; su and login also call this after fork. */
	if (st->closed || getpid() != st->opener)
		return PAM_SUCCESS;
	r = restore_namespaces(st);
	if (r < 0)
		pam_syslog(pamh, LOG_WARNING, "cannot return to the original namespaces: %s",
			   strerror(-r));
	/* Before the signal below: a PID 1 that was alive must not look gone as it exits. */
	dead = remove_record(st, true);
	pam_syslog(pamh, LOG_INFO, "session %" PRIu64 " closed (init pid %d%s)", st->id,
		   (int)st->init_pid, dead ? ", already gone" : "");
	/*
	 * Ask PID 1 to end the session and never wait for it (FACTS F25); through the pidfd, so
	 * no SIGPIPE and no pid reuse.  Last, the log line included: PID 1 may take the CPU as
	 * soon as it is woken (so may the close of our socket, if it is the last copy).
	 */
	(void)pidfd_send_signal(st->pidfd, SIGTERM, NULL, 0);
	close_state_fds(st);
	st->closed = true;
	return PAM_SUCCESS;
}
