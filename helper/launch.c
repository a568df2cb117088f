/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * First stage of the helper: still in the login process's namespaces.  Tells whether the
 * login is nested, prepares the state directory and the (unnamed) session record, finds a
 * live session of the same user whose `user` tmpfs the new one must share, and creates the
 * namespaces with PID 1 inside them (clone, CLONE_VM).  PID 1 (pid1.c) builds the rest,
 * names the record and answers the module.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/record.h"
#include "../common/safepath.h"
#include "helper.h"

int
session_is_nested(uint64_t *ret_id)
{
	_cleanup_close_ int dfd = record_open_sessions_dir();

	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	/*
	 * Inside a session our namespaces are the session's, and a live record is named after
	 * one of them.  Only root can write there and only a live PID 1 holds the record's
	 * lock, so a user can neither fake "nested" nor revive a stale record whose namespace
	 * number the kernel has since given to someone else.
	 */
	for (size_t n = 0; n < NS_COUNT; n++) {
		enum ns_index i = ns_nth(NS_ORDER_ID, n);
		struct session_record rec;
		char name[RECORD_NAME_SIZE];
		uint64_t ino = 0;
		int fd, r;

		r = record_ns_inode("self", i, &ino);
		if (r < 0)
			return r; /* cannot tell: the caller fails closed */
		record_name(ino, name);
		r = record_read(dfd, name, 0, &rec, &fd);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (record_alive(fd) && rec.ns[i] == ino) {
			close(fd);
			*ret_id = ino;
			return 1;
		}
		close(fd);
	}
	return 0;
}

/*
 * Open the mount namespace of a live peer session and the root directory of its PID 1 (not
 * the same as the namespace's root when the login program runs chrooted).  The record's pid
 * is not taken on trust: it is in the numbering of whoever opened that session (a nested
 * one's is the outer session's), and here it may name any process, even one of the user's
 * inside the peer session, in its mount namespace but chrooted to a tree of the user's
 * (unshare -U gives it that right).  So everything is read through one /proc/PID directory,
 * which never follows its number to another process, and that process must hold the
 * record open (rfd): the session's PID 1 does for its whole life, and nobody else can, the
 * directory being root's alone.
 */
