/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The live sessions, from their records in NSI_RUN_DIR, and their PID 1s, proven: what
 * nsisolate list (list.c), enter (here) and terminate (terminate.c) find them with.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../common/join.h"
#include "../common/record.h"
#include "../conf/conf.h"
#include "tool.h"

int
sessions_open_dir(void)
{
	int fd = record_open_sessions_dir();

	if (fd >= 0)
		return fd;
	if (fd != -ENOENT)
		fprintf(stderr, "nsisolate: cannot open %s: %s%s\n", NSI_SESSIONS_DIR,
			strerror(-fd), fd == -EACCES ? " (run as root)" : "");
	errno = -fd; /* the callers tell "no session yet" (ENOENT) from a failure */
	return -1;
}

void
init_proc_close(struct init_proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->procfd >= 0)
		close(p->procfd);
	p->pidfd = p->procfd = -1;
}

/* The values of two lines of /proc/PID/status: Uid (real, saved) and NSpid (the last). */
static int
read_status(int procfd, uid_t *ret_ruid, uid_t *ret_suid, pid_t *ret_innermost)
{
	_cleanup_close_ int fd = openat(procfd, "status", O_RDONLY | O_CLOEXEC);
	char buf[4096], *line, *save = NULL;
	unsigned long r, e, sv;
	bool have_uid = false, have_nspid = false;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	/* All of it in one read, or we cannot trust what we did not see. */
	if (n <= 0 || n == (ssize_t)sizeof(buf) - 1)
		return -EBADMSG;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "Uid: %lu %lu %lu", &r, &e, &sv) == 3) {
			*ret_ruid = (uid_t)r;
			*ret_suid = (uid_t)sv;
			have_uid = true;
		} else if (strncmp(line, "NSpid:", 6) == 0) {
			const char *last = strrchr(line, '\t');
			uint64_t v;

			if (!last || parse_uint(last + 1, INT32_MAX, &v) < 0)
				return -EBADMSG;
			*ret_innermost = (pid_t)v;
			have_nspid = true;
		}
	}
	return have_uid && have_nspid ? 0 : -EBADMSG;
}

/*
 * Is process PID the PID 1 of the session whose record is open at rfd?  Root is about to
 * chroot to its root and run a shell there, so nothing about it is taken on trust: the pid
 * in the record is in the numbering of whoever opened the session (with nested = isolate,
 * the outer session's), and on our side that number may belong to any process, one of the
 * user's included.  On success ret holds a pidfd and a /proc fd of that very process.
 */
static int
verify_init(pid_t pid, const struct session_record *rec, int rfd, struct init_proc *ret)
{
	_cleanup_close_ int pidfd = -1, procfd = -1;
	struct stat st, self_user;
	uid_t ruid = 1, suid = 1;
	pid_t innermost = 0;

	if (stat("/proc/self/ns/user", &self_user) < 0)
		return -ESRCH;
	/*
	 * It is the helper: it holds the session's record open (the file whose lock says
	 * "alive"), which no user can, the directory being root's alone.  Without a PID
	 * namespace this is what tells PID 1 from root's other processes in the session.  The
	 * pidfd and the /proc directory are one process (common/record.c): every check below
	 * reads through procfd, and the caller uses the pidfd.
	 */
	procfd = record_open_holder(pid, rfd, &pidfd);
	if (procfd < 0)
		return -ESRCH;
	/* It is in every namespace of the session. */
	for (size_t i = 0; i < NS_COUNT; i++) {
		char ns[16];

		(void)xsnprintf(ns, sizeof(ns), "ns/%s", ns_types[i].proc);
		if (rec->ns[i] &&
		    (fstatat(procfd, ns, &st, 0) < 0 || (uint64_t)st.st_ino != rec->ns[i]))
			return -ESRCH;
	}
	if (read_status(procfd, &ruid, &suid, &innermost) < 0)
		return -ESRCH;
	/*
	 * It is PID 1 of the session's PID namespace: every other process in there, the
	 * user's, has another number there, and a user's PID 1 of a namespace of their own is
	 * not in the session's (checked above).
	 */
	if ((rec->clone_ns & CLONE_NEWPID) && innermost != 1)
		return -ESRCH;
	/*
	 * It is root's, in our user namespace: the session's PID 1 keeps real and saved uid 0
	 * and never leaves the initial user namespace; a user's process is neither, even as
	 * "root" of a user namespace of their own (where it could chroot to a tree of theirs).
	 */
	if (ruid != 0 || suid != 0 || fstatat(procfd, "ns/user", &st, 0) < 0 ||
	    st.st_dev != self_user.st_dev || st.st_ino != self_user.st_ino)
		return -ESRCH;
	ret->pid = pid;
	ret->pidfd = steal_fd(pidfd);
	ret->procfd = steal_fd(procfd);
	return 0;
}

/*
 * Find the session's PID 1 as we number it.  The record's pid first: it is ours when the
 * session was opened in our PID namespace.  If it is not PID 1 (a nested session's pid is
 * in the outer session's numbering), every process of the session's namespace is tried.
 */
