/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>

#include "join.h"
#include "util.h"

/*
 * The i-th namespace in the order the fallback joins them (common/ns.c: mnt last, after it
 * /proc/PID is out of reach).  join_saved.ns[] is in this order.
 */
static const struct ns_type *
ns_order(size_t i)
{
	return &ns_types[ns_nth(NS_ORDER_JOIN, i)];
}

void
join_saved_init(struct join_saved *saved)
{
	for (size_t i = 0; i < NS_COUNT; i++)
		saved->ns[i] = -1;
	saved->root = saved->cwd = -1;
}

void
join_saved_close(struct join_saved *saved)
{
	for (size_t i = 0; i < NS_COUNT; i++)
		closep(&saved->ns[i]);
	closep(&saved->root);
	closep(&saved->cwd);
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

int
join_leave(struct join_saved *saved)
{
	int ret = 0;

	/* mnt first: it is the one that hides /proc from us and changes root and cwd. */
	for (int i = NS_COUNT - 1; i >= 0; i--)
		if (saved->ns[i] >= 0 && setns(saved->ns[i], (int)ns_order(i)->clone) < 0)
			ret = -errno;
	/* setns(mnt) put us at the namespace's root: back into a chroot, and where we were. */
	if (saved->root >= 0 && (fchdir(saved->root) < 0 || chroot(".") < 0))
		ret = -errno;
	if (saved->root >= 0 && (saved->cwd < 0 || fchdir(saved->cwd) < 0) && chdir("/") < 0)
		ret = -errno;
	return ret;
}

static int
save(unsigned clone_ns, struct join_saved *saved, char *err, size_t errlen)
{
	for (int i = 0; i < NS_COUNT; i++) {
		char path[64];

		if (!(clone_ns & ns_order(i)->clone))
			continue;
		(void)xsnprintf(path, sizeof(path), "/proc/self/ns/%s", ns_order(i)->proc);
		saved->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (saved->ns[i] < 0)
			return fail_errno(-errno, "cannot save the login process's namespaces");
	}
	/* setns(mnt) moves root and cwd to the namespace's root (setns(2)): keep ours. */
	if (clone_ns & CLONE_NEWNS) {
		saved->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		saved->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (saved->root < 0)
			return fail_errno(-errno, "cannot save the login process's root directory");
	}
	return 0;
}

/* Kernels before 5.8 do not take a pidfd in setns: open every namespace first, join mnt last. */
static int
enter_one_by_one(int pidfd, pid_t pid, unsigned clone_ns)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int fds[NS_COUNT], r = 0;

	for (int i = 0; i < NS_COUNT; i++)
		fds[i] = -1;
	for (int i = 0; i < NS_COUNT && r == 0; i++) {
		char path[64];

		if (!(clone_ns & ns_order(i)->clone))
			continue;
		(void)xsnprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_order(i)->proc);
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
	return r;
}

int
join_enter(int pidfd, pid_t pid, unsigned clone_ns, int root_fd, struct join_saved *saved,
	   char *err, size_t errlen)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r;

	/*
	 * setns(pidfd) succeeds in a multithreaded process but moves only the calling thread:
	 * a fork from any other thread would escape the session.  Login programs are
	 * single-threaded; refuse the rest (docs/kernel-facts.md, 'Threads and setns').
	 */
	r = count_threads();
	if (r < 0) /* cannot tell: fail closed, as for a multithreaded caller */
		return fail_errno(r, "cannot count the login program's threads (/proc/self/stat)");
	if (r > 1)
		return fail_errno(-EINVAL, "the login program is multithreaded; only one thread "
					   "would join");
	/*
	 * A dead PID 1 would make every later fork() of ours fail with ENOMEM, and setns would
	 * not tell (docs/kernel-facts.md, 'A dead PID namespace').
	 */
	if (poll(&p, 1, 0) != 0)
		return fail_errno(-ESRCH, "the session's PID 1 died before it could be joined");
	if (saved) {
		r = save(clone_ns, saved, err, errlen);
		if (r < 0)
			return r;
	}
	r = setns(pidfd, (int)clone_ns) == 0 ? 0 : -errno;
	if (r == -EINVAL)
		r = enter_one_by_one(pidfd, pid, clone_ns);
	/*
	 * Then the root of PID 1, not of the namespace.  They differ when the login program runs
	 * chrooted (the helper and PID 1 inherit its root); without this its users would leave
	 * the chroot.
	 */
	if (r == 0 && root_fd >= 0 && (clone_ns & CLONE_NEWNS) &&
	    (fchdir(root_fd) < 0 || chroot(".") < 0))
		r = fail_errno(-errno, "cannot enter the session's root directory");
	else if (r < 0)
		r = fail_errno(r, "setns failed");
	if (r < 0 && saved)
		(void)join_leave(saved);
	return r;
}
