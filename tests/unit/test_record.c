/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/ns.c (the one table of namespaces) and common/record.c (session
 * records: their text, reading them back, and their life in the two directories).  Without
 * root, in a scratch directory: record_read() is told to expect files of ours, and only
 * publishing needs root (linkat(AT_EMPTY_PATH) wants CAP_DAC_READ_SEARCH), so it skips.
 */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "../../common/record.h"
#include "tmpdir.h"

/* The orders other code relies on: the session id's (mount first), the join's (mount last). */
static void
test_ns_orders(void **state)
{
	static const enum ns_index id[] = {NS_MOUNT, NS_PID, NS_IPC, NS_UTS, NS_NET};
	static const enum ns_index join[] = {NS_IPC, NS_UTS, NS_PID, NS_NET, NS_MOUNT};

	assert_int_equal(NS_COUNT, ARRAY_SIZE(id));
	for (size_t n = 0; n < NS_COUNT; n++) {
		assert_int_equal(ns_nth(NS_ORDER_ID, n), id[n]);
		assert_int_equal(ns_nth(NS_ORDER_JOIN, n), join[n]);
	}
	assert_int_equal(ns_nth(NS_ORDER_ID, NS_COUNT), NS_COUNT);
}

static void
test_ns_names(void **state)
{
	char buf[64];

	assert_int_equal(ns_lookup("mount"), NS_MOUNT);
	assert_int_equal(ns_lookup("uts"), NS_UTS);
	assert_int_equal(ns_lookup("mnt"), -1);
	assert_int_equal(ns_lookup("net"), NS_NET);
	assert_int_equal(ns_lookup("cgroup"), -1);
	assert_int_equal(ns_clone_flags(NS_ALL),
			 CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNET);
	assert_int_equal(ns_clone_flags(NS_BIT(NS_PID)), CLONE_NEWPID);
	assert_int_equal(ns_from_clone_flags(CLONE_NEWNS | CLONE_NEWUTS | CLONE_VM),
			 NS_BIT(NS_MOUNT) | NS_BIT(NS_UTS));
	ns_format(NS_ALL, ", ", buf, sizeof(buf));
	assert_string_equal(buf, "mount, ipc, pid, uts, net");
	ns_format(NS_ALL, ", ", buf, 11);
	assert_string_equal(buf, "mount, ipc");
	for (size_t i = 0; i < NS_COUNT; i++)
		assert_int_equal(ns_lookup(ns_types[i].name), (int)i);
}

static const struct session_record sample = {
	.id = 4026532301,
	.init_pid = 4242,
	.uid = 1001,
	.start = 1700000000,
	.ns = {[NS_MOUNT] = 4026532301, [NS_IPC] = 4026532303, [NS_PID] = 4026532304},
	.clone_ns = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID,
	.linger = true,
	.user = "alice",
	.service = "sshd",
	.tty = "ssh",
	.rhost = "127.0.0.1",
	.hostname = "box",
	.n_user_dirs = 2,
	.user_dirs = {"/tmp", "/var/tmp"},
};

/* The text is what every earlier version wrote too, byte for byte, but for ns.net. */
static const char sample_text[] = "id=4026532301\n"
				  "pid=4242\n"
				  "uid=1001\n"
				  "start=1700000000\n"
				  "clone_ns=671219712\n"
				  "linger=1\n"
				  "ns.mnt=4026532301\n"
				  "ns.pid=4026532304\n"
				  "ns.ipc=4026532303\n"
				  "ns.uts=0\n"
				  "ns.net=0\n"
				  "user=alice\n"
				  "service=sshd\n"
				  "tty=ssh\n"
				  "rhost=127.0.0.1\n"
				  "rule=\n"
				  "hostname=box\n"
				  "user_dir=/tmp\n"
				  "user_dir=/var/tmp\n";

