/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsisolate terminate SESSION|PID|-u USER: end sessions the way logout does, and wait until
 * they are gone.  PID 1 gets SIGTERM through a pidfd, as the module sends it at close: it
 * sends SIGTERM to every process of the session and SIGKILL after kill_timeout, removes its
 * record and exits.  A session still there after -t seconds (one that lingers, or whose PID 1
 * is stuck) gets SIGKILL on its PID 1: the kernel then kills the whole PID namespace.  Only a
 * PID 1 proven to be the session's (sessions_find_init: the helper holding the record) is
 * signalled; anything else is refused.  Gone is the pidfd readable: PID 1 of a PID namespace
 * exits only once every process in it is reaped.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>

#include "tool.h"

#define DEFAULT_WAIT_S 10
#define KILL_WAIT_S    5

struct target {
	struct session_record rec;
	int rfd;
	struct init_proc init;
	bool killed, gone;
};

static void
targets_free(struct target *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		closep(&v[i].rfd);
		init_proc_close(&v[i].init);
	}
	free(v);
}

static int
add_target(struct target **v, size_t *n, const struct session_record *rec, int rfd)
{
	struct target *p = reallocarray(*v, *n + 1, sizeof(**v));

	if (!p)
		return -ENOMEM;
	*v = p;
	p[*n] = (struct target){.rec = *rec, .rfd = rfd, .init = {.pidfd = -1, .procfd = -1}};
	(*n)++;
	return 0;
}

