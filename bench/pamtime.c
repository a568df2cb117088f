/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pamtime: the benchmark's login program.  Opens and closes sessions through PAM stacks, with a
 * forked child standing in for the user's shell, and reports percentiles of pam_open_session,
 * pam_close_session and the whole session, in ms.  Several cases run interleaved (every case
 * once per round, in a random order), so that their ratios hold on a machine whose load
 * changes; the floor (bench/floor.c, a program of its own) is a case like the others.
 *
 *   pamtime -s SERVICE -u USER [-n N] [-d CONFDIR]       one PAM stack, human-readable
 *   pamtime [OPTIONS] CASE...                           several stacks, interleaved
 *
 * CASE: LABEL=pam:SERVICE:USER, or LABEL=run:PROGRAM[,ARG[,ARG]] (a program that does one session
 * itself and prints "open close session" in ms: bench/floor), each optionally followed by
 * @NS, a mount namespace made with -m.
 *   -d CONFDIR        PAM services from CONFDIR (pam_start_confdir), not /etc/pam.d
 *   -n N              rounds (default 50); -w N warm-up rounds, not counted (default 3)
 *   -m NS=COUNT:DIR   a mount namespace with COUNT more mounts (DIR bound on itself)
 *   -H COUNT:SERVICE:USER
 *                     run the cases (labels LABEL/0); then hold COUNT sessions open in
 *                     another login process, report their memory, and run the cases
 *                     again (labels LABEL/held);
 *                     -M N: report the memory when N are open, too
 *   -j JOBS:SERVICE:PREFIX
 *                     JOBS login processes open a session at the same moment, N rounds;
 *                     process i logs in user PREFIX<i>
 *
 * Output, one line per result (bench/run.sh makes the table of them):
 *   lat LABEL N  open p50 p90 p99  close p50 p90 p99  session p50 p90 p99
 *   mem COUNT  pid1-pss-p50 pid1-pss-max kernel-per-session login-process-per-session (KiB)
 *   conc JOBS N  open p50 p90 p99  session p50  logins-per-second
 *
 * Everything happens in a mount namespace of its own, cut off from the host's and shared
 * among its own descendants (like a systemd host): no mount of ours or of the sessions can
 * reach the machine's mount table.  Orphans (the sessions' PID 1s) are reaped here.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define MAX_CASES 32
#define MAX_NS	  8

/* One session, in ms: pam_open_session, pam_close_session, open to close with a child. */
struct sample {
	double open, close, session;
};

struct bcase {
	char label[64];
	const char *service, *user; /* a PAM stack */
	char *run[4];		    /* or a program that times its own session, and its args */
	int ns;			    /* index into ns_fd, or -1 for the base namespace */
	struct sample *s;
	int n;
};

/* The login process's own namespaces, to come back to after each session. */
static struct {
	int mnt, ipc, uts, pid;
} base;

static bool in_scratch, legacy;
static const char *confdir;
static int ns_fd[MAX_NS];
static char ns_name[MAX_NS][32];
static int n_ns;

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

