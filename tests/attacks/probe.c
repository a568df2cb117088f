/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsitest-probe: the small tools the attack suites need and the shell has not got.
 *
 *   probe kcmp PID_A PID_B        fds of A and B that share an open file description
 *                                 (kcmp(2)); exit 0 none, 1 some, 2 cannot tell
 *   probe helper PATH [ARG]...    run PATH the way pam_nsisolate.so runs the helper (empty
 *                                 environment, a SOCK_SEQPACKET socket as fd 3) but keep
 *                                 stdout/stderr; print its reply and exit status
 *   probe fd3 TYPE CMD [ARG]...   exec CMD with a socket of TYPE (seqpacket|stream) on fd 3
 *   probe pam SERVICE USER [CMD...]  pam_start + pam_open_session, CMD (as root) inside
 *                                 the session, pam_close_session: print the result and every
 *                                 line the modules logged (syslog is captured); exit 0
 *                                 opened (and CMD succeeded), 1 refused (or CMD failed)
 *   probe race DIR VICTIM         the racer: until DIR/stop exists, keep trying to replace
 *                                 DIR/t by a symlink to /etc or to VICTIM, or by a directory
 *                                 of our own, and to move whatever is there away
 *   probe place SRC DST           rename SRC to DST, clearing whatever keeps appearing at
 *                                 DST (the racer's) first; root's side of the race
 *   probe dirent DIR NAME         the entry NAME as DIR's readdir(3) sees it: "ino=N type=T";
 *                                 for a mount point, the directory under the mount
 *   probe mq-create NAME          create a POSIX message queue; mq-open NAME: exit 0 if it
 *                                 exists here, 1 if not
 *   probe groups-add PREFIX N USER   N groups PREFIX0000.. with USER as member, written to
 *                                 /etc/group and /etc/gshadow in one go under lckpwdf(3)
 *   probe groups-del PREFIX       remove every group named PREFIX and four digits
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <mqueue.h>
#include <poll.h>
#include <shadow.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "../../common/protocol.h"

/* ---- syslog capture: libpam's pam_syslog lands here (the binary is linked -rdynamic) ---- */

static void
capture(const char *fmt, va_list ap)
{
	fputs("log: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

#include "../syslog_capture.h"

/* ---- kcmp ------------------------------------------------------------------------------- */

static int
list_fds(pid_t pid, int *fds, int max)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			fds[n++] = atoi(de->d_name);
	closedir(d);
	return n;
}

static void
fd_target(pid_t pid, int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, buf, size - 1);
	buf[n < 0 ? 0 : n] = '\0';
}

static int
cmd_kcmp(pid_t a, pid_t b)
{
	int fa[1024], fb[1024], na = list_fds(a, fa, 1024), nb = list_fds(b, fb, 1024);
	int shared = 0;

	if (na < 0 || nb < 0) {
		perror("probe kcmp: cannot list fds");
		return 2;
	}
	printf("pid %d: %d fds, pid %d: %d fds\n", (int)a, na, (int)b, nb);
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++) {
			long r = syscall(SYS_kcmp, a, b, KCMP_FILE, fa[i], fb[j]);
			char ta[256], tb[256];

			if (r < 0 && errno != EBADF) {
				perror("probe kcmp");
				return 2;
			}
			if (r != 0)
				continue;
			fd_target(a, fa[i], ta, sizeof(ta));
			fd_target(b, fb[j], tb, sizeof(tb));
			printf("shared: %d fd %d (%s) = %d fd %d (%s)\n", (int)a, fa[i], ta, (int)b,
			       fb[j], tb);
			shared++;
		}
	return shared ? 1 : 0;
}

/* ---- helper / fd3 ----------------------------------------------------------------------- */

static int
socket_on_3(int type, int *ret_mine)
{
	int sv[2], theirs;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* Both ends above 3 first: either may have been given fd 3 itself. */
	*ret_mine = fcntl(sv[0], F_DUPFD_CLOEXEC, 10);
	theirs = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
	close(sv[0]);
	close(sv[1]);
	if (*ret_mine < 0 || theirs < 0 || dup2(theirs, 3) < 0) /* dup2: 3 without CLOEXEC */
		return -1;
	close(theirs);
	return 0;
}

