/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A listener and a client for tests/e2e/net.sh, where a minimal Debian has neither (bash's
 * /dev/tcp only connects, and only over TCP):
 *
 *   netprobe serve ADDR TOKEN [COUNT]
 *                               listen on ADDR, print "ready", answer "TOKEN\n" to every
 *                               connection; after COUNT of them exit, else run until killed
 *   netprobe get ADDR           connect to ADDR and print the line it answers: exit 0; a
 *                               failed connect prints "connect: <error>" and exits 1, a
 *                               connection closed without a line prints "eof" and exits 2
 *
 * ADDR is tcp:IPV4:PORT, tcp6:IPV6:PORT (numeric), unix:PATH or unix:@NAME (abstract).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: netprobe serve ADDR TOKEN [COUNT] | netprobe get ADDR\n");
	exit(3);
}

/* ADDR into a socket address; exits on a malformed one. */
static socklen_t
parse_addr(const char *addr, struct sockaddr_storage *ret)
{
	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)ret;
		const char *path = addr + 5;
		size_t len = strlen(path);

		if (len == 0 || len >= sizeof(un->sun_path))
			usage();
		memset(un, 0, sizeof(*un));
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, len);
		/* "@NAME": the abstract name, a NUL byte then NAME, no terminator counted. */
		if (path[0] == '@') {
			un->sun_path[0] = '\0';
			return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
		}
		return (socklen_t)sizeof(*un);
	}
	if (strncmp(addr, "tcp:", 4) == 0 || strncmp(addr, "tcp6:", 5) == 0) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
		struct addrinfo *ai = NULL;
		char host[64];
		const char *h = strchr(addr, ':') + 1, *port = strrchr(addr, ':');
		socklen_t len;

		hints.ai_family = addr[3] == '6' ? AF_INET6 : AF_INET;
		if (port == h - 1 || (size_t)(port - h) >= sizeof(host))
			usage();
		memcpy(host, h, (size_t)(port - h));
		host[port - h] = '\0';
		if (getaddrinfo(host, port + 1, &hints, &ai) != 0 || !ai)
			usage();
		len = ai->ai_addrlen;
		memcpy(ret, ai->ai_addr, len);
		freeaddrinfo(ai);
		return len;
	}
	usage();
}

static int
serve(const char *addr, const char *token, long count)
{
	struct sockaddr_storage sa;
	socklen_t len = parse_addr(addr, &sa);
	int one = 1, fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return perror("socket"), 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		return perror("bind"), 1;
	if (listen(fd, 16) < 0)
		return perror("listen"), 1;
	printf("ready\n");
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	for (long n = 0; count == 0 || n < count;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		(void)!write(c, token, strlen(token));
		(void)!write(c, "\n", 1);
		close(c);
		n++;
	}
	return 0;
}

static int
get(const char *addr)
{
	struct sockaddr_storage sa;
	socklen_t len = parse_addr(addr, &sa);
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[256];
	size_t n = 0;

	alarm(10);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) < 0) {
		printf("connect: %s\n", strerror(errno));
		return 1;
	}
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0 || buf[n] == '\n')
			break;
		n++;
	}
	if (n == 0) {
		printf("eof\n");
		return 2;
	}
	buf[n] = '\0';
	printf("%s\n", buf);
	return 0;
}

int
main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], argv[3], argc == 5 ? strtol(argv[4], NULL, 10) : 0);
	if (argc == 3 && strcmp(argv[1], "get") == 0)
		return get(argv[2]);
	usage();
}
