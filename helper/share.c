/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A session's logins, and with `share = user` the user's later logins that join it
 * (docs/DESIGN.md, "Shared sessions"): PID 1's side; share_join.c is the first stage's.
 *
 * PID 1 keeps a table of the logins in its session: each is the module's control socket and
 * a pidfd of the login process, and ends when either says so (every copy of the socket
 * closed, or the process gone).  A session that is not shared has one, the login that built
 * it.  A shared one listens on a socket of its own, <id>.sock in the user's root-only
 * directory, created while PID 1 is still root and before the user's lock lets the next
 * login look.  It takes requests from root only, checks the user, the session and the plan's
 * digest itself, offers, waits for the first stage to commit, counts the login and answers
 * the module on its socket exactly as it answered the first (READY, with its pidfd and
 * root).  A session that has begun to end has removed its socket's name and closed it
 * first: it never takes a login again.  Here PID 1 never dies and never waits long: whatever
 * is wrong with a request, the login is not taken.
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>

#include "../common/record.h"
#include "helper.h"
#include "share.h"

/* PID 1's logins (pidfd, control socket), its join socket, and the poll set over them. */
struct login {
	int control;
	int pidfd;
};

struct share {
	int listen_fd; /* -1: not shared, or no longer taking logins */
	size_t n, cap, max;
	struct login *v;
	struct pollfd *p; /* signalfd, listen_fd, then each login's two fds: 2 + 2 * cap */
};

int64_t
share_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
share_wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	for (;;) {
		int64_t left = deadline - share_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int
share_send_word(int fd, enum share_word w)
{
	struct share_word_msg m = {.magic = SHARE_MAGIC, .word = w};

	return send(fd, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : -EPIPE;
}

int
share_recv_word(int fd, int64_t deadline)
{
	struct share_word_msg m;
	ssize_t n;
	int r = share_wait_readable(fd, deadline);

	if (r < 0)
		return r;
	n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(m) || m.magic != SHARE_MAGIC)
		return n < 0 ? -errno : -EPIPE;
	return (int)m.word;
}

static int
grow(struct share *sh, size_t cap)
{
	struct login *v = reallocarray(sh->v, cap, sizeof(*v));
	struct pollfd *p;

	if (!v)
		return -ENOMEM;
	sh->v = v;
	p = reallocarray(sh->p, 2 + 2 * cap, sizeof(*p));
	if (!p)
		return -ENOMEM;
	sh->p = p;
	sh->cap = cap;
	return 0;
}

static int
add_login(struct share *sh, int control, int pidfd)
{
	if (sh->n == sh->max || (sh->n == sh->cap && grow(sh, sh->cap * 2) < 0))
		return -ENOSPC;
	sh->v[sh->n++] = (struct login){.control = control, .pidfd = pidfd};
	return 0;
}

/*
 * A shared session's socket: bound while PID 1 is root (the user's directory is root's alone)
 * and before the user's lock goes, listened on until the session begins to end.
 */
static void
share_listen(struct session *s, struct share *sh)
{
	_cleanup_close_ int fd = -1, cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rlimit rl;
	int r;

	record_socket_name(s->id, sa.sun_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || cwd < 0 || fchdir(s->user_dir_fd) < 0)
		die("cannot make the session's socket: %s", strerror(errno));
	/* Our id is a namespace of ours: a socket of that name is a dead session's. */
	(void)unlinkat(s->user_dir_fd, sa.sun_path, 0);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 64) == 0 ? 0 : -errno;
	if (r == 0 && fchmodat(s->user_dir_fd, sa.sun_path, 0600, 0) < 0)
		r = -errno;
	if (fchdir(cwd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		die("cannot make the session's socket %s/%u/%s: %s", NSI_USERS_DIR,
		    (unsigned)s->req->uid, sa.sun_path, strerror(-r));
	/* Two fds a login: as many as the hard limit allows, up to what a record can count. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 64)
		sh->max = (rl.rlim_cur - 32) / 2 < SHARE_MAX_LOGINS ? (rl.rlim_cur - 32) / 2
								    : SHARE_MAX_LOGINS;
	sh->listen_fd = steal_fd(fd);
}

void
share_setup(struct session *s)
{
	struct share *sh = calloc(1, sizeof(*sh));

	if (!sh || grow(sh, 1) < 0)
		die("out of memory");
	sh->listen_fd = -1;
	sh->max = 1;
	/* The login that built the session. */
	(void)add_login(sh, NSI_CONTROL_FD, s->login_pidfd);
	if (s->shared)
		share_listen(s, sh);
	s->share = sh;
	s->listen_fd = sh->listen_fd;
}

void
share_close(struct session *s)
{
	struct share *sh = s->share;
	char name[RECORD_SOCKET_SIZE];
	struct stat st;

	if (sh->listen_fd < 0)
		return;
	/*
	 * The name first (before the record's link in this directory: see share_join), then the
	 * socket: a login that connected before is refused by the close.  Only a session with
	 * our id, which is a namespace of ours, could have a socket of that name.
	 */
	record_socket_name(s->id, name);
	(void)setfsuid(0);
	if (fstatat(s->user_dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode))
		(void)unlinkat(s->user_dir_fd, name, 0);
	(void)setfsuid(s->req->uid);
	closep(&sh->listen_fd);
	s->listen_fd = -1;
}

static void
update_record(struct session *s)
{
	int r;

	if (!s->shared)
		return;
	r = record_set_logins(s->record_fd, (unsigned)s->share->n);
	if (r < 0)
		syslog(LOG_WARNING, "cannot update the count of logins in the record: %s",
		       strerror(-r));
}

/* A request from root, read by the deadline: 0 with both fds, or -errno with none. */
static int
recv_request(int c, struct share_request *req, int fds[2], int64_t deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 2)];
	struct iovec iov = {.iov_base = req, .iov_len = sizeof(*req)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t n;
	int r = share_wait_readable(c, deadline);

	fds[0] = fds[1] = -1;
	if (r < 0)
		return r;
	n = recvmsg(c, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int) * 2))
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * 2);
	else if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	if (n != (ssize_t)sizeof(*req) || req->magic != SHARE_MAGIC ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || fds[0] < 0 || fds[1] < 0) {
		closep(&fds[0]);
		closep(&fds[1]);
		return -EBADMSG;
	}
	req->plan[sizeof(req->plan) - 1] = '\0';
	req->rule[sizeof(req->rule) - 1] = '\0';
	return 0;
}