static void
test_round_trip(void **state)
{
	char buf[RECORD_MAX_SIZE];
	struct session_record back;
	int n = record_format(&sample, buf, sizeof(buf));

	assert_int_equal(sample.clone_ns, 671219712);
	assert_int_equal(n, strlen(sample_text));
	assert_memory_equal(buf, sample_text, (size_t)n);
	assert_int_equal(record_parse(buf, (size_t)n, &back), 0);
	assert_memory_equal(&back, &sample, sizeof(back));
	/* A record written before `net` existed has no ns.net: it reads the same. */
	assert_non_null(strstr(sample_text, "ns.net=0\n"));
	{
		char old[sizeof(sample_text)];
		const char *net = strstr(sample_text, "ns.net=0\n");
		size_t head = (size_t)(net - sample_text), len = sizeof(sample_text) - 1 - 9;

		memcpy(old, sample_text, head);
		memcpy(old + head, net + 9, len - head);
		assert_int_equal(record_parse(old, len, &back), 0);
		assert_memory_equal(&back, &sample, sizeof(back));
	}
	/* Too small a buffer is an error, never a record cut short. */
	assert_int_equal(record_format(&sample, buf, 100), -ENAMETOOLONG);
}

#define assert_parse(text, want)                                                   \
	do {                                                                       \
		struct session_record r_;                                          \
		assert_int_equal(record_parse(text, sizeof(text) - 1, &r_), want); \
	} while (0)

static void
test_parse_refuses(void **state)
{
	char line[700];
	int n;

	assert_parse("", -EINVAL);
	assert_parse("id=1\npid=2\njunk\n", -EINVAL);	/* no '=' */
	assert_parse("pid=2\nuid=3\n", -EINVAL);	/* no id */
	assert_parse("id=1\nuid=3\n", -EINVAL);		/* no pid */
	assert_parse("id=1\npid=0\n", -EINVAL);		/* pid 0 is nobody's */
	assert_parse("id=x1\npid=2\n", -EINVAL);	/* not a number */
	assert_parse("id=1\npid=2\nuid=-1\n", -EINVAL); /* nor this */
	assert_parse("id=1\npid=2\nns.mnt=1x\n", -EINVAL);
	/* A line longer than any a record holds. */
	n = snprintf(line, sizeof(line), "id=1\npid=2\nuser=%0600d\n", 0);
	assert_true(n > 0 && (size_t)n < sizeof(line));
	{
		struct session_record r;

		assert_int_equal(record_parse(line, (size_t)n, &r), -EINVAL);
	}
}

/* A newer helper may write more: keys this one does not know are skipped, not refused. */
static void
test_parse_skips_unknown(void **state)
{
	static const char text[] = "id=7\npid=8\nfuture=whatever\nns.cgroup=9\nuser=bob";
	struct session_record r;

	assert_int_equal(record_parse(text, sizeof(text) - 1, &r), 0);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.init_pid, 8);
	assert_string_equal(r.user, "bob"); /* the last line needs no newline */
	for (size_t i = 0; i < NS_COUNT; i++)
		assert_int_equal(r.ns[i], 0);
}

/* A record with sample's text at `rel` in the scratch directory. */
static void
put_record(struct tmpdir *t, const char *rel)
{
	assert_int_equal(tmp_write(t, rel, sample_text, sizeof(sample_text) - 1, 0600), 0);
}