/* Every live session of `uid`. */
static int
user_targets(int dfd, uid_t uid, struct target **v, size_t *n)
{
	struct dirent **names = NULL;
	int count = scandirat(dfd, ".", &names, NULL, alphasort), r = 0;

	if (count < 0)
		return -errno;
	for (int i = 0; i < count; i++) {
		struct session_record rec;
		int fd = -1;

		if (r == 0 && names[i]->d_name[0] != '.' &&
		    record_read(dfd, names[i]->d_name, 0, &rec, &fd) == 0) {
			if (rec.uid == uid && record_alive(fd))
				r = add_target(v, n, &rec, steal_fd(fd));
			closep(&fd);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait until every PID 1 is gone or `ms` have passed; how many are left. */
static size_t
wait_gone(struct target *v, size_t n, int64_t ms)
{
	_cleanup_free_ struct pollfd *p = calloc(n ? n : 1, sizeof(*p));
	int64_t deadline = now_ms() + ms;

	for (;;) {
		size_t left = 0;

		for (size_t i = 0; i < n; i++)
			left += !v[i].gone;
		/* Out of memory: no waiting, as if the time were up. */
		if (left == 0 || now_ms() >= deadline || !p)
			return left;
		/* A negative fd is left out by poll(2): the gone ones. */
		for (size_t i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = v[i].gone ? -1 : v[i].init.pidfd,
					       .events = POLLIN};
		(void)poll(p, n, (int)(deadline - now_ms()));
		for (size_t i = 0; i < n; i++)
			if (p[i].fd >= 0 && p[i].revents)
				v[i].gone = true;
	}
}

/* PID 1 killed: its record may be left behind, as the module finds it at close. */
static void
remove_if_stale(int dfd, const struct target *t)
{
	_cleanup_close_ int user = record_open_user_dir(t->rec.uid);
	char name[RECORD_NAME_SIZE];

	record_name(t->rec.id, name);
	(void)record_remove_stale(dfd, user, name);
}

static int
parse_args(int argc, char **argv, const char **ret_user, unsigned *ret_wait, const char **ret_arg)
{
	static const struct option opts[] = {
		{"user", required_argument, NULL, 'u'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	uint64_t v;
	int c;

	*ret_user = *ret_arg = NULL;
	*ret_wait = DEFAULT_WAIT_S;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			*ret_user = optarg;
			break;
		case 't':
			if (parse_uint(optarg, 3600, &v) < 0) {
				usage_error("-t takes a number of seconds, 0 to 3600");
				return EXIT_USAGE;
			}
			*ret_wait = (unsigned)v;
			break;
		case 'h':
			puts("Usage: nsisolate terminate [-t SECONDS] SESSION|PID|-u USER");
			return EXIT_OK;
		default:
			usage_error("usage: nsisolate terminate [-t SECONDS] SESSION|PID|-u USER");
			return EXIT_USAGE;
		}
	}
	if (argc - optind != (*ret_user ? 0 : 1)) {
		usage_error("usage: nsisolate terminate [-t SECONDS] SESSION|PID|-u USER");
		return EXIT_USAGE;
	}
	*ret_arg = *ret_user ? NULL : argv[optind];
	return -1;
}

/* The sessions to end: SESSION or the one PID is in, or all of USER's.  An exit code or -1. */
static int
find_targets(int dfd, const char *user, const char *arg, struct target **v, size_t *n)
{
	struct session_record rec;
	int fd = -1, r;

	if (user) {
		uid_t uid;

		if ((r = tool_user_uid(user, &uid)) != EXIT_OK)
			return r;
		if (user_targets(dfd, uid, v, n) < 0) {
			fprintf(stderr, "nsisolate: cannot read %s: %s\n", NSI_SESSIONS_DIR,
				strerror(errno));
			return EXIT_RUNTIME;
		}
		if (*n == 0) {
			fprintf(stderr, "nsisolate: user '%s' has no live session\n", user);
			return EXIT_NO;
		}
		return -1;
	}
	r = sessions_find(dfd, arg, &rec, &fd);
	if (r < 0 || !record_alive(fd)) {
		closep(&fd);
		fprintf(stderr, "nsisolate: no live session '%s' (see nsisolate list)\n", arg);
		return EXIT_NO;
	}
	if (add_target(v, n, &rec, fd) < 0) {
		close(fd);
		return EXIT_RUNTIME;
	}
	return -1;
}

int
cmd_terminate(int argc, char **argv)
{
	_cleanup_close_ int dfd = -1;
	struct target *v = NULL;
	const char *user, *arg;
	size_t n = 0, refused = 0, left;
	unsigned wait_s;
	int r;

	if ((r = parse_args(argc, argv, &user, &wait_s, &arg)) >= 0)
		return r;
	dfd = sessions_open_dir();
	if (dfd < 0)
		return errno == ENOENT ? EXIT_NO : EXIT_RUNTIME;
	if ((r = find_targets(dfd, user, arg, &v, &n)) >= 0) {
		targets_free(v, n);
		return r;
	}
	/* Only a PID 1 proven to be the session's: a pid alone may be anyone's by now. */
	for (size_t i = 0; i < n; i++) {
		if (sessions_find_init(&v[i].rec, v[i].rfd, &v[i].init) < 0) {
			fprintf(stderr,
				"nsisolate: session %" PRIu64 ": no process here is its PID 1 (the "
				"record says pid %d): not signalling it\n",
				v[i].rec.id, (int)v[i].rec.init_pid);
			v[i].gone = true; /* nothing to wait for */
			refused++;
		} else if (pidfd_send_signal(v[i].init.pidfd, SIGTERM, NULL, 0) < 0) {
			v[i].gone = errno == ESRCH;
		}
	}
	left = wait_gone(v, n, (int64_t)wait_s * 1000);
	for (size_t i = 0; left && i < n; i++)
		if (!v[i].gone) {
			v[i].killed = true;
			(void)pidfd_send_signal(v[i].init.pidfd, SIGKILL, NULL, 0);
		}
	left = wait_gone(v, n, KILL_WAIT_S * 1000);
	for (size_t i = 0; i < n; i++) {
		if (v[i].init.pidfd < 0)
			continue;
		if (!v[i].gone) {
			fprintf(stderr,
				"nsisolate: session %" PRIu64 ": still there after SIGKILL\n",
				v[i].rec.id);
			continue;
		}
		if (v[i].killed)
			remove_if_stale(dfd, &v[i]);
		printf("session %" PRIu64 " of %s: ended%s\n", v[i].rec.id, v[i].rec.user,
		       v[i].killed ? " (SIGKILL to its PID 1 after the timeout)" : "");
	}
	targets_free(v, n);
	return left ? EXIT_RUNTIME : refused ? EXIT_NO : EXIT_OK;
}
