/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsisolate-helper: started by pam_nsisolate.so for every login it may isolate.  It reads the
 * configuration (the only place sessions parse it), decides, builds the session and becomes
 * - through a clone - its PID 1.  Not setuid: run by anyone but root it can do nothing, and
 * it stops before touching anything.
 */
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "../common/safepath.h"
#include "../conf/cache.h"
#include "helper.h"

/*
 * This binary is linked statically and must never use NSS (a static glibc would dlopen the
 * system's NSS modules).  libconfuse references getpwnam/getpwuid for "~" expansion, which
 * we never ask for; these definitions keep glibc's versions out and fail if ever reached.
 */
struct passwd *getpwnam(const char *name);
struct passwd *getpwuid(uid_t uid);
struct passwd *
getpwnam(const char *name)
{
	(void)name;
	errno = ENOSYS;
	return NULL;
}
struct passwd *
getpwuid(uid_t uid)
{
	(void)uid;
	errno = ENOSYS;
	return NULL;
}

int
send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 2)] = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfds > 2)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *c;

		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* MSG_NOSIGNAL: a peer that gave up must not kill us with SIGPIPE mid-cleanup. */
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPIPE;
}

void
send_reply_to(int fd, const struct nsi_reply *reply, const int *fds, size_t nfds)
{
	(void)send_with_fds(fd, reply, sizeof(*reply), fds, nfds);
}

void
send_reply(const struct nsi_reply *reply, const int *fds, size_t nfds)
{
	send_reply_to(NSI_CONTROL_FD, reply, fds, nfds);
}

/* What every reply says besides its verdict (NSI_REPLY_*). */
static uint32_t reply_flags;

static void
reply_init(struct nsi_reply *r, unsigned verdict)
{
	memset(r, 0, sizeof(*r));
	r->magic = NSI_REPLY_MAGIC;
	r->verdict = verdict;
	r->flags = reply_flags;
}

/* What die() does, by stage: see helper.h. */
static struct {
	enum conf_on_error on_error;
	void (*undo)(void *);
	void *arg;
} stage = {.on_error = CONF_ON_ERROR_DENY};

void
die_on_error(enum conf_on_error on_error)
{
	stage.on_error = on_error;
}

void
die_undo(void (*undo)(void *), void *arg)
{
	stage.undo = undo;
	stage.arg = arg;
}

void
die(const char *fmt, ...)
{
	struct nsi_reply r;
	va_list ap;

	reply_init(&r, NSI_FAIL);
	r.on_error = reply_on_error(stage.on_error);
	va_start(ap, fmt);
	(void)vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	va_end(ap);
	/* PID 1: no exit handlers, they are the first stage's (CLONE_VM). */
	if (stage.undo) {
		stage.undo(stage.arg);
		send_reply(&r, NULL, 0);
		_exit(HELPER_EXIT_FAIL);
	}
	send_reply(&r, NULL, 0);
	exit(HELPER_EXIT_FAIL);
}

_noreturn_ static void reply_ignore(const char *rule, const char *fmt, ...) _printf_(2, 3);
static void
reply_ignore(const char *rule, const char *fmt, ...)
{
	struct nsi_reply r;
	va_list ap;

	reply_init(&r, NSI_IGNORE);
	(void)xsnprintf(r.rule, sizeof(r.rule), "%s", rule);
	va_start(ap, fmt);
	(void)vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	va_end(ap);
	send_reply(&r, NULL, 0);
	exit(HELPER_EXIT_OK);
}

