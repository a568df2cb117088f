/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The helper's reply as the module reads it (reply_read(), pam_module/reply.c), fed through a
 * socketpair like the helper's: malformed ones - wrong magic, truncated, too long, too many
 * or too few fds for the verdict, control data cut short, none at all - are refused with
 * every fd they carried closed; a good reply for each verdict is the control.  Each case
 * counts the process's open fds before and after: the module runs inside the login program
 * and must not leave it anything.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>

#include "../../common/util.h"
#include "../../pam_module/module.h"
/* module.h may define a fail() of its own; the tests use cmocka's. */
#undef fail

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/* The module's end (mine) and the helper's (theirs), as spawn_helper() makes them. */
struct pair {
	int mine;
	int theirs;
};

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* opendir's own */
}

static struct pair
pair_open(void)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	return (struct pair){.mine = sv[0], .theirs = sv[1]};
}

static void
pair_close(struct pair *p)
{
	closep(&p->mine);
	closep(&p->theirs);
}

static struct nsi_reply
reply_new(uint32_t verdict)
{
	struct nsi_reply r;

	memset(&r, 0, sizeof(r));
	r.magic = NSI_REPLY_MAGIC;
	r.verdict = verdict;
	return r;
}

/* Send len bytes of r with nfds fresh fds (of /dev/null) attached, as the helper would. */
static void
send_raw(int fd, const void *r, size_t len, size_t nfds)
{
	int fds[16];
	char cbuf[CMSG_SPACE(sizeof(fds))] = {0};
	struct iovec iov = {.iov_base = (void *)r, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	assert_true(nfds <= ARRAY_SIZE(fds));
	for (size_t i = 0; i < nfds; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fds[i] >= 0);
	}
	if (nfds > 0) {
		struct cmsghdr *c;

		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)len);
	/* The message holds its own references now: ours go, as the helper's do when it exits. */
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
}

/*
 * Send, read, and check what reply_read() says; on success the fds it returns are given back
 * in ret_fds, on failure they must be -1 and nothing may be left open.
 */
static int
exchange(const void *r, size_t len, size_t nfds, struct nsi_reply *got, int ret_fds[2])
{
	struct pair p = pair_open();
	int before = count_fds(), rv;

	send_raw(p.theirs, r, len, nfds);
	rv = reply_read(p.mine, got, ret_fds);
	if (rv < 0) {
		assert_int_equal(ret_fds[0], -1);
		assert_int_equal(ret_fds[1], -1);
		assert_int_equal(count_fds(), before);
	}
	pair_close(&p);
	return rv;
}

static void
assert_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	assert_true(flags >= 0);
	assert_true(flags & FD_CLOEXEC);
}

