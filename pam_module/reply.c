/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The helper's one reply, read and checked before the module believes a word of it: the
 * size and magic of struct nsi_reply, exactly the fds its verdict carries, its strings
 * NUL-terminated.  Anything else is not our helper talking, and is refused.
 */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "module.h"

/* Keep what the reply may carry, close the rest: none of it may leak into the login program. */
static size_t
take_fds(struct msghdr *msg, int ret_fds[2])
{
	size_t nfds = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < 2)
				ret_fds[nfds] = got;
			else
				close(got);
			nfds++;
		}
	}
	return nfds;
}

int
reply_read(int fd, struct nsi_reply *reply, int ret_fds[2])
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = reply, .iov_len = sizeof(*reply)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t nfds;
	ssize_t n;
	int r;

	ret_fds[0] = ret_fds[1] = -1;
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
	nfds = take_fds(&msg, ret_fds);
	/* Exactly two fds with READY, none otherwise: anything else is not our helper talking. */
	if (n != (ssize_t)sizeof(*reply) || reply->magic != NSI_REPLY_MAGIC ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    nfds != (reply->verdict == NSI_READY ? 2u : 0u)) {
		closep(&ret_fds[0]);
		closep(&ret_fds[1]);
		ret_fds[0] = ret_fds[1] = -1;
		return n == 0 ? -EPIPE : -EBADMSG;
	}
	reply->rule[sizeof(reply->rule) - 1] = '\0';
	reply->msg[sizeof(reply->msg) - 1] = '\0';
	return 0;
}
