/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The first stage of a later login of a user whose rule says `share = user`: find the user's
 * live shared session with this very plan and hand the login to it (share.c is PID 1's
 * side; docs/DESIGN.md, "Shared sessions").  Holding the user's lock: a live record of the
 * user with the plan's digest; its pid proven to be the process that holds the record open
 * (only the session's PID 1 can) and to be the process listening on the session's socket;
 * then the login process's pidfd and the module's socket go over, as SCM_RIGHTS, and once
 * PID 1 has taken the login and we have committed, PID 1 answers the module and we exit.
 * Whatever goes wrong before the commit, we build a session of our own instead.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "../common/record.h"
#include "helper.h"
#include "share.h"

/*
 * Connect to the session's socket, in the user's directory (relative to it: no path of the
 * file system is walked again), and insist that the process listening is `pid`.
 */
static int
connect_to(int user_dir_fd, uint64_t id, pid_t pid)
{
	_cleanup_close_ int fd = -1, cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int r;

	_Static_assert(RECORD_SOCKET_SIZE <= sizeof(sa.sun_path), "the name fits");
	record_socket_name(id, sa.sun_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || cwd < 0 || fchdir(user_dir_fd) < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	if (fchdir(cwd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return r;
	/* Who listens: the credentials it had when it called listen(), as root, being PID 1. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	if (cred.uid != 0 || cred.pid != pid)
		return -ESRCH;
	return steal_fd(fd);
}

static int
send_request(int fd, const struct share_request *req, int login_pidfd)
{
	const int fds[2] = {login_pidfd, NSI_CONTROL_FD};

	return send_with_fds(fd, req, sizeof(*req), fds, 2);
}

/*
 * Hand this login to the session of `rec` (open at rfd): returns only if it did not take
 * it, with the reason in s->note; exits once it has.
 */
static void
hand_over(struct session *s, const struct session_record *rec, int rfd, int64_t deadline)
{
	_cleanup_close_ int proc = -1, pidfd = -1, c = -1;
	struct share_request req = {
		.magic = SHARE_MAGIC,
		.uid = s->req->uid,
		.id = rec->id,
		.on_error = reply_on_error(s->plan->on_error),
	};
	int r;

	(void)xsnprintf(req.plan, sizeof(req.plan), "%s", s->plan_digest);
	(void)xsnprintf(req.rule, sizeof(req.rule), "%s", s->rule);
	/*
	 * The record's pid is the process that holds the record open (only its PID 1 can), and
	 * that process listens on the session's socket; the pidfd, still alive after both
	 * checks, says its pid was not handed on in between.
	 */
	proc = record_open_holder(rec->init_pid, rfd, &pidfd);
	if (proc < 0) {
		(void)xsnprintf(s->note, sizeof(s->note),
				"session %" PRIu64 ": its pid is not its PID 1", rec->id);
		return;
	}
	c = connect_to(s->user_dir_fd, rec->id, rec->init_pid);
	if (c < 0 || pidfd_send_signal(pidfd, 0, NULL, 0) < 0) {
		(void)xsnprintf(s->note, sizeof(s->note),
				"session %" PRIu64 " takes no logins (%s)", rec->id,
				strerror(c < 0 ? -c : ESRCH));
		return;
	}
	r = send_request(c, &req, s->login_pidfd);
	if (r == 0)
		r = share_recv_word(c, deadline);
	if (r == SHARE_TAKEN && share_send_word(c, SHARE_COMMIT) == 0)
		/* PID 1 answers the module; the user's lock goes with us. */
		_exit(HELPER_EXIT_OK);
	if (r == SHARE_FULL)
		die("session %" PRIu64 " of uid %u already has as many logins as it can take",
		    rec->id, (unsigned)s->req->uid);
	(void)xsnprintf(s->note, sizeof(s->note), "session %" PRIu64 " %s", rec->id,
			r == SHARE_REFUSED ? "refused the login"
			: r == -ETIMEDOUT  ? "did not answer in time"
					   : "is ending");
}

/* A socket name of the user's directory, "<id>.sock", whose session has no link there. */
static bool
stale_socket(int user_dir_fd, const char *name)
{
	size_t len = strspn(name, "0123456789");
	char rec[RECORD_NAME_SIZE];
	struct stat st;

	if (len == 0 || len >= sizeof(rec) || strcmp(name + len, RECORD_SOCKET_SUFFIX) != 0)
		return false;
	memcpy(rec, name, len);
	rec[len] = '\0';
	return fstatat(user_dir_fd, rec, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

void
share_join(struct session *s)
{
	_cleanup_close_ int dfd = dup(s->user_dir_fd);
	int64_t deadline = share_now_ms() + SHARE_JOIN_TIMEOUT_MS;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	if (!d)
		die("cannot read the sessions of uid %u: %s", (unsigned)s->req->uid,
		    strerror(errno));
	dfd = -1;
	while ((de = readdir(d))) {
		struct session_record rec;
		_cleanup_close_ int fd = -1;

		/*
		 * With the user's lock held, a socket without its link is a dead PID 1's: a live
		 * one removes its socket before its link, and names both under this lock.
		 */
		if (stale_socket(s->user_dir_fd, de->d_name)) {
			(void)unlinkat(s->user_dir_fd, de->d_name, 0);
			continue;
		}
		if (strspn(de->d_name, "0123456789") != strlen(de->d_name) ||
		    record_read(s->user_dir_fd, de->d_name, 0, &rec, &fd) < 0)
			continue;
		if (!record_alive(fd)) {
			char sock[RECORD_SOCKET_SIZE];
			const char *name = de->d_name;

			/* Its PID 1 died without removing it; its socket, if any, goes too. */
			(void)record_remove_stale(s->sessions_fd, s->user_dir_fd, name);
			if (xsnprintf(sock, sizeof(sock), "%s" RECORD_SOCKET_SUFFIX, name) == 0)
				(void)unlinkat(s->user_dir_fd, sock, 0);
			continue;
		}
		if (rec.uid != s->req->uid || !rec.shared)
			continue;
		if (strcmp(rec.plan, s->plan_digest) != 0) {
			(void)xsnprintf(s->note, sizeof(s->note),
					"session %" PRIu64 " has another plan", rec.id);
			continue;
		}
		hand_over(s, &rec, fd, deadline);
	}
	closedir(d);
}