/* NSI_READY with the pidfd and root fd: both arrive, close-on-exec, and nothing else. */
static void
test_ready(void **state)
{
	struct nsi_reply r = reply_new(NSI_READY), got;
	int fds[2], before;

	(void)state;
	r.clone_ns = 0x20000;
	r.init_pid = 4242;
	r.session_id = 77;
	strcpy(r.rule, "user 'alice' line 3");
	before = count_fds();
	assert_int_equal(exchange(&r, sizeof(r), 2, &got, fds), 0);
	assert_int_equal(count_fds(), before + 2);
	assert_true(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
	assert_cloexec(fds[0]);
	assert_cloexec(fds[1]);
	assert_int_equal(got.verdict, NSI_READY);
	assert_int_equal(got.clone_ns, 0x20000);
	assert_int_equal(got.init_pid, 4242);
	assert_int_equal(got.session_id, 77);
	assert_string_equal(got.rule, "user 'alice' line 3");
	closep(&fds[0]);
	closep(&fds[1]);
	assert_int_equal(count_fds(), before);
}

/* NSI_IGNORE and NSI_FAIL carry no fd; on_error comes through as it was sent. */
static void
test_no_fds(void **state)
{
	static const uint32_t on_errors[] = {0, 1, NSI_ON_ERROR_DENY, NSI_ON_ERROR_ALLOW, 77};
	struct nsi_reply r = reply_new(NSI_IGNORE), got;
	int fds[2];

	(void)state;
	strcpy(r.msg, "isolate = false (top level)");
	assert_int_equal(exchange(&r, sizeof(r), 0, &got, fds), 0);
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
	assert_int_equal(got.verdict, NSI_IGNORE);
	assert_string_equal(got.msg, "isolate = false (top level)");

	for (size_t i = 0; i < ARRAY_SIZE(on_errors); i++) {
		r = reply_new(NSI_FAIL);
		r.on_error = on_errors[i];
		assert_int_equal(exchange(&r, sizeof(r), 0, &got, fds), 0);
		assert_int_equal(fds[0], -1);
		assert_int_equal(got.verdict, NSI_FAIL);
		assert_int_equal(got.on_error, on_errors[i]);
		/* Only the wire's allow lets a failed login through. */
		assert_int_equal(nsi_on_error_allows(got.on_error),
				 on_errors[i] == NSI_ON_ERROR_ALLOW);
	}
	/* A verdict of another build, without fds, is read; pam_nsisolate.c refuses it. */
	r = reply_new(99);
	assert_int_equal(exchange(&r, sizeof(r), 0, &got, fds), 0);
	assert_int_equal(got.verdict, 99);
	assert_int_equal(fds[0], -1);
}

/*
 * Strings that fill their whole field come back terminated: the module logs them, and a
 * helper that forgot the NUL (or something else on the socket) must not make it read on.
 */
static void
test_strings_terminated(void **state)
{
	struct nsi_reply r = reply_new(NSI_FAIL), got;
	int fds[2];

	(void)state;
	memset(r.rule, 'r', sizeof(r.rule));
	memset(r.msg, 'm', sizeof(r.msg));
	assert_int_equal(exchange(&r, sizeof(r), 0, &got, fds), 0);
	assert_int_equal(strlen(got.rule), sizeof(got.rule) - 1);
	assert_int_equal(strlen(got.msg), sizeof(got.msg) - 1);
}

/* The wrong number of fds for the verdict: refused, and every fd that came is closed. */
static void
test_fd_count(void **state)
{
	static const struct {
		uint32_t verdict;
		size_t nfds;
	} cases[] = {
		{NSI_READY, 0},	 {NSI_READY, 1}, {NSI_READY, 3}, {NSI_READY, 4}, {NSI_IGNORE, 1},
		{NSI_IGNORE, 2}, {NSI_FAIL, 1},	 {NSI_FAIL, 2},	 {0, 2},	 {99, 1},
	};
	struct nsi_reply r, got;
	int fds[2];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		r = reply_new(cases[i].verdict);
		assert_int_equal(exchange(&r, sizeof(r), cases[i].nfds, &got, fds), -EBADMSG);
	}
}

/* More fds than the module's control buffer holds: the kernel truncates, we refuse. */
static void
test_fds_overflow(void **state)
{
	struct nsi_reply r = reply_new(NSI_READY), got;
	int fds[2];

	(void)state;
	assert_int_equal(exchange(&r, sizeof(r), 5, &got, fds), -EBADMSG);
	assert_int_equal(exchange(&r, sizeof(r), 16, &got, fds), -EBADMSG);
}

static void
test_wrong_magic(void **state)
{
	struct nsi_reply r = reply_new(NSI_READY), got;
	int fds[2];

	(void)state;
	r.magic = NSI_REPLY_MAGIC ^ 1;
	assert_int_equal(exchange(&r, sizeof(r), 2, &got, fds), -EBADMSG);
	r = reply_new(NSI_IGNORE);
	r.magic = 0;
	assert_int_equal(exchange(&r, sizeof(r), 0, &got, fds), -EBADMSG);
	/* The magic of the reply's own byte order only. */
	r.magic = __builtin_bswap32(NSI_REPLY_MAGIC);
	assert_int_equal(exchange(&r, sizeof(r), 0, &got, fds), -EBADMSG);
}