static int
open_peer(const struct session_record *rec, int rfd, int *ret_root)
{
	_cleanup_close_ int proc = record_open_holder(rec->init_pid, rfd, NULL), root = -1, fd = -1;
	struct stat st;

	if (proc < 0)
		return -ESRCH;
	root = openat(proc, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = openat(proc, "ns/mnt", O_RDONLY | O_CLOEXEC);
	if (root < 0 || fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_ino != rec->ns[NS_MOUNT])
		return -ESRCH;
	*ret_root = steal_fd(root);
	return steal_fd(fd);
}

/* A private directory of type `user` still without a peer to share its tmpfs with? */
static bool
peers_missing(const struct session *s)
{
	for (size_t i = 0; i < s->plan->n_private; i++)
		if (s->plan->private[i].type == CONF_PRIV_USER && s->peer_mnt_fd[i] < 0)
			return true;
	return false;
}

/*
 * For each private directory of type `user`, a live session of the same user that has the
 * same directory of that type: PID 1 will clone its tmpfs.  Called with the user's lock held.
 */
static void
find_peers(struct session *s)
{
	_cleanup_close_ int dfd = dup(s->user_dir_fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	if (!d)
		return;
	dfd = -1;
	/* One live peer per directory is enough: a user with 1,000 sessions open is 1,000 reads. */
	while (peers_missing(s) && (de = readdir(d))) {
		struct session_record rec;
		_cleanup_close_ int fd = -1;

		if (strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		if (record_read(s->user_dir_fd, de->d_name, 0, &rec, &fd) < 0)
			continue;
		if (!record_alive(fd)) {
			/* Its PID 1 died without removing it. */
			(void)record_remove_stale(s->sessions_fd, s->user_dir_fd, de->d_name);
			continue;
		}
		if (rec.uid != s->req->uid || rec.ns[NS_MOUNT] == 0)
			continue;
		for (size_t i = 0; i < s->plan->n_private; i++) {
			const struct plan_private *p = &s->plan->private[i];

			if (p->type != CONF_PRIV_USER || s->peer_mnt_fd[i] >= 0)
				continue;
			for (unsigned j = 0; j < rec.n_user_dirs; j++)
				if (strcmp(rec.user_dirs[j], p->path) == 0) {
					int root = -1, r = open_peer(&rec, fd, &root);

					if (r >= 0) {
						s->peer_mnt_fd[i] = r;
						s->peer_root_fd[i] = root;
					}
					break;
				}
		}
	}
	closedir(d);
}

/*
 * How long a login waits for the user's lock.  Its holder keeps it from its own flock to
 * PID 1's registration, milliseconds; a login still waiting after this long is behind one
 * that is stuck (or stopped), and refusing it says so where blocking would say nothing.
 * With PID 1's own setup deadline it stays within the module's wait for the reply.
 */
#define LOCK_TIMEOUT_MS 4000
_Static_assert(LOCK_TIMEOUT_MS + SHARE_JOIN_TIMEOUT_MS + NSI_SETUP_TIMEOUT_S * 1000 <
		       NSI_REPLY_TIMEOUT_MS,
	       "the lock, a join that fails and the setup must fit in the module's wait");

/*
 * flock(LOCK_EX) with a deadline: LOCK_NB, retried with short sleeps (1 ms, doubling up to
 * 32 ms) until LOCK_TIMEOUT_MS have passed.  No alarm: no signal state to set up and put
 * back, and no window in which the alarm fires before a blocking flock() is entered.
 */
static int
lock_with_deadline(int fd)
{
	struct timespec t0, t, pause = {.tv_nsec = 1000000};
	long waited_ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &t);
		waited_ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (waited_ms >= LOCK_TIMEOUT_MS)
			return -ETIMEDOUT;
		(void)nanosleep(&pause, NULL);
		if (pause.tv_nsec < 32000000)
			pause.tv_nsec *= 2;
	}
}

static void
open_state(struct session *s, int run_fd, bool need_lock)
{
	_cleanup_close_ int run = run_fd, users = -1;
	char uid[16], err[PATH_MAX + 64];
	int r;

	if (run < 0) /* again, for the reason */
		run = safe_state_dir(NSI_RUN_DIR, err, sizeof(err));
	if (run < 0)
		die("%s", err);
	s->sessions_fd = safe_private_dir(run, NSI_RUN_DIR, "sessions", err, sizeof(err));
	if (s->sessions_fd < 0)
		die("%s", err);
	users = safe_private_dir(run, NSI_RUN_DIR, "users", err, sizeof(err));
	if (users < 0)
		die("%s", err);
	(void)xsnprintf(uid, sizeof(uid), "%u", (unsigned)s->req->uid);
	s->user_dir_fd = safe_private_dir(users, NSI_USERS_DIR, uid, err, sizeof(err));
	if (s->user_dir_fd < 0)
		die("%s", err);
	if (need_lock) {
		/*
		 * Serialises this user's logins while they look for each other's tmpfs, and for
		 * a shared session: the first builds it, the others find it and join.
		 */
		s->lock_fd = openat(s->user_dir_fd, ".lock",
				    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s->lock_fd < 0)
			die("cannot open the lock of uid %s's sessions: %s", uid, strerror(errno));
		/* Never wait without a deadline: a stuck holder must not hang every login. */
		r = lock_with_deadline(s->lock_fd);
		if (r == -ETIMEDOUT)
			die("another login of uid %s has held its lock (%s/%s/.lock) for over %d s; "
			    "try again",
			    uid, NSI_USERS_DIR, uid, LOCK_TIMEOUT_MS / 1000);
		if (r < 0)
			die("cannot lock the sessions of uid %s: %s", uid, strerror(-r));
		if (s->shared)
			share_join(s); /* exits if a session took the login */
		find_peers(s);
	}
	/* An unnamed file until PID 1 exists; its lock says "alive" for as long as PID 1 is. */
	r = record_create(s->sessions_fd);
	if (r < 0)
		die("cannot create the session record: %s", strerror(-r));
	s->record_fd = r;
}

/*
 * PID 1 shares our memory (CLONE_VM) on a stack of its own, as posix_spawn's child does until
 * it execs: no page table to copy, none of the pages we filled (code, configuration, heap,
 * stack) to copy again on PID 1's first write or to fault in again on its first read, and no
 * address space for our exit to tear down.  We exit at once and touch nothing: the memory is
 * then PID 1's alone.  Without CLONE_SETTLS PID 1 keeps our thread pointer, which nothing
 * it calls needs to be another thread's (glibc's raise() asks the kernel for the tid).
 */
#define PID1_STACK_SIZE (256u << 10)
#define PID1_STACK_HOT	(32u << 10)

static int
pid1_start(void *arg)
{
	pid1_main(arg);
}

void
session_start(const struct request *req, const struct plan *plan, struct conf *conf,
	      const char *rule, int login_pidfd, int run_fd, bool nested)
{
	struct session s = {
		.req = req,
		.plan = plan,
		.conf = conf,
		.rule = rule,
		.clone_ns = ns_clone_flags(plan->namespaces),
		.login_pidfd = login_pidfd,
		.record_fd = -1,
		.sessions_fd = -1,
		.user_dir_fd = -1,
		.lock_fd = -1,
		.listen_fd = -1,
		/*
		 * A nested login (nested = isolate) builds a session of its own: its record's pid
		 * is in the outer session's numbering, where no later login could prove it.
		 */
		.shared = plan->share == CONF_SHARE_USER && !nested,
	};
	bool need_lock = false;
	sigset_t mask;
	char *stack;
	int flags;

	for (size_t i = 0; i < ARRAY_SIZE(s.peer_mnt_fd); i++)
		s.peer_mnt_fd[i] = s.peer_root_fd[i] = -1;
	for (size_t i = 0; i < plan->n_private; i++)
		need_lock |= plan->private[i].type == CONF_PRIV_USER;
	need_lock |= s.shared;
	conf_plan_digest(plan, s.plan_digest);
	open_state(&s, run_fd, need_lock);
	/* A guard page below it: an overflow faults instead of writing over other memory. */
	stack = mmap(NULL, PID1_STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED || mprotect(stack, 4096, PROT_NONE) < 0)
		die("cannot allocate a stack for PID 1: %s", strerror(errno));
	/*
	 * The part the setup uses (path walks with PATH_MAX buffers), in one call rather than a
	 * page fault each; PID 1 gives it back once it idles.  Linux 5.14+; else faulted in.
	 */
	(void)madvise(stack + PID1_STACK_SIZE - PID1_STACK_HOT, PID1_STACK_HOT,
		      MADV_POPULATE_WRITE);
	s.stack = stack;
	s.stack_size = PID1_STACK_SIZE;

	/*
	 * A namespace's PID 1 drops signals it has not blocked and leaves at their default
	 * (docs/kernel-facts.md, 'Signals and a PID namespace's init'): block them before it
	 * exists.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	flags = CLONE_VM | (int)s.clone_ns | SIGCHLD;
	if (clone(pid1_start, stack + PID1_STACK_SIZE, flags, &s) < 0)
		die("cannot create the namespaces: %s", strerror(errno));
	/*
	 * PID 1 holds everything now (the lock, the record, the module's socket), answers the
	 * module itself and reads `s` and the request where they are: go without a write.
	 */
	_exit(HELPER_EXIT_OK);
}
