/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Joining a session with one setns(2), going back at close, and removing the record of a
 * session whose PID 1 was killed.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>

#include "../common/record.h"
#include "../common/util.h"
#include "module.h"

/*
 * The i-th namespace in the order the fallback joins them (common/ns.c: mnt last, after it
 * /proc/PID is out of reach).  st->saved[] is in this order.
 */
static const struct ns_type *
ns_order(size_t i)
{
	return &ns_types[ns_nth(NS_ORDER_JOIN, i)];
}
_Static_assert(sizeof(((struct state *)0)->saved) == NS_COUNT * sizeof(int),
	       "struct state saves one namespace per row of common/ns.c");

void
join_close_fds(struct state *st)
{
	closep(&st->pidfd);
	closep(&st->control_fd);
	closep(&st->root_fd);
	closep(&st->saved_root);
	closep(&st->saved_cwd);
	for (size_t i = 0; i < ARRAY_SIZE(st->saved); i++)
		closep(&st->saved[i]);
}

/*
 * The number of threads of this process: field 20 of /proc/self/stat, or -errno.  Not
 * /proc/self/status: its Threads: line comes after Groups:, which a user in a few hundred
 * groups pushes beyond any fixed buffer, and a line not found was taken for "one thread".
 * stat is one short line: numbers and a comm of at most 15 bytes.  comm comes second, in
 * parentheses, and may itself hold spaces and parentheses (the login program's name, which
 * prctl or a user's choice of argv[0] sets): count the fields from the last ')'.  Anything
 * unexpected is an error, never a guess: the caller refuses.
 */
static int
count_threads(void)
{
	char buf[4096];
	_cleanup_close_ int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t len;
	char *p;
	uint64_t v;

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* All of it in one read (procfs hands out the line whole), or we cannot trust it. */
	if (n == 0 || n == (ssize_t)sizeof(buf) - 1)
		return -EBADMSG;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	/* Then " state ppid ...": fields 3, 4, ... each after one space; we want the 20th. */
	p++;
	for (int field = 3;; field++) {
		if (*p != ' ')
			return -EBADMSG;
		p++;
		if (field == 20)
			break;
		p += strcspn(p, " \n");
	}
	len = strspn(p, "0123456789");
	if (len == 0 || p[len] != ' ')
		return -EBADMSG;
	p[len] = '\0';
	if (parse_uint(p, 1u << 22, &v) < 0 || v == 0)
		return -EBADMSG;
	return (int)v;
}

/* Restore what we saved; used on close and when a fallback join fails half-way. */
int
join_restore(struct state *st)
{
	int ret = 0;

	/* mnt first: it is the one that hides /proc from us and changes root and cwd. */
	for (int i = NS_COUNT - 1; i >= 0; i--)
		if (st->saved[i] >= 0 && setns(st->saved[i], (int)ns_order(i)->clone) < 0)
			ret = -errno;
	/* setns(mnt) put us at the namespace's root: back into a chroot, and where we were. */
	if (st->saved_root >= 0 && (fchdir(st->saved_root) < 0 || chroot(".") < 0))
		ret = -errno;
	if (st->saved_root >= 0 && (st->saved_cwd < 0 || fchdir(st->saved_cwd) < 0) &&
	    chdir("/") < 0)
		ret = -errno;
	return ret;
}

/*
 * After joining the mount namespace: the root of PID 1, not of the namespace.  They differ
 * when the login program runs chrooted (the helper and PID 1 inherit its root); without this
 * its users would leave the chroot.
 */
static int
take_root(struct state *st, char *err, size_t errlen)
{
	int r = 0;

	if (st->root_fd >= 0 && (st->clone_ns & CLONE_NEWNS) &&
	    (fchdir(st->root_fd) < 0 || chroot(".") < 0)) {
		r = fail(-errno, "cannot enter the session's root directory");
		(void)join_restore(st);
	}
	closep(&st->root_fd);
	return r;
}

/*
 * Join the session.  Nothing in the login process changes before this, and the pidfd form of
 * setns(2) joins every namespace at once or none (kernel 5.8+); before that, one by one.
 */