/* fd 3 must be the module's socket; anything else means we were not started by it. */
static bool
control_fd_ok(void)
{
	struct stat st;
	int type = 0;
	socklen_t len = sizeof(type);

	return fstat(NSI_CONTROL_FD, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       getsockopt(NSI_CONTROL_FD, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_SEQPACKET;
}

static struct conf *
load_config(const char *path, int run)
{
	_cleanup_close_ int cache = -1;
	struct conf_diags d;
	struct conf *c = NULL;
	char msg[400] = "", err[PATH_MAX + 64];
	size_t n = 0;

	if (conf_diags_init(&d, path) < 0)
		die("out of memory");
	/* A file is parsed once per change (conf/cache.c); no cache is no error. */
	if (run >= 0)
		cache = safe_private_dir(run, NSI_RUN_DIR, "cache", err, sizeof(err));
	if (conf_load_cached(path, 0, cache, &c, &d) == 0) {
		conf_diags_free(&d);
		return c;
	}
	/* An unreadable or invalid file says nothing we could trust, on_error included. */
	for (size_t i = 0; i < d.n && i < 3 && n < sizeof(msg); i++) {
		char one[sizeof(msg)];
		int w;

		/* "FILE:LINE: message": the file may be one of the drop-ins. */
		(void)conf_diag_format(&d, i, one, sizeof(one));
		w = snprintf(msg + n, sizeof(msg) - n, "%s%s", i ? "; " : "", one);
		if (w > 0)
			n += (size_t)w;
	}
	die("configuration refused: %s%s", msg, d.n > 3 ? " (more: nsisolate check)" : "");
}

int
main(int argc, char **argv)
{
	struct request req = {0};
	struct plan plan;
	struct conf *c;
	char host[256], err[512], rule[128], tag[sizeof(((struct nsi_reply *)0)->rule)];
	uint64_t nested_id = 0;
	int login_pidfd, run, r;
	pid_t ppid;

	/*
	 * Not setuid: without root there is nothing we could do, so do nothing.  Only the
	 * effective uid tells: su and sudo, run by a user, open the session with that user's
	 * real uid and euid 0, and a user can only give us euid 0 through such a program.
	 */
	if (geteuid() != 0) {
		fputs("nsisolate-helper: only pam_nsisolate.so, running as root, starts this "
		      "program\n",
		      stderr);
		return HELPER_EXIT_NOT_ROOT;
	}
	/*
	 * Root for real, first: with the caller's real uid, the user whose session this is
	 * could signal us and PID 1 (kill(2) looks at the real uid), and what we create would
	 * get their group.  (PID 1 drops the supplementary groups with its other privileges.)
	 */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		fprintf(stderr, "nsisolate-helper: cannot become root: %s\n", strerror(errno));
		return HELPER_EXIT_NOT_ROOT;
	}
	if (request_parse(argc, argv, &req) < 0 || !control_fd_ok()) {
		fputs("nsisolate-helper: started without the module's arguments or socket; see "
		      "pam_nsisolate(8)\n",
		      stderr);
		return HELPER_EXIT_USAGE;
	}
	umask(0);

	/* First the login process, before anything can make us miss its death. */
	ppid = getppid();
	login_pidfd = pidfd_open(ppid, 0);
	if (login_pidfd < 0 || getppid() != ppid)
		die("cannot watch the login process: %s", strerror(errno));

	/* Opened once, for the parse cache now and the session's state later (session_start). */
	run = safe_state_dir(NSI_RUN_DIR, err, sizeof(err));
	c = load_config(req.conf, run);
	host_short_name(host, sizeof(host));
	{
		struct identity id = {
			.name = req.user,
			.uid = req.uid,
			.gid = req.gid,
			.ngroups = req.ngroups,
			.group_names = req.groups,
			.service = req.service,
		};

		if (conf_resolve(c, &id, host, &plan, err, sizeof(err)) < 0) {
			die_on_error(plan.on_error);
			die("%s", err);
		}
	}
	/* In messages, the rule in words; in the reply and the record, its tag with FILE:LINE. */
	request_describe_rule(&plan, rule, sizeof(rule));
	request_rule_tag(&plan, tag, sizeof(tag));
	/*
	 * Before anything else looks at paths: inside a session they are overmounted.  Also
	 * for users left alone: the module tells su and sudo inside a session (root is exempt
	 * by default) how to reach systemd from there (pam_module/pam_nsisolate.c).
	 */
	r = session_is_nested(&nested_id);
	if (r > 0)
		reply_flags |= NSI_REPLY_IN_SESSION;
	if (plan.verdict == PLAN_EXEMPT)
		reply_ignore(tag, "%s", plan.why);
	if (plan.verdict == PLAN_DISABLED)
		reply_ignore(tag, "isolate = false (%s)", rule);
	if (r < 0)
		die("cannot tell whether this login is nested: %s", strerror(-r));
	if (r > 0 && plan.nested == CONF_NESTED_SKIP)
		reply_ignore(tag, "already inside isolated session %llu (nested = skip)",
			     (unsigned long long)nested_id);

	/* From here on a failure is the rule's to judge (on_error). */
	die_on_error(plan.on_error);
	session_start(&req, &plan, c, tag, login_pidfd, run, r > 0);
}
