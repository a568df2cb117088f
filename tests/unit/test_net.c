/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for helper/net.c: in a network namespace of a child's own (with a user
 * namespace where the test is not root), `lo` is down and loopback unreachable until
 * net_lo_up(); after it `lo` is up with 127.0.0.1 (and ::1 where IPv6 is on), and a TCP
 * connection over it works.  Where the kernel refuses the namespaces (a chroot, or turned
 * off), those cases skip.  The failures are made with a wrapped ioctl (-Wl,--wrap=ioctl) and
 * end in the test's own die(), which keeps the message and jumps back.
 */
#include "../../helper/net.c"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/wait.h>

/* The helper's die() answers the module and exits; here it keeps the message and jumps back. */
static jmp_buf died_jmp;
static char died[256];

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(died, sizeof(died), fmt, ap);
	va_end(ap);
	longjmp(died_jmp, 1);
}

/* 0, or 1 if net_lo_up() died (the message in `died`). */
static int
lo_up(void)
{
	died[0] = '\0';
	if (setjmp(died_jmp))
		return 1;
	net_lo_up();
	return 0;
}

/* The ioctl request to fail, and with which errno; 0: none. */
static unsigned long fail_request;
static int fail_errno;

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

int
__wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fail_request && request == fail_request) {
		errno = fail_errno;
		return -1;
	}
	return __real_ioctl(fd, request, arg);
}

/* A TCP listener on 127.0.0.1, a connection to it: 0, or the connect's errno. */
static int
loopback_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	_cleanup_close_ int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0)
		return errno ? errno : EIO;
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno;
	return 0;
}

/* Bit 0: lo up; bit 1: 127.0.0.1 on lo; bit 2: ::1 on lo; bit 3: an interface but lo. */
static int
interfaces(void)
{
	struct ifaddrs *ifa = NULL;
	int seen = 0;

	if (getifaddrs(&ifa) < 0)
		return -1;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") != 0) {
			seen |= 8;
			continue;
		}
		if (i->ifa_flags & IFF_UP)
			seen |= 1;
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			seen |= 2;
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			seen |= 4;
	}
	freeifaddrs(ifa);
	return seen;
}

static bool
ipv6_on(void)
{
	char c = '1';
	_cleanup_close_ int fd =
		open("/proc/sys/net/ipv6/conf/lo/disable_ipv6", O_RDONLY | O_CLOEXEC);

	return fd >= 0 && read(fd, &c, 1) == 1 && c == '0';
}

/* In the child: a network namespace of its own, checked before and after.  77: none here. */
static int
child_cases(void)
{
	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return 77;
	/* A new namespace: lo alone, down, no address; loopback unreachable. */
	if (interfaces() != 0)
		return 10;
	if (loopback_connect() != ENETUNREACH)
		return 11;
	if (lo_up() != 0)
		return 12;
	if (interfaces() != (ipv6_on() ? 7 : 3))
		return 13;
	if (loopback_connect() != 0)
		return 14;
	/* Once more on an interface already up: nothing changes. */
	if (lo_up() != 0 || interfaces() != (ipv6_on() ? 7 : 3))
		return 15;
	return 0;
}

static void
test_lo_up(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_cases());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
expect_failure(unsigned long request, int e, const char *msg)
{
	int r;

	fail_request = request;
	fail_errno = e;
	r = lo_up();
	fail_request = 0;
	assert_int_equal(r, 1);
	assert_string_equal(died, msg);
}

static void
test_failures(void **state)
{
	(void)state;
	expect_failure(SIOCGIFFLAGS, ENODEV, "cannot read the flags of 'lo': No such device");
	expect_failure(SIOCSIFFLAGS, EPERM, "cannot bring up 'lo': Operation not permitted");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lo_up),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
