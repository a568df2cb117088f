/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsisolate list / enter: the live sessions, from their records in NSI_RUN_DIR. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../common/record.h"
#include "../conf/conf.h"
#include "tool.h"

static int
open_sessions_dir(void)
{
	int fd = open(NSI_SESSIONS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno != ENOENT)
		fprintf(stderr, "nsisolate: cannot open %s: %s%s\n", NSI_SESSIONS_DIR,
			strerror(errno), errno == EACCES ? " (run as root)" : "");
	return fd;
}

static void
format_ns(unsigned clone_ns, char *buf, size_t size)
{
	unsigned ns = 0;

	ns |= (clone_ns & CLONE_NEWNS) ? CONF_NS_MOUNT : 0;
	ns |= (clone_ns & CLONE_NEWIPC) ? CONF_NS_IPC : 0;
	ns |= (clone_ns & CLONE_NEWPID) ? CONF_NS_PID : 0;
	ns |= (clone_ns & CLONE_NEWUTS) ? CONF_NS_UTS : 0;
	conf_ns_format(ns, buf, size);
}

int
cmd_list(int argc, char **argv)
{
	_cleanup_close_ int dfd = -1;
	struct dirent **names = NULL;
	int n;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		puts("Usage: nsisolate list");
		return EXIT_OK;
	}
	if (argc > 1) {
		usage_error("usage: nsisolate list");
		return EXIT_USAGE;
	}
	dfd = open_sessions_dir();
	if (dfd < 0)
		return errno == ENOENT ? EXIT_OK : EXIT_RUNTIME;
	n = scandirat(dfd, ".", &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "nsisolate: cannot list %s: %s\n", NSI_SESSIONS_DIR,
			strerror(errno));
		return EXIT_RUNTIME;
	}
	printf("%-12s %-16s %-14s %-22s %8s  %-19s %s\n", "SESSION", "USER", "SERVICE", "TTY/HOST",
	       "INIT", "STARTED", "NAMESPACES");
	for (int i = 0; i < n; i++) {
		struct session_record rec;
		int fd = -1;
		char when[32] = "?", ns[64], where[300];
		struct tm tm;
		time_t t;

		if (names[i]->d_name[0] != '.' &&
		    record_read(dfd, names[i]->d_name, &rec, &fd) == 0) {
			/* A record nobody holds is a session whose PID 1 died: not live. */
			if (record_alive(fd)) {
				t = (time_t)rec.start;
				if (localtime_r(&t, &tm))
					strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
				format_ns(rec.clone_ns, ns, sizeof(ns));
				(void)xsnprintf(where, sizeof(where), "%s%s%s",
						rec.tty[0] ? rec.tty : "-", rec.rhost[0] ? " " : "",
						rec.rhost);
				printf("%-12" PRIu64 " %-16s %-14s %-22s %8d  %-19s %s%s\n", rec.id,
				       rec.user, rec.service, where, (int)rec.init_pid, when, ns,
				       rec.linger ? " (linger)" : "");
			}
			close(fd);
		}
		free(names[i]);
	}
	free(names);
	return EXIT_OK;
}

/* Find the record of SESSION (a record name) or of the session holding process PID. */
static int
find_session(int dfd, const char *arg, struct session_record *rec, int *ret_fd)
{
	static const char *const types[] = {"mnt", "pid", "ipc", "uts"};
	uint64_t v;

	if (parse_uint(arg, UINT64_MAX, &v) < 0)
		return -EINVAL;
	if (record_read(dfd, arg, rec, ret_fd) == 0)
		return 0;
	/* Not a session id: a process; its namespaces name the session it is in. */
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		char path[64], name[24];
		struct stat st;

		(void)xsnprintf(path, sizeof(path), "/proc/%s/ns/%s", arg, types[i]);
		if (stat(path, &st) < 0)
			return -ESRCH;
		(void)xsnprintf(name, sizeof(name), "%" PRIu64, (uint64_t)st.st_ino);
		if (record_read(dfd, name, rec, ret_fd) == 0)
			return 0;
	}
	return -ENOENT;
}

int
cmd_enter(int argc, char **argv)
{
	_cleanup_close_ int dfd = -1, rfd = -1, pidfd = -1, rootfd = -1;
	struct session_record rec;
	char path[64];
	struct stat st;
	char **cmd;
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
	dfd = open_sessions_dir();
	if (dfd < 0)
		return errno == ENOENT ? EXIT_NO : EXIT_RUNTIME;
	r = find_session(dfd, argv[1], &rec, &rfd);
	if (r < 0 || !record_alive(rfd)) {
		fprintf(stderr, "nsisolate: no live session '%s' (see nsisolate list)\n", argv[1]);
		return EXIT_NO;
	}
	pidfd = pidfd_open(rec.init_pid, 0);
	/* The pid may have been reused since the record was read: check its namespace. */
	(void)xsnprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)rec.init_pid,
			(rec.clone_ns & CLONE_NEWNS) ? "mnt" : "pid");
	if (pidfd < 0 || stat(path, &st) < 0 || (uint64_t)st.st_ino != rec.id) {
		fprintf(stderr, "nsisolate: session %" PRIu64 " has ended\n", rec.id);
		return EXIT_NO;
	}
	/*
	 * PID 1's root, taken before joining: setns(CLONE_NEWNS) leaves us at the namespace's
	 * root, which is not the session's when its login program ran chrooted.
	 */
	(void)xsnprintf(path, sizeof(path), "/proc/%d/root", (int)rec.init_pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || setns(pidfd, (int)rec.clone_ns) < 0 ||
	    ((rec.clone_ns & CLONE_NEWNS) &&
	     (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0))) {
		fprintf(stderr, "nsisolate: cannot enter session %" PRIu64 ": %s\n", rec.id,
			strerror(errno));
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