static bool
is_seqpacket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

/*
 * One login handed over by a later login's first stage.  Never blocks for more than
 * SHARE_JOIN_TIMEOUT_MS, never dies: whatever is wrong, the login is not taken.
 */
static void
take_login(struct session *s)
{
	struct share *sh = s->share;
	_cleanup_close_ int c = accept4(sh->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int64_t deadline = share_now_ms() + SHARE_JOIN_TIMEOUT_MS;
	struct share_request req;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fds[2] = {-1, -1}, word;
	char msg[64];

	/* Root only: the directory lets nobody else reach the socket; this says so again. */
	if (c < 0 || getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0 ||
	    recv_request(c, &req, fds, deadline) < 0)
		return;
	if (req.uid != s->req->uid || req.id != s->id || strcmp(req.plan, s->plan_digest) != 0 ||
	    !is_seqpacket(fds[1]))
		word = SHARE_REFUSED;
	else if (add_login(sh, fds[1], fds[0]) < 0)
		word = SHARE_FULL;
	else
		word = SHARE_TAKEN;
	/* Counted only once the first stage has committed: else it builds a session itself. */
	if (share_send_word(c, (enum share_word)word) < 0 || word != SHARE_TAKEN ||
	    share_recv_word(c, deadline) != SHARE_COMMIT) {
		if (word == SHARE_TAKEN)
			sh->n--;
		closep(&fds[0]);
		closep(&fds[1]);
		return;
	}
	(void)xsnprintf(msg, sizeof(msg), "joined the shared session, %zu login%s", sh->n,
			sh->n == 1 ? "" : "s");
	if (send_ready(s, fds[1], req.rule, req.on_error, msg) < 0) {
		/* The module sees its socket close: no reply, the login is refused. */
		syslog(LOG_WARNING, "cannot answer a login that joins: %m");
		sh->n--;
		closep(&fds[0]);
		closep(&fds[1]);
		return;
	}
	update_record(s);
}

size_t
share_poll(struct session *s, int sfd, bool logins, struct pollfd **ret)
{
	struct share *sh = s->share;
	size_t n = 0;

	sh->p[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
	*ret = sh->p;
	if (!logins)
		return n;
	if (sh->listen_fd >= 0)
		sh->p[n++] = (struct pollfd){.fd = sh->listen_fd, .events = POLLIN};
	for (size_t i = 0; i < sh->n; i++) {
		sh->p[n++] = (struct pollfd){.fd = sh->v[i].control, .events = POLLIN};
		sh->p[n++] = (struct pollfd){.fd = sh->v[i].pidfd, .events = POLLIN};
	}
	*ret = sh->p;
	return n;
}

size_t
share_events(struct session *s)
{
	struct share *sh = s->share;
	const struct pollfd *p = sh->p + 1;
	bool taking = sh->listen_fd >= 0 && (p++)->revents;
	size_t kept = 0, n = sh->n;

	/*
	 * A login ends when the module's socket is closed everywhere (it never writes to it) or
	 * the login process is gone: today's p[] still describes the table as it was polled.
	 */
	for (size_t i = 0; i < n; i++, p += 2) {
		if (!p[0].revents && !p[1].revents) {
			sh->v[kept++] = sh->v[i];
			continue;
		}
		if (sh->v[i].control != NSI_CONTROL_FD)
			close(sh->v[i].control);
		if (sh->v[i].pidfd != s->login_pidfd)
			close(sh->v[i].pidfd);
	}
	sh->n = kept;
	if (kept != n)
		update_record(s);
	if (taking)
		take_login(s);
	return sh->n;
}