_Noreturn static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("pamtime: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int
conversation(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
	(void)d;
	for (int i = 0; i < n; i++)
		if (m[i]->msg_style != PAM_ERROR_MSG && m[i]->msg_style != PAM_TEXT_INFO)
			return PAM_CONV_ERR;
	*r = NULL;
	return PAM_SUCCESS;
}

static struct pam_conv conv = {conversation, NULL};

static pam_handle_t *
start(const char *service, const char *user)
{
	pam_handle_t *pamh = NULL;
	int r = confdir ? pam_start_confdir(service, user, &conv, confdir, &pamh)
			: pam_start(service, user, &conv, &pamh);

	if (r != PAM_SUCCESS)
		die("pam_start %s: %s", service, pam_strerror(pamh, r));
	return pamh;
}

static void
restore_base(void)
{
	if (setns(base.mnt, CLONE_NEWNS) < 0 || setns(base.ipc, CLONE_NEWIPC) < 0 ||
	    setns(base.uts, CLONE_NEWUTS) < 0 || setns(base.pid, CLONE_NEWPID) < 0)
		die("cannot return to the base namespaces: %m");
}

/* Reap the sessions' PID 1s (we are their subreaper); tell whether `watch` was among them. */
static bool
reap(pid_t watch)
{
	bool seen = false;
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		seen |= pid == watch;
	return seen;
}

static void
pam_session(const struct bcase *c, struct sample *ret)
{
	pam_handle_t *pamh = start(c->service, c->user);
	double t0, t1, t2, t3;
	int r, status;
	pid_t pid;

	t0 = now_ms();
	r = pam_open_session(pamh, 0);
	t1 = now_ms();
	if (r != PAM_SUCCESS)
		die("%s: pam_open_session: %s", c->label, pam_strerror(pamh, r));
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		die("%s: fork: %m", c->label);
	t2 = now_ms();
	r = pam_close_session(pamh, 0);
	t3 = now_ms();
	pam_end(pamh, r);
	if (r != PAM_SUCCESS)
		die("%s: pam_close_session failed", c->label);
	*ret = (struct sample){.open = t1 - t0, .close = t3 - t2, .session = t3 - t0};
}

/* The program prints its own times: what runs it is not part of them. */
static void
run_session(const struct bcase *c, struct sample *ret)
{
	posix_spawn_file_actions_t fa;
	char *envp[] = {NULL}, buf[128];
	int out[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		die("pipe2: %m");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (posix_spawn(&pid, c->run[0], &fa, NULL, c->run, envp) != 0)
		die("cannot run %s", c->run[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	close(out[0]);
	if (waitpid(pid, &status, 0) != pid || status != 0 || n <= 0)
		die("%s failed", c->run[0]);
	buf[n] = '\0';
	if (sscanf(buf, "%lf %lf %lf", &ret->open, &ret->close, &ret->session) != 3)
		die("%s printed '%s'", c->run[0], buf);
}

static void
one(const struct bcase *c, struct sample *ret)
{
	if (c->ns >= 0 && setns(ns_fd[c->ns], CLONE_NEWNS) < 0)
		die("setns %s: %m", ns_name[c->ns]);
	if (c->run[0])
		run_session(c, ret);
	else
		pam_session(c, ret);
	/* pam_namespace leaves us in its mount namespace; a case may have moved us to another. */
	restore_base();
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
percentiles(double *v, int n, double out[3])
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	out[0] = v[n / 2];
	out[1] = v[n * 9 / 10];
	out[2] = v[n * 99 / 100];
}

static void
report(const struct bcase *c, const char *suffix)
{
	double *v = calloc((size_t)c->n, sizeof(double)), o[3], cl[3], s[3];

	if (!v)
		die("out of memory");
	for (int i = 0; i < c->n; i++)
		v[i] = c->s[i].open;
	percentiles(v, c->n, o);
	for (int i = 0; i < c->n; i++)
		v[i] = c->s[i].close;
	percentiles(v, c->n, cl);
	for (int i = 0; i < c->n; i++)
		v[i] = c->s[i].session;
	percentiles(v, c->n, s);
	free(v);
	if (legacy) {
		printf("open     p50 %8.3f  p90 %8.3f  p99 %8.3f  ms\n", o[0], o[1], o[2]);
		printf("close    p50 %8.3f  p90 %8.3f  p99 %8.3f  ms\n", cl[0], cl[1], cl[2]);
		printf("session  p50 %8.3f  p90 %8.3f  p99 %8.3f  ms\n", s[0], s[1], s[2]);
		return;
	}
	printf("lat %s%s %d  %.3f %.3f %.3f  %.3f %.3f %.3f  %.3f %.3f %.3f\n", c->label, suffix,
	       c->n, o[0], o[1], o[2], cl[0], cl[1], cl[2], s[0], s[1], s[2]);
	fflush(stdout);
}

/* xorshift64, fixed seed: the same orders on every run. */
static unsigned
next_random(unsigned n)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (unsigned)(x % n);
}

/*
 * Every case once per round, in a new random order each round: no case always runs first,
 * and none always follows the same one (whose PID 1 may still be tearing its session down:
 * that cost, real at every logout, falls on all cases alike).
 */
static void
run_cases(struct bcase *cases, int n, int rounds, int warmup, const char *suffix)
{
	int order[MAX_CASES];

	for (int i = 0; i < n; i++) {
		cases[i].n = 0;
		free(cases[i].s);
		cases[i].s = calloc((size_t)rounds, sizeof(struct sample));
		if (!cases[i].s)
			die("out of memory");
	}
	for (int r = 0; r < warmup + rounds; r++) {
		for (int i = 0; i < n; i++)
			order[i] = i;
		for (int i = n - 1; i > 0; i--) {
			int j = (int)next_random((unsigned)i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < n; i++) {
			struct bcase *c = &cases[order[i]];
			struct sample s;

			one(c, &s);
			if (r >= warmup)
				c->s[c->n++] = s;
			(void)reap(0);
		}
	}
	for (int i = 0; i < n; i++)
		report(&cases[i], suffix);
}

/* ---- where everything runs ------------------------------------------------------------------ */

static void
enter_scratch(void)
{
	if (in_scratch)
		return;
	in_scratch = true;
	/* The sessions' PID 1s are orphaned when the helper's first stage exits: reap them here. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die("subreaper: %m");
	if (unshare(CLONE_NEWNS) < 0)
		die("unshare: %m");
	/* Cut every tie with the host's mounts first; then share among our own namespaces. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		die("cannot set up the scratch mount namespace: %m");
	base.mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	base.ipc = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	base.uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	base.pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (base.mnt < 0 || base.ipc < 0 || base.uts < 0 || base.pid < 0)
		die("cannot open our namespaces: %m");
}

/* NS=COUNT:DIR: a copy of the base namespace with COUNT more mounts, DIR bound on itself. */
static void
make_ns(char *spec)
{
	char *eq = strchr(spec, '='), *colon = eq ? strchr(eq, ':') : NULL, *end;
	long count;

	if (!eq || !colon || n_ns == MAX_NS || (size_t)(eq - spec) >= sizeof(ns_name[0]))
		die("bad -m %s", spec);
	*eq = *colon = '\0';
	count = strtol(eq + 1, &end, 10);
	if (*end || count < 0)
		die("bad mount count %s", eq + 1);
	snprintf(ns_name[n_ns], sizeof(ns_name[0]), "%s", spec);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("unshare: %m");
	for (long i = 0; i < count; i++)
		if (mount(colon + 1, colon + 1, NULL, MS_BIND, NULL) < 0)
			die("mount %ld on %s: %m", i, colon + 1);
	if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		die("mount --make-rshared: %m");
	ns_fd[n_ns] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (ns_fd[n_ns] < 0)
		die("open ns: %m");
	n_ns++;
	restore_base();
}

static void
parse_case(char *spec, struct bcase *c)
{
	char *at = strrchr(spec, '@'), *eq = strchr(spec, '='), *kind;

	*c = (struct bcase){.ns = -1};
	if (!eq || (size_t)(eq - spec) >= sizeof(c->label))
		die("bad case %s", spec);
	if (at) {
		*at++ = '\0';
		for (int i = 0; i < n_ns; i++)
			if (strcmp(ns_name[i], at) == 0)
				c->ns = i;
		if (c->ns < 0)
			die("no mount namespace %s (-m)", at);
	}
	*eq = '\0';
	snprintf(c->label, sizeof(c->label), "%s", spec);
	kind = eq + 1;
	if (strncmp(kind, "run:", 4) == 0) {
		c->run[0] = kind + 4;
		for (int i = 1; i < 3 && c->run[i - 1]; i++) {
			c->run[i] = strchr(c->run[i - 1], ',');
			if (c->run[i])
				*c->run[i]++ = '\0';
		}
	} else if (strncmp(kind, "pam:", 4) == 0 && strchr(kind + 4, ':')) {
		c->service = kind + 4;
		c->user = strchr(kind + 4, ':') + 1;
		*strchr(kind + 4, ':') = '\0';
		/* Keep the stack's modules loaded for the whole run: pam_end would unload them. */
		(void)start(c->service, c->user);
	} else {
		die("bad case %s", kind);
	}
}

/* ---- memory of held sessions, and logins while they are held --------------------------------- */

static long
meminfo_kib(const char *path, const char *const keys[])
{
	char buf[8192], *p;
	long sum = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (int i = 0; keys[i]; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\n%s:", keys[i]);
		p = strstr(buf, want);
		if (p)
			sum += strtol(p + strlen(want), NULL, 10);
	}
	return sum;
}

static const char *const kernel_keys[] = {"Slab", "KernelStack", "PageTables", NULL};
static const char *const pss_keys[] = {"Pss", NULL};

/* While joined: the session's id is the inode of our mount namespace; its record has PID 1. */
static pid_t
session_pid1(int procfd)
{
	char path[128], buf[4096], *p;
	struct stat st;
	ssize_t n;
	int fd;

	/*
	 * Our /proc/self dangles once joined (docs/kernel-facts.md, 'setns and /proc/self'): use
	 * the host's proc, opened before.
	 */
	if (fstatat(procfd, "self/ns/mnt", &st, 0) < 0)
		die("stat ns: %m");
	snprintf(path, sizeof(path), "/run/nsisolate/sessions/%lu", (unsigned long)st.st_ino);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		die("no record %s", path);
	buf[n] = '\0';
	p = strstr(buf, "\npid=");
	return p ? (pid_t)strtol(p + 5, NULL, 10) : 0;
}

/*
 * What `n` idle sessions cost: PSS of each PID 1 (p50 and max), and per session the kernel's
 * own memory (slab, kernel stacks, page tables: namespaces, mounts, tmpfs, processes) and
 * the login process's growth, from the totals before the first one was opened.
 */
static void
report_memory(int n, const pid_t *pid1, long kernel0, long login0)
{
	double *pss = calloc((size_t)n, sizeof(double)), p[3];
	long kernel = meminfo_kib("/proc/meminfo", kernel_keys);
	long login = meminfo_kib("/proc/self/smaps_rollup", pss_keys);

	if (!pss)
		die("out of memory");
	for (int i = 0; i < n; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid1[i]);
		pss[i] = (double)meminfo_kib(path, pss_keys);
	}
	percentiles(pss, n, p);
	printf("mem %d  %.0f %.0f  %.1f %.1f\n", n, p[0], pss[n - 1],
	       (double)(kernel - kernel0) / n, (double)(login - login0) / n);
	fflush(stdout);
	free(pss);
}

/*
 * The holding login process: open `count` sessions (reporting their memory when `mem_at`
 * and when all are open), then wait for the word to close them.
 */
_Noreturn static void
holder(int count, int mem_at, const char *service, const char *user, int cmd, int done)
{
	pam_handle_t **h = calloc((size_t)count, sizeof(*h));
	struct rlimit rl = {.rlim_cur = 16 * (rlim_t)count + 1024,
			    .rlim_max = 16 * (rlim_t)count + 1024};
	pid_t *pid1 = calloc((size_t)count, sizeof(pid_t));
	int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	long kernel0, login0;
	char c;

	if (!h || !pid1 || procfd < 0 || setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("holder: %m");
	kernel0 = meminfo_kib("/proc/meminfo", kernel_keys);
	login0 = meminfo_kib("/proc/self/smaps_rollup", pss_keys);
	for (int i = 0; i < count; i++) {
		int r;

		h[i] = start(service, user);
		r = pam_open_session(h[i], 0);
		if (r != PAM_SUCCESS)
			die("holding session %d: %s", i, pam_strerror(h[i], r));
		pid1[i] = session_pid1(procfd);
		restore_base(); /* or the next login would be nested in this one */
		if (i + 1 == mem_at || i + 1 == count) {
			/* PID 1s give their setup's memory back just after answering. */
			usleep(500 * 1000);
			report_memory(i + 1, pid1, kernel0, login0);
		}
	}
	if (write(done, "", 1) != 1 || read(cmd, &c, 1) < 0)
		die("holder: %m");
	for (int i = 0; i < count; i++)
		pam_end(h[i], pam_close_session(h[i], 0));
	exit(0);
}

static void
hold_and_run(char *spec, int mem_at, struct bcase *cases, int n, int rounds, int warmup)
{
	char *service = strchr(spec, ':'), *user = service ? strchr(service + 1, ':') : NULL, c;
	int cmd[2], done[2], count = atoi(spec), status;
	pid_t pid;

	if (!user || count < 1)
		die("bad -H %s", spec);
	*service++ = *user++ = '\0';
	if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		die("pipe: %m");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(cmd[1]);
		close(done[0]);
		holder(count, mem_at, service, user, cmd[0], done[1]);
	}
	close(cmd[0]);
	close(done[1]);
	if (pid < 0 || read(done[0], &c, 1) != 1)
		die("the holding process failed");
	run_cases(cases, n, rounds, warmup, "/held");
	close(cmd[1]); /* EOF: close them all */
	if (!reap(pid) && waitpid(pid, &status, 0) != pid)
		die("waitpid: %m");
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/* ---- concurrent logins ---------------------------------------------------------------------- */

static void
concurrent(char *spec, int rounds)
{
	char *service = strchr(spec, ':'), *prefix = service ? strchr(service + 1, ':') : NULL;
	int jobs = atoi(spec), go[2], done[2];
	double *t, wall = 0, o[3], s[3];
	struct sample *all;

	if (!prefix || jobs < 1)
		die("bad -j %s", spec);
	*service++ = *prefix++ = '\0';
	{
		char user0[64];

		/* Keep the stack's modules loaded in every login process (see parse_case). */
		snprintf(user0, sizeof(user0), "%s0", prefix);
		(void)start(service, user0);
	}
	all = mmap(NULL, sizeof(*all) * (size_t)(jobs * rounds), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	t = calloc((size_t)(jobs * rounds), sizeof(double));
	if (all == MAP_FAILED || !t || pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		die("concurrent: %m");
	fflush(stdout);
	for (int j = 0; j < jobs; j++) {
		char user[64];
		struct bcase c = {.service = service, .user = user, .ns = -1};

		snprintf(user, sizeof(user), "%s%d", prefix, j);
		snprintf(c.label, sizeof(c.label), "%s", user);
		if (fork() != 0)
			continue;
		for (int r = 0; r < rounds + 1; r++) {
			char b;
			struct sample smp;

			if (read(go[0], &b, 1) != 1)
				_exit(1);
			one(&c, &smp);
			if (r > 0)
				all[j * rounds + r - 1] = smp;
			if (write(done[1], "", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	/* Round 0 warms up.  A round: release every process at once, wait for all of them. */
	for (int r = 0; r < rounds + 1; r++) {
		double t0 = now_ms();

		for (int j = 0; j < jobs; j++)
			if (write(go[1], "", 1) != 1)
				die("go: %m");
		for (int j = 0; j < jobs; j++) {
			struct pollfd p = {.fd = done[0], .events = POLLIN};
			char b;

			if (poll(&p, 1, 120000) != 1 || read(done[0], &b, 1) != 1)
				die("a login process failed or hung");
		}
		if (r > 0)
			wall += now_ms() - t0;
		(void)reap(0);
	}
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	for (int i = 0; i < jobs * rounds; i++)
		t[i] = all[i].open;
	percentiles(t, jobs * rounds, o);
	for (int i = 0; i < jobs * rounds; i++)
		t[i] = all[i].session;
	percentiles(t, jobs * rounds, s);
	printf("conc %d %d  %.3f %.3f %.3f  %.3f  %.1f\n", jobs, rounds, o[0], o[1], o[2], s[0],
	       jobs * rounds / (wall / 1e3));
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char *service = NULL, *user = NULL, *hold = NULL, *jobs = NULL;
	struct bcase cases[MAX_CASES];
	int rounds = 50, warmup = 3, n = 0, mem_at = 0, ch;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "s:u:n:w:d:m:H:M:j:")) != -1) {
		switch (ch) {
		case 's':
			service = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'd':
			/* Absolute: every setns(CLONE_NEWNS) moves us to "/". */
			confdir = realpath(optarg, NULL);
			if (!confdir)
				die("%s: %m", optarg);
			break;
		case 'm':
			enter_scratch();
			make_ns(optarg);
			break;
		case 'H':
			hold = optarg;
			break;
		case 'M':
			mem_at = atoi(optarg);
			break;
		case 'j':
			jobs = optarg;
			break;
		default:
			return 2;
		}
	}
	if (rounds < 1 || warmup < 0 || (!service != !user) ||
	    (!service && optind == argc && !jobs && !hold)) {
		fprintf(stderr,
			"usage: pamtime -s SERVICE -u USER [-n N] [-d CONFDIR]\n"
			"       pamtime [-d CONFDIR] [-n N] [-w N] [-m NS=COUNT:DIR]... "
			"[-H COUNT:SERVICE:USER [-M N]] [-j JOBS:SERVICE:PREFIX] CASE...\n");
		return 2;
	}
	enter_scratch();
	if (jobs) {
		concurrent(jobs, rounds);
		return 0;
	}
	if (service) {
		char spec[512];

		snprintf(spec, sizeof(spec), "session=pam:%s:%s", service, user);
		parse_case(strdup(spec), &cases[n++]);
		legacy = optind == argc && !hold;
	}
	for (; optind < argc && n < MAX_CASES; optind++)
		parse_case(argv[optind], &cases[n++]);
	/* With -H, the same cases before (LABEL/0) and while (LABEL/held) sessions are open. */
	run_cases(cases, n, rounds, warmup, hold ? "/0" : "");
	if (hold)
		hold_and_run(hold, mem_at, cases, n, rounds, warmup);
	return 0;
}
