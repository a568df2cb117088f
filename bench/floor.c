/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floor [--net] [NOOP]: the kernel work of one session and nothing else, in a small static
 * program (like the helper: its clone copies a small address space, not the login program's).
 * clone3 of the four namespaces with a pidfd; the child, the session's PID 1, makes / a
 * slave, mounts a tmpfs on /tmp, /var/tmp and /dev/shm and a fresh /proc, sets the hostname,
 * says "ready" through a pipe and waits for SIGTERM.  We save fds of our own namespaces,
 * join with one setns(pidfd), fork and reap a "shell", go back to our own namespaces and
 * signal PID 1 without waiting.  With --net, a network namespace too, whose `lo` PID 1
 * brings up (helper/net.c's one ioctl), joined and left like the others.  With NOOP, first one posix_spawn and wait of that static
 * no-op program: the one exec a design with a static helper cannot avoid.  Prints "open
 * close session" in ms, like pamtime.
 *
 * bench/pamtime runs it once per round, interleaved with the PAM stacks.  Its mounts are made
 * in the child's own mount namespace, a slave before the first one: nothing reaches ours.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_NS (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

_Noreturn static void
fail(const char *what)
{
	perror(what);
	exit(1);
}

/* `lo` up in a new network namespace, as the helper does it. */
static int
lo_up(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;

	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* PID 1 of the floor's session: the mounts and the hostname, then wait to be told to go. */
_Noreturn static void
floor_pid1(int ready, const sigset_t *term, bool net)
{
	static const char *const dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
	int sig;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		_exit(1);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mount("floor", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
			_exit(2);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    sethostname("floor", 5) < 0)
		_exit(3);
	if (net && lo_up() < 0)
		_exit(5);
	if (write(ready, "", 1) != 1)
		_exit(4);
	close(ready);
	/* SIGTERM is blocked (a namespace's PID 1 drops unblocked default signals): wait for it. */
	(void)sigwait(term, &sig);
	_exit(0);
}

static void
run_noop(const char *exe)
{
	char *argv[] = {(char *)exe, NULL}, *envp[] = {NULL};
	pid_t pid;
	int status;

	if (posix_spawn(&pid, exe, NULL, NULL, argv, envp) != 0)
		fail(exe);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		fail(exe);
}

int
main(int argc, char **argv)
{
	struct clone_args args = {.flags = CLONE_PIDFD | FLOOR_NS, .exit_signal = SIGCHLD};
	int pidfd = -1, ready[2], status, saved[5] = {-1, -1, -1, -1, -1};
	bool net = argc > 1 && strcmp(argv[1], "--net") == 0;
	double t0, t1, t2, t3;
	sigset_t term, old;
	pid_t pid;
	char c;

	if (net) {
		args.flags |= CLONE_NEWNET;
		argc--;
		argv++;
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);

	t0 = now_ms();
	if (argc > 1)
		run_noop(argv[1]);
	/* Our own namespaces, to come back to at close: a session one cannot leave is not one. */
	saved[0] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	saved[1] = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	saved[2] = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	saved[3] = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (net)
		saved[4] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved[0] < 0 || saved[1] < 0 || saved[2] < 0 || saved[3] < 0 || (net && saved[4] < 0))
		fail("open /proc/self/ns");
	if (pipe2(ready, O_CLOEXEC) < 0)
		fail("pipe2");
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	sigprocmask(SIG_BLOCK, &term, &old);
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(ready[0]);
		floor_pid1(ready[1], &term, net);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		fail("clone3");
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		fail("the floor's PID 1 failed its setup");
	close(ready[0]);
	if (setns(pidfd, (int)(args.flags & ~(uint64_t)CLONE_PIDFD)) < 0)
		fail("setns");
	t1 = now_ms();

	/* The user's shell: forked into the session, exits at once. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		fail("fork in the session");
	t2 = now_ms();

	if (setns(saved[0], CLONE_NEWNS) < 0 || setns(saved[1], CLONE_NEWIPC) < 0 ||
	    setns(saved[2], CLONE_NEWUTS) < 0 || setns(saved[3], CLONE_NEWPID) < 0 ||
	    (net && setns(saved[4], CLONE_NEWNET) < 0))
		fail("setns back");
	(void)pidfd_send_signal(pidfd, SIGTERM, NULL, 0);
	close(pidfd);
	t3 = now_ms();
	printf("%.3f %.3f %.3f\n", t1 - t0, t3 - t2, t3 - t0);
	return 0;
}