static int
cmd_helper(char **argv)
{
	static char *const empty_env[] = {NULL};
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct nsi_reply reply;
	struct iovec iov = {.iov_base = &reply, .iov_len = sizeof(reply)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct pollfd p;
	int mine, status;
	ssize_t n;
	pid_t pid;

	if (socket_on_3(SOCK_SEQPACKET, &mine) < 0) {
		perror("probe helper: socket");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, empty_env);
		_exit(127);
	}
	close(3);
	p = (struct pollfd){.fd = mine, .events = POLLIN};
	memset(&reply, 0, sizeof(reply));
	if (poll(&p, 1, 20000) > 0 && (n = recvmsg(mine, &msg, MSG_CMSG_CLOEXEC)) > 0) {
		reply.msg[sizeof(reply.msg) - 1] = '\0';
		printf("reply: verdict=%s init_pid=%d msg=%s\n",
		       reply.verdict == NSI_READY    ? "ready"
		       : reply.verdict == NSI_IGNORE ? "ignore"
		       : reply.verdict == NSI_FAIL   ? "fail"
						     : "?",
		       (int)reply.init_pid, reply.msg);
	} else {
		printf("reply: none\n");
	}
	fflush(stdout);
	/* Closing our end ends a session the helper may have built (PID 1 sees EOF). */
	close(mine);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	printf("exit=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static int
cmd_fd3(const char *type, char **argv)
{
	int mine;

	if (socket_on_3(strcmp(type, "stream") == 0 ? SOCK_STREAM : SOCK_SEQPACKET, &mine) < 0) {
		perror("probe fd3");
		return 2;
	}
	execvp(argv[0], argv);
	perror("probe fd3: exec");
	return 127;
}

/* ---- pam -------------------------------------------------------------------------------- */

static int
conv(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
	(void)d, (void)r;
	for (int i = 0; i < n; i++)
		printf("conv: %s\n", m[i]->msg);
	return PAM_CONV_ERR;
}

static int
cmd_pam(const char *service, const char *user, char **cmd)
{
	struct pam_conv c = {conv, NULL};
	pam_handle_t *pamh = NULL;
	int r = pam_start(service, user, &c, &pamh), status = 0;

	if (r != PAM_SUCCESS) {
		printf("pam_start: %s\n", pam_strerror(pamh, r));
		return 2;
	}
	r = pam_open_session(pamh, 0);
	printf("open: %d %s\n", r, pam_strerror(pamh, r));
	fflush(stdout);
	if (r == PAM_SUCCESS && cmd[0]) {
		pid_t pid = fork();

		if (pid == 0) {
			execvp(cmd[0], cmd);
			_exit(127);
		}
		while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		printf("cmd exit=%d\n", pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 255);
		fflush(stdout);
	}
	if (r == PAM_SUCCESS)
		(void)pam_close_session(pamh, 0);
	pam_end(pamh, r);
	return r == PAM_SUCCESS && status == 0 ? 0 : 1;
}

/* ---- race ------------------------------------------------------------------------------- */

static int
cmd_race(const char *dir, const char *victim)
{
	unsigned long rounds = 0;
	struct stat st;

	if (chdir(dir) < 0) {
		perror("probe race");
		return 2;
	}
	/* Every call may fail (the sticky bit, root's directory in the way): that is the point. */
	while (stat("stop", &st) < 0) {
		unsigned kind = (unsigned)(rounds++ % 3);

		/* Move root's directory away (the sticky bit forbids it), or clear our own. */
		if (rename("t", "t.old") == 0)
			(void)rmdir("t.old"), (void)unlink("t.old");
		(void)unlink("t");
		(void)rmdir("t");
		/* Then put ours there in one step: a symlink to /etc, to VICTIM, or a directory. */
		if (kind == 2)
			(void)mkdir("t.new", 0755);
		else
			(void)symlink(kind == 0 ? "/etc" : victim, "t.new");
		(void)rename("t.new", "t");
		(void)unlink("t.new");
		(void)rmdir("t.new");
		usleep(500);
	}
	printf("racer: %lu rounds\n", rounds);
	return 0;
}

static int
cmd_place(const char *src, const char *dst)
{
	for (int i = 0; i < 100000; i++) {
		if (rename(src, dst) == 0)
			return 0;
		(void)unlink(dst);
		(void)rmdir(dst);
	}
	perror("probe place");
	return 1;
}

/* ---- dirent ----------------------------------------------------------------------------- */

static int
cmd_dirent(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, name) == 0) {
			printf("ino=%llu type=%s\n", (unsigned long long)de->d_ino,
			       de->d_type == DT_DIR   ? "dir"
			       : de->d_type == DT_LNK ? "symlink"
						      : "other");
			closedir(d);
			return 0;
		}
	printf("ino=0 type=none\n");
	if (d)
		closedir(d);
	return 1;
}

/* ---- POSIX message queues --------------------------------------------------------------- */

