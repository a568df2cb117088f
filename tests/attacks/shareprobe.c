/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shareprobe: talks to a shared session's socket (users/<uid>/<id>.sock) the way a login's
 * first stage does (helper/share.h), or the way it must not: for tests/attacks/share.sh.
 *
 *   shareprobe peer DIR ID               connect; print "uid=U pid=P" of the listener
 *   shareprobe send DIR ID MODE UID PLAN  a request for user UID with plan digest PLAN:
 *       MODE commit     as the first stage does: request, then the commit once taken
 *            nocommit   the request, never the commit
 *            nofds      the request without its two fds
 *            threefds   with three fds
 *            short      half a request
 *            badmagic   a request with another magic
 *   It prints PID 1's word ("word=taken", "word=refused", "word=full", "word=none") and then
 *   whether the module's socket got an answer ("reply=ready", "reply=none").  The "module's
 *   socket" is a socketpair of ours and the "login process" ourselves.
 *
 * Exit: 0 when it could talk to the socket at all, 1 when it could not connect (the errno is
 * printed as "connect=ERRNO-NAME"), 2 on usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../helper/share.h"

static int
connect_to(const char *dir, const char *id)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || chdir(dir) < 0) {
		printf("connect=%s\n", strerrorname_np(errno));
		exit(1);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.sock", id);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("connect=%s\n", strerrorname_np(errno));
		exit(1);
	}
	return fd;
}

/* PID 1's next word within 2 s, or 0. */
static int
recv_word(int c)
{
	struct share_word_msg m;
	struct pollfd p = {.fd = c, .events = POLLIN};

	if (poll(&p, 1, 2000) != 1 || recv(c, &m, sizeof(m), MSG_DONTWAIT) != (ssize_t)sizeof(m) ||
	    m.magic != SHARE_MAGIC)
		return 0;
	return (int)m.word;
}

static const char *
word_name(int w)
{
	switch (w) {
	case SHARE_TAKEN:
		return "taken";
	case SHARE_REFUSED:
		return "refused";
	case SHARE_FULL:
		return "full";
	default:
		return "none";
	}
}

static int
send_request(int c, const struct share_request *req, size_t len, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 3)] = {0};
	struct iovec iov = {.iov_base = (void *)req, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds > 0) {
		struct cmsghdr *cm;

		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(c, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int
main(int argc, char **argv)
{
	struct share_request req = {.magic = SHARE_MAGIC};
	int c, pair[2], fds[3], nfds = 2, word;
	struct pollfd p;
	size_t len = sizeof(req);
	const char *mode;
	char buf[4096];

	if (argc == 4 && strcmp(argv[1], "peer") == 0) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);

		c = connect_to(argv[2], argv[3]);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
			return 1;
		printf("uid=%u pid=%d\n", (unsigned)cred.uid, (int)cred.pid);
		return 0;
	}
	if (argc != 7 || strcmp(argv[1], "send") != 0) {
		fprintf(stderr, "usage: shareprobe peer DIR ID | send DIR ID MODE UID PLAN\n");
		return 2;
	}
	mode = argv[4];
	req.id = strtoull(argv[3], NULL, 10);
	req.uid = (uint32_t)strtoul(argv[5], NULL, 10);
	req.on_error = 2;
	snprintf(req.plan, sizeof(req.plan), "%s", argv[6]);
	snprintf(req.rule, sizeof(req.rule), "shareprobe");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return 1;
	fds[0] = pidfd_open(getpid(), 0);
	fds[1] = pair[1];
	fds[2] = pair[1];
	if (strcmp(mode, "nofds") == 0)
		nfds = 0;
	else if (strcmp(mode, "threefds") == 0)
		nfds = 3;
	else if (strcmp(mode, "short") == 0)
		len = sizeof(req) / 2;
	else if (strcmp(mode, "badmagic") == 0)
		req.magic = ~SHARE_MAGIC;
	c = connect_to(argv[2], argv[3]);
	if (send_request(c, &req, len, fds, nfds) < 0) {
		printf("word=none\n");
		return 0;
	}
	close(pair[1]);
	word = recv_word(c);
	printf("word=%s\n", word_name(word));
	if (word == SHARE_TAKEN && strcmp(mode, "commit") == 0) {
		struct share_word_msg m = {.magic = SHARE_MAGIC, .word = SHARE_COMMIT};

		(void)send(c, &m, sizeof(m), MSG_NOSIGNAL);
	}
	close(c);
	/* Whatever PID 1 sends the "module", within a second. */
	p = (struct pollfd){.fd = pair[0], .events = POLLIN};
	printf("reply=%s\n",
	       poll(&p, 1, 1000) == 1 && recv(pair[0], buf, sizeof(buf), MSG_DONTWAIT) > 0
		       ? "ready"
		       : "none");
	return 0;
}