/* A reply cut short, or longer than struct nsi_reply (a helper of another build). */
static void
test_wrong_size(void **state)
{
	struct {
		struct nsi_reply r;
		char extra[8];
	} big;
	struct nsi_reply r = reply_new(NSI_READY), got;
	int fds[2];

	(void)state;
	assert_int_equal(exchange(&r, sizeof(r) - 1, 2, &got, fds), -EBADMSG);
	assert_int_equal(exchange(&r, offsetof(struct nsi_reply, rule), 2, &got, fds), -EBADMSG);
	assert_int_equal(exchange(&r, 1, 0, &got, fds), -EBADMSG);
	memset(&big, 0, sizeof(big));
	big.r = reply_new(NSI_IGNORE);
	assert_int_equal(exchange(&big, sizeof(big), 0, &got, fds), -EBADMSG);
	big.r = reply_new(NSI_READY);
	assert_int_equal(exchange(&big, sizeof(big), 2, &got, fds), -EBADMSG);
}

/*
 * Control data cut short is refused even when what fits looks right: with SO_PASSCRED set,
 * the credentials fill the buffer and the two fds of an (otherwise good) reply are dropped.
 */
static void
test_control_truncated(void **state)
{
	struct nsi_reply r = reply_new(NSI_IGNORE), got;
	struct pair p = pair_open();
	int fds[2], on = 1, before;

	(void)state;
	assert_int_equal(setsockopt(p.mine, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	before = count_fds();
	send_raw(p.theirs, &r, sizeof(r), 2);
	assert_int_equal(reply_read(p.mine, &got, fds), -EBADMSG);
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
	assert_int_equal(count_fds(), before);
	pair_close(&p);
}

/* The helper died without a word: an empty read is -EPIPE, not a reply. */
static void
test_no_reply(void **state)
{
	struct pair p = pair_open();
	struct nsi_reply got;
	int fds[2], before = count_fds();

	(void)state;
	closep(&p.theirs);
	assert_int_equal(reply_read(p.mine, &got, fds), -EPIPE);
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
	assert_int_equal(count_fds(), before - 1);
	pair_close(&p);
}

/* An empty message is no reply either, even with the fds of a READY attached. */
static void
test_empty_message(void **state)
{
	struct nsi_reply r = reply_new(NSI_READY), got;
	int fds[2];

	(void)state;
	assert_int_equal(exchange(&r, 0, 0, &got, fds), -EPIPE);
	assert_int_equal(exchange(&r, 0, 2, &got, fds), -EPIPE);
}

/* Only the first message counts: what the helper might send after it is never read here. */
static void
test_one_message(void **state)
{
	struct nsi_reply r = reply_new(NSI_IGNORE), bad = reply_new(NSI_READY), got;
	struct pair p = pair_open();
	int fds[2];

	(void)state;
	send_raw(p.theirs, &r, sizeof(r), 0);
	bad.magic = 0;
	send_raw(p.theirs, &bad, sizeof(bad), 3);
	assert_int_equal(reply_read(p.mine, &got, fds), 0);
	assert_int_equal(got.verdict, NSI_IGNORE);
	assert_int_equal(fds[0], -1);
	pair_close(&p);
}

/* Not a socket at all: recvmsg's own error, and no fds. */
static void
test_not_a_socket(void **state)
{
	struct nsi_reply got;
	int fds[2], pipefd[2];

	(void)state;
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	assert_int_equal(write(pipefd[1], "x", 1), 1);
	assert_int_equal(reply_read(pipefd[0], &got, fds), -ENOTSOCK);
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
	close(pipefd[0]);
	close(pipefd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_no_fds),
		cmocka_unit_test(test_strings_terminated),
		cmocka_unit_test(test_fd_count),
		cmocka_unit_test(test_fds_overflow),
		cmocka_unit_test(test_wrong_magic),
		cmocka_unit_test(test_wrong_size),
		cmocka_unit_test(test_control_truncated),
		cmocka_unit_test(test_no_reply),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_one_message),
		cmocka_unit_test(test_not_a_socket),
	};

	return cmocka_run_group_tests_name("hostile_reply", tests, NULL, NULL);
}