static int
cmd_mq(bool create, const char *name)
{
	struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 16};
	mqd_t q = create ? mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0666, &a)
			 : mq_open(name, O_RDONLY);

	if (q == (mqd_t)-1) {
		printf("mq %s: %s\n", name, strerror(errno));
		return 1;
	}
	printf("mq %s: %s\n", name, create ? "created" : "exists");
	mq_close(q);
	return 0;
}

/* ---- many groups at once ---------------------------------------------------------------- */

/* Rewrite `path` without the lines of groups named PREFIX*, plus `add` (may be NULL). */
static int
rewrite(const char *path, const char *prefix, const char *add)
{
	char tmp[PATH_MAX], line[65536];
	size_t plen = strlen(prefix);
	struct stat st;
	FILE *in, *out;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.nsitest-%d", path, (int)getpid());
	in = fopen(path, "re");
	if (!in || fstat(fileno(in), &st) < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	if (fd < 0 || fchown(fd, st.st_uid, st.st_gid) < 0 || !(out = fdopen(fd, "w"))) {
		fclose(in);
		return -1;
	}
	/* Ours: exactly PREFIX followed by four digits, nothing that merely starts alike. */
	while (fgets(line, sizeof(line), in))
		if (strncmp(line, prefix, plen) != 0 || strspn(line + plen, "0123456789") != 4 ||
		    line[plen + 4] != ':')
			fputs(line, out);
	if (add)
		fputs(add, out);
	fclose(in);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0 ||
	    rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static bool
gid_used(gid_t gid)
{
	char line[65536];
	FILE *f = fopen("/etc/group", "re");
	bool used = false;

	while (f && !used && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		used = p && (gid_t)strtoul(p + 1, NULL, 10) == gid;
	}
	if (f)
		fclose(f);
	return used;
}

static int
cmd_groups(const char *prefix, int n, const char *user)
{
	size_t cap = (size_t)(n > 0 ? n : 1) * 256;
	char *grp = calloc(1, cap), *gsh = calloc(1, cap);
	gid_t base = 0;
	int r;

	if (!grp || !gsh)
		return 2;
	if (user)
		for (base = 61000; base < 200000; base += 1000) {
			bool free_block = true;

			for (int i = 0; i < n && free_block; i++)
				free_block = !gid_used(base + (gid_t)i);
			if (free_block)
				break;
		}
	for (int i = 0; user && i < n; i++) {
		size_t a = strlen(grp), b = strlen(gsh);

		snprintf(grp + a, cap - a, "%s%04d:x:%u:%s\n", prefix, i, (unsigned)(base + i),
			 user);
		snprintf(gsh + b, cap - b, "%s%04d:!::%s\n", prefix, i, user);
	}
	/* The lock every shadow tool (useradd, groupadd, ...) takes before writing. */
	if (lckpwdf() < 0) {
		perror("probe groups: lckpwdf");
		return 2;
	}
	r = rewrite("/etc/group", prefix, user ? grp : NULL);
	if (r == 0)
		r = rewrite("/etc/gshadow", prefix, user ? gsh : NULL);
	ulckpwdf();
	if (r < 0)
		perror("probe groups: rewrite");
	free(grp);
	free(gsh);
	return r < 0 ? 2 : 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "kcmp") == 0)
		return cmd_kcmp((pid_t)atoi(argv[2]), (pid_t)atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "helper") == 0)
		return cmd_helper(argv + 2);
	if (argc >= 4 && strcmp(argv[1], "fd3") == 0)
		return cmd_fd3(argv[2], argv + 3);
	if (argc >= 4 && strcmp(argv[1], "pam") == 0)
		return cmd_pam(argv[2], argv[3], argv + 4);
	if (argc == 4 && strcmp(argv[1], "race") == 0)
		return cmd_race(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "place") == 0)
		return cmd_place(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "dirent") == 0)
		return cmd_dirent(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "mq-create") == 0)
		return cmd_mq(true, argv[2]);
	if (argc == 3 && strcmp(argv[1], "mq-open") == 0)
		return cmd_mq(false, argv[2]);
	if (argc == 5 && strcmp(argv[1], "groups-add") == 0 && strncmp(argv[2], "nsitest", 7) == 0)
		return cmd_groups(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 3 && strcmp(argv[1], "groups-del") == 0 && strncmp(argv[2], "nsitest", 7) == 0)
		return cmd_groups(argv[2], 0, NULL);
	fputs("usage: see the comment at the top of tests/attacks/probe.c\n", stderr);
	return 2;
}