int
sessions_find_init(const struct session_record *rec, int rfd, struct init_proc *ret)
{
	/*
	 * The namespace to look for: the PID namespace if there is one, it is PID 1's; else the
	 * one the session is named after.
	 */
	enum ns_index key = NS_PID;
	struct dirent *de;
	DIR *proc;
	int r = -ESRCH;

	ret->pidfd = ret->procfd = -1;
	if (verify_init(rec->init_pid, rec, rfd, ret) == 0)
		return 0;
	for (size_t n = 0; n < NS_COUNT && !rec->ns[key]; n++)
		key = ns_nth(NS_ORDER_ID, n);
	if (!rec->ns[key])
		return -ESRCH;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while (r < 0 && (de = readdir(proc))) {
		char path[48];
		struct stat st;
		uint64_t v;

		if (parse_uint(de->d_name, INT32_MAX, &v) < 0 || (pid_t)v == getpid() ||
		    (pid_t)v == rec->init_pid)
			continue;
		(void)xsnprintf(path, sizeof(path), "%s/ns/%s", de->d_name, ns_types[key].proc);
		if (fstatat(dirfd(proc), path, &st, 0) == 0 && (uint64_t)st.st_ino == rec->ns[key])
			r = verify_init((pid_t)v, rec, rfd, ret);
	}
	closedir(proc);
	return r;
}

/* Find the record of SESSION (a record name) or of the session holding process PID. */
int
sessions_find(int dfd, const char *arg, struct session_record *rec, int *ret_fd)
{
	uint64_t v;

	if (parse_uint(arg, UINT64_MAX, &v) < 0)
		return -EINVAL;
	if (record_read(dfd, arg, 0, rec, ret_fd) == 0)
		return 0;
	/* Not a session id: a process; its namespaces name the session it is in. */
	for (size_t n = 0; n < NS_COUNT; n++) {
		char path[64], name[RECORD_NAME_SIZE];
		struct stat st;

		(void)xsnprintf(path, sizeof(path), "/proc/%s/ns/%s", arg,
				ns_types[ns_nth(NS_ORDER_ID, n)].proc);
		if (stat(path, &st) < 0)
			return -ESRCH;
		record_name((uint64_t)st.st_ino, name);
		if (record_read(dfd, name, 0, rec, ret_fd) == 0)
			return 0;
	}
	return -ENOENT;
}

int
cmd_enter(int argc, char **argv)
{
	_cleanup_close_ int dfd = -1, rfd = -1, rootfd = -1;
	struct init_proc init = {.pidfd = -1, .procfd = -1};
	struct session_record rec;
	char **cmd, err[256];
	int status, r;
	pid_t pid;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		if (argc < 2)
			usage_error("usage: nsisolate enter SESSION|PID [-- CMD [ARG]...]");
		else
			puts("Usage: nsisolate enter SESSION|PID [-- CMD [ARG]...]");
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	cmd = argc > 2 ? argv + 2 + (strcmp(argv[2], "--") == 0) : NULL;
	if (cmd && !*cmd)
		cmd = NULL;
	dfd = sessions_open_dir();
	if (dfd < 0)
		return errno == ENOENT ? EXIT_NO : EXIT_RUNTIME;
	r = sessions_find(dfd, argv[1], &rec, &rfd);
	if (r < 0 || !record_alive(rfd)) {
		fprintf(stderr, "nsisolate: no live session '%s' (see nsisolate list)\n", argv[1]);
		return EXIT_NO;
	}
	/*
	 * Only the session's PID 1, proven to be it (sessions_find_init): we are about to take its root
	 * and run a root shell there, and any other process in the session's namespaces may
	 * be the user's, chrooted into a tree of their own.
	 */
	r = sessions_find_init(&rec, rfd, &init);
	if (r < 0) {
		fprintf(stderr,
			"nsisolate: session %" PRIu64 ": no process here is its PID 1 (the record "
			"says pid %d): not entering\n",
			rec.id, (int)rec.init_pid);
		return EXIT_NO;
	}
	/*
	 * PID 1's root, taken before joining: setns(CLONE_NEWNS) leaves us at the namespace's
	 * root, which is not the session's when its login program ran chrooted.  Through the
	 * /proc directory that sessions_find_init checked: it never names another process.
	 */
	rootfd = openat(init.procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		(void)xsnprintf(err, sizeof(err), "cannot open its root: %s", strerror(errno));
	/* As a login joins it (common/join.c). */
	r = rootfd < 0 ? -EBADF
		       : join_enter(init.pidfd, init.pid, rec.clone_ns, rootfd, NULL, err,
				    sizeof(err));
	if (r == 0 && (rec.clone_ns & CLONE_NEWNS) && chdir("/") < 0) {
		r = -errno;
		(void)xsnprintf(err, sizeof(err), "chdir /: %s", strerror(-r));
	}
	init_proc_close(&init);
	if (r < 0) {
		fprintf(stderr, "nsisolate: cannot enter session %" PRIu64 ": %s\n", rec.id, err);
		return EXIT_RUNTIME;
	}
	/* A fork, so that the command is in the session's PID namespace too. */
	pid = fork();
	if (pid < 0) {
		perror("nsisolate: fork");
		return EXIT_RUNTIME;
	}
	if (pid == 0) {
		const char *shell = getenv("SHELL");
		char *sh_argv[] = {(char *)(shell && *shell ? shell : "/bin/sh"), NULL};

		execvp(cmd ? cmd[0] : sh_argv[0], cmd ? cmd : sh_argv);
		fprintf(stderr, "nsisolate: cannot run '%s': %s\n", cmd ? cmd[0] : sh_argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