static int
open_dir(struct tmpdir *t, const char *rel)
{
	int fd = open(tmp_path(t, rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void
test_read(void **state)
{
	struct tmpdir *t = *state;
	struct session_record r;
	int before = next_fd(), dir, fd = -1;

	put_record(t, "4026532301");
	assert_int_equal(symlink("4026532301", tmp_path(t, "link")), 0);
	assert_int_equal(mkfifo(tmp_path(t, "fifo"), 0600), 0);
	assert_int_equal(tmp_mkdir(t, "dir", 0700), 0);
	dir = open_dir(t, ".");

	assert_int_equal(record_read(dir, "4026532301", getuid(), &r, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(r.id, sample.id);
	close(fd);
	assert_int_equal(record_read(dir, "4026532301", getuid(), &r, NULL), 0);
	/* Anyone else's file is not a record (production says root's: 0). */
	assert_int_equal(record_read(dir, "4026532301", getuid() + 1, &r, NULL), -EPERM);
	/* Never through a symlink, and only a regular file. */
	assert_int_equal(record_read(dir, "link", getuid(), &r, NULL), -ELOOP);
	assert_int_equal(record_read(dir, "fifo", getuid(), &r, NULL), -EPERM);
	assert_int_equal(record_read(dir, "dir", getuid(), &r, NULL), -EPERM);
	assert_int_equal(record_read(dir, "nothing", getuid(), &r, NULL), -ENOENT);
	close(dir);
	assert_int_equal(next_fd(), before);
}

static void
test_alive(void **state)
{
	struct tmpdir *t = *state;
	int a, b;

	put_record(t, "r");
	a = open(tmp_path(t, "r"), O_RDONLY | O_CLOEXEC);
	b = open(tmp_path(t, "r"), O_RDONLY | O_CLOEXEC);
	assert_true(a >= 0 && b >= 0);
	assert_false(record_alive(b));
	/* PID 1's lock is on another open file description: that is what says alive. */
	assert_int_equal(flock(a, LOCK_EX | LOCK_NB), 0);
	assert_true(record_alive(b));
	assert_true(record_alive(b)); /* and asking changed nothing */
	close(a);
	assert_false(record_alive(b));
	close(b);
}

/* The scratch directory as NSI_RUN_DIR: sessions/ and users/<uid>/ (here "u"), open. */
static void
make_dirs(struct tmpdir *t, int *ret_s, int *ret_u)
{
	assert_int_equal(tmp_mkdir(t, "s", 0700), 0);
	assert_int_equal(tmp_mkdir(t, "u", 0700), 0);
	*ret_s = open_dir(t, "s");
	*ret_u = open_dir(t, "u");
}

static bool
exists(struct tmpdir *t, const char *rel)
{
	struct stat st;

	return lstat(tmp_path(t, rel), &st) == 0;
}

static ino_t
inode(struct tmpdir *t, const char *rel)
{
	struct stat st;

	assert_int_equal(lstat(tmp_path(t, rel), &st), 0);
	return st.st_ino;
}

/* A record at s/<name> and u/<name> (one file); returns an fd holding its lock, or -1. */
static int
put_linked(struct tmpdir *t, const char *name, bool live)
{
	char rel[64], s[PATH_MAX], u[PATH_MAX];
	int fd = -1;

	(void)xsnprintf(rel, sizeof(rel), "s/%s", name);
	put_record(t, rel);
	(void)xsnprintf(s, sizeof(s), "%s/s/%s", t->path, name);
	(void)xsnprintf(u, sizeof(u), "%s/u/%s", t->path, name);
	assert_int_equal(link(s, u), 0);
	if (live) {
		fd = open(s, O_RDONLY | O_CLOEXEC);
		assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	}
	return fd;
}

static void
test_remove_stale(void **state)
{
	struct tmpdir *t = *state;
	int before = next_fd(), s, u, live;
	ino_t other;

	make_dirs(t, &s, &u);
	/* Stale: both links go. */
	(void)put_linked(t, "1", false);
	assert_true(record_remove_stale(s, u, "1"));
	assert_false(exists(t, "s/1"));
	assert_false(exists(t, "u/1"));
	assert_false(record_remove_stale(s, u, "1")); /* nothing left to remove */

	/* Live: nothing goes. */
	live = put_linked(t, "2", true);
	assert_false(record_remove_stale(s, u, "2"));
	assert_true(exists(t, "s/2"));
	assert_true(exists(t, "u/2"));
	close(live);

	/* Same name, another file (a live one) in the user's directory: it stays. */
	put_record(t, "s/3");
	put_record(t, "u/3");
	live = open(tmp_path(t, "u/3"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(flock(live, LOCK_EX | LOCK_NB), 0);
	other = inode(t, "u/3");
	assert_true(record_remove_stale(s, u, "3"));
	assert_false(exists(t, "s/3"));
	assert_true(exists(t, "u/3"));
	assert_int_equal(inode(t, "u/3"), other);
	close(live);

	/* A stale link in the user's directory whose twin in sessions/ is gone goes too. */
	put_record(t, "u/4");
	assert_true(record_remove_stale(s, u, "4"));
	assert_false(exists(t, "u/4"));

	/* Never through a symlink. */
	put_record(t, "target");
	assert_int_equal(symlink("../target", tmp_path(t, "s/5")), 0);
	assert_false(record_remove_stale(s, u, "5"));
	assert_true(exists(t, "s/5"));
	assert_true(exists(t, "target"));

	/* A directory that is not open is left alone. */
	(void)put_linked(t, "6", false);
	assert_true(record_remove_stale(-1, u, "6"));
	assert_true(exists(t, "s/6"));
	assert_false(exists(t, "u/6"));

	close(s);
	close(u);
	assert_int_equal(next_fd(), before);
}

/* For a session just killed: both names go, whatever they are, locked or not. */
static void
test_remove(void **state)
{
	struct tmpdir *t = *state;
	int s, u, live;

	make_dirs(t, &s, &u);
	live = put_linked(t, "9", true);
	record_remove(s, u, 9);
	assert_false(exists(t, "s/9"));
	assert_false(exists(t, "u/9"));
	record_remove(s, u, 9); /* already gone: nothing happens */
	close(live);
	close(s);
	close(u);
}

/* A child that has closed fd and waits, once it is ready; the caller kills it. */
static pid_t
fork_without(int fd)
{
	int ready[2];
	pid_t child;
	char c;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fd);
		if (write(ready[1], "x", 1) == 1)
			pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return child;
}

static void
test_held_by(void **state)
{
	struct tmpdir *t = *state;
	int self, fd, child_dir;
	char path[32];
	pid_t child;

	put_record(t, "r");
	fd = open(tmp_path(t, "r"), O_RDONLY | O_CLOEXEC);
	self = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0 && self >= 0);
	assert_true(record_held_by(self, fd));

	/* A process that does not have it open. */
	child = fork_without(fd);
	(void)xsnprintf(path, sizeof(path), "/proc/%d", (int)child);
	child_dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(child_dir >= 0);
	assert_false(record_held_by(child_dir, fd));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* Gone: its /proc directory names nobody now, whoever gets its number next. */
	assert_false(record_held_by(child_dir, fd));
	close(child_dir);
	close(self);
	close(fd);
}

/*
 * A record's whole life as PID 1 lives it: created unnamed and locked, written, published in
 * both directories (a stale one in the way removed, a live one never), then unlinked.
 */
static void
test_publish(void **state)
{
	struct tmpdir *t = *state;
	const char *name = "4026532301";
	struct session_record r;
	int before = next_fd(), s, u, fd, next, other, rfd;

	if (geteuid() != 0)
		skip(); /* linkat(AT_EMPTY_PATH) wants CAP_DAC_READ_SEARCH */
	make_dirs(t, &s, &u);
	fd = record_create(s);
	assert_true(fd >= 0);
	assert_int_equal(record_write(fd, &sample), 0);
	assert_int_equal(record_publish(fd, s, u, sample.id), 0);
	assert_int_equal(inode(t, "s/4026532301"), inode(t, "u/4026532301"));
	assert_int_equal(record_read(s, name, getuid(), &r, &rfd), 0);
	assert_memory_equal(&r, &sample, sizeof(r));
	assert_true(record_alive(rfd));
	close(rfd);
	assert_false(record_remove_stale(s, u, name));

	/* A live record is never pushed aside; and a failed publish leaves no link. */
	next = record_create(s);
	assert_true(next >= 0);
	assert_int_equal(record_publish(next, s, u, sample.id), -EEXIST);
	assert_int_equal(inode(t, "s/4026532301"), inode(t, "u/4026532301"));

	/* Logout: only the user's link goes; then PID 1's exit removes the other. */
	assert_int_equal(record_unpublish_user(fd, u, sample.id), 0);
	assert_true(exists(t, "s/4026532301"));
	assert_false(exists(t, "u/4026532301"));
	assert_int_equal(record_unpublish(fd, s, u, sample.id), 0);
	assert_false(exists(t, "s/4026532301"));
	assert_int_equal(record_unpublish(fd, s, u, sample.id), -ENOENT);

	close(fd);

	/* PID 1 died without removing it: the next session with that number takes its place. */
	fd = record_create(s);
	assert_true(fd >= 0);
	assert_int_equal(record_publish(fd, s, u, sample.id), 0);
	close(fd);
	assert_int_equal(record_publish(next, s, u, sample.id), 0);
	assert_int_equal(inode(t, "s/4026532301"), inode(t, "u/4026532301"));
	/* A name that is another file now is not PID 1's to remove. */
	other = record_create(s);
	assert_true(other >= 0);
	assert_int_equal(record_unpublish(other, s, u, sample.id), -ENOENT);
	assert_true(exists(t, "s/4026532301"));

	/* Both or neither: a live record in the user's directory only. */
	record_remove(s, u, sample.id);
	close(next);
	(void)put_record(t, "u/4026532301");
	next = open(tmp_path(t, "u/4026532301"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(flock(next, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(record_publish(other, s, u, sample.id), -EEXIST);
	assert_false(exists(t, "s/4026532301"));
	close(next);
	close(other);
	close(s);
	close(u);
	assert_int_equal(next_fd(), before);
}

/* A shared session's record: three more lines, before the strings; the count rewritten in place. */
static void
test_shared(void **state)
{
	struct tmpdir *t = *state;
	struct session_record r = sample, back;
	char buf[RECORD_MAX_SIZE], *logins;
	int n, fd;

	r.shared = true;
	memset(r.plan, 'a', 64);
	r.logins = 1;
	n = record_format(&r, buf, sizeof(buf));
	assert_true(n > 0);
	buf[n] = '\0';
	logins = strstr(buf, "linger=1\nshare=user\nplan=aaaaaaaa");
	assert_non_null(logins);
	assert_non_null(strstr(buf, "aaaa\nlogins=00001\nns.mnt="));
	assert_int_equal(record_parse(buf, (size_t)n, &back), 0);
	assert_memory_equal(&back, &r, sizeof(back));

	/* In place: the same length, only the digits change. */
	assert_int_equal(tmp_write(t, "r", buf, (size_t)n, 0600), 0);
	fd = open(tmp_path(t, "r"), O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(record_set_logins(fd, 12), 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), n);
	assert_int_equal(record_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.logins, 12);
	assert_true(back.shared);
	assert_int_equal(record_set_logins(fd, RECORD_MAX_LOGINS), 0);
	assert_int_equal(record_set_logins(fd, RECORD_MAX_LOGINS + 1), -EINVAL);
	assert_int_equal(record_set_logins(fd, 0), 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), n);
	assert_int_equal(record_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.logins, 0);
	close(fd);

	/* A record without the line (a session that is not shared) is not written to. */
	put_record(t, "plain");
	fd = open(tmp_path(t, "plain"), O_RDWR | O_CLOEXEC);
	assert_int_equal(record_set_logins(fd, 2), -EINVAL);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), sizeof(sample_text) - 1);
	assert_memory_equal(buf, sample_text, sizeof(sample_text) - 1);
	close(fd);
	/* Nor a user string that looks like the line: only the first one counts, before them. */
	assert_parse("id=1\npid=2\nshare=login\nlogins=x\n", -EINVAL);
	{
		struct session_record q;
		static const char text[] = "id=1\npid=2\nshare=login\n";

		assert_int_equal(record_parse(text, sizeof(text) - 1, &q), 0);
		assert_false(q.shared);
	}
}

/* The session's PID 1 by the record's pid: only a process holding the record open is it. */
static void
test_open_holder(void **state)
{
	struct tmpdir *t = *state;
	int before = next_fd(), fd, proc, pidfd = -1;
	pid_t child;

	put_record(t, "r");
	fd = open(tmp_path(t, "r"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	proc = record_open_holder(getpid(), fd, &pidfd);
	assert_true(proc >= 0 && pidfd >= 0);
	close(proc);
	close(pidfd);
	proc = record_open_holder(getpid(), fd, NULL);
	assert_true(proc >= 0);
	close(proc);

	/* Another process, alive, without the record: not it. */
	child = fork_without(fd);
	pidfd = -1;
	assert_int_equal(record_open_holder(child, fd, &pidfd), -ESRCH);
	assert_int_equal(pidfd, -1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* Gone, and no process at all. */
	assert_int_equal(record_open_holder(child, fd, &pidfd), -ESRCH);
	assert_int_equal(record_open_holder(0, fd, &pidfd), -ESRCH);
	assert_int_equal(record_open_holder(-1, fd, NULL), -ESRCH);
	close(fd);
	assert_int_equal(next_fd(), before);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_orders),
		cmocka_unit_test(test_ns_names),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_parse_skips_unknown),
		T(test_read),
		T(test_alive),
		T(test_remove_stale),
		T(test_remove),
		T(test_held_by),
		T(test_publish),
		T(test_shared),
		T(test_open_holder),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