int
join_session(struct state *st, char *err, size_t errlen)
{
	struct pollfd p = {.fd = st->pidfd, .events = POLLIN};
	int fds[NS_COUNT], r = 0;

	/*
	 * setns(pidfd) succeeds in a multithreaded process but moves only the calling thread:
	 * a fork from any other thread would escape the session.  Login programs are
	 * single-threaded; refuse the rest (docs/kernel-facts.md, 'Threads and setns').
	 */
	r = count_threads();
	if (r < 0) /* cannot tell: fail closed, as for a multithreaded caller */
		return fail(r, "cannot count the login program's threads (/proc/self/stat)");
	if (r > 1)
		return fail(-EINVAL, "the login program is multithreaded; only one thread would "
				     "join");
	r = 0;
	/*
	 * A dead PID 1 would make every later fork() of ours fail with ENOMEM, and setns would
	 * not tell (docs/kernel-facts.md, 'A dead PID namespace').
	 */
	if (poll(&p, 1, 0) != 0)
		return fail(-ESRCH, "the session's PID 1 died before it could be joined");
	for (int i = 0; i < NS_COUNT; i++) {
		char path[64];

		if (!(st->clone_ns & ns_order(i)->clone))
			continue;
		(void)xsnprintf(path, sizeof(path), "/proc/self/ns/%s", ns_order(i)->proc);
		st->saved[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (st->saved[i] < 0)
			return fail(-errno, "cannot save the login process's namespaces");
	}
	/* setns(mnt) moves root and cwd to the namespace's root (setns(2)): keep ours. */
	if (st->clone_ns & CLONE_NEWNS) {
		st->saved_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		st->saved_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (st->saved_root < 0)
			return fail(-errno, "cannot save the login process's root directory");
	}
	if (setns(st->pidfd, (int)st->clone_ns) == 0)
		return take_root(st, err, errlen);
	if (errno != EINVAL)
		return fail(-errno, "setns failed");
	/* Kernels before 5.8 do not take a pidfd: open every namespace first, join mnt last. */
	for (int i = 0; i < NS_COUNT; i++)
		fds[i] = -1;
	for (int i = 0; i < NS_COUNT && r == 0; i++) {
		char path[64];

		if (!(st->clone_ns & ns_order(i)->clone))
			continue;
		(void)xsnprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st->init_pid,
				ns_order(i)->proc);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			r = -errno;
	}
	/* The pid in the path is only trustworthy while the pidfd says PID 1 still lives. */
	if (r == 0 && poll(&p, 1, 0) != 0)
		r = -ESRCH;
	for (int i = 0; i < NS_COUNT && r == 0; i++)
		if (fds[i] >= 0 && setns(fds[i], (int)ns_order(i)->clone) < 0)
			r = -errno;
	for (int i = 0; i < NS_COUNT; i++)
		closep(&fds[i]);
	if (r < 0) {
		(void)join_restore(st);
		return fail(r, "setns failed");
	}
	return take_root(st, err, errlen);
}

/*
 * PID 1 is gone but its record is not (it was SIGKILLed): remove the record ourselves.  With
 * only_if_stale, only when nobody holds the record's lock any more, and tell whether it was.
 * That lock, not the pidfd, is what says "gone" at close: PID 1 releases it the moment it
 * dies, but its pidfd turns readable only once every process of its PID namespace has been
 * reaped, and sshd's monitor reaps its user child (inside the session) only after
 * close_session returns (docs/kernel-facts.md, 'PID 1's exit waits for its namespace to be
 * reaped').  tests/e2e/ssh.sh: SIGKILL of PID 1 under sshd
 * left the record behind.
 */
bool
join_remove_record(const struct state *st, bool only_if_stale)
{
	_cleanup_close_ int s = record_open_sessions_dir(), u = record_open_user_dir(st->uid);
	char name[RECORD_NAME_SIZE];

	if (!only_if_stale) {
		record_remove(s, u, st->id);
		return true;
	}
	record_name(st->id, name);
	return record_remove_stale(s, u, name);
}
