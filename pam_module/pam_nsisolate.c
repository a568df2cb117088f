/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_nsisolate: a session module that moves the login process into an isolated session
 * built by nsisolate-helper.  A thin client inside someone else's process (sshd, login, su):
 * it gathers the user, runs the helper, joins the namespaces with one setns(2) and maps the
 * result to a PAM code.  It never parses the configuration, never exits, never waits for
 * the session's processes, and changes nothing in the login process before that one setns.
 *
 *   session required pam_nsisolate.so [conf=FILE] [helper=PATH] [debug]
 */
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <syslog.h>
#include <time.h>

#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "../common/paths.h"
#include "../common/util.h"
#include "module.h"

#define PUBLIC	 __attribute__((visibility("default")))
#define DATA_KEY "pam_nsisolate:session"

static int
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	*a = (struct args){.conf = NSI_CONF_PATH, .helper = NSI_HELPER_PATH};
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0 && argv[i][5] == '/')
			a->conf = argv[i] + 5;
		else if (strncmp(argv[i], "helper=", 7) == 0 && argv[i][7] == '/')
			a->helper = argv[i] + 7;
		else if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else {
			/* A misspelt argument must not quietly turn isolation off. */
			pam_syslog(
				pamh, LOG_ERR,
				"unknown or invalid argument '%s' (conf= and helper= take absolute "
				"paths); refusing the session",
				argv[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* pam_end: only close fds.  It also runs in forked children (su, login) and in sudo's opener. */
static void
cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh, (void)error_status;
	join_close_fds(data);
	free(data);
}

/*
 * The user manager's session: not joined here (see unit.c), but named in the PAM
 * environment, which systemd hands to the unit's program, nsisolate-usermgr.
 */
static int
publish_session(pam_handle_t *pamh, const struct state *st, char *err, size_t errlen)
{
	char env[64];

	if (xsnprintf(env, sizeof(env), "NSISOLATE_SESSION=%" PRIu64, st->id) < 0 ||
	    pam_putenv(pamh, env) != PAM_SUCCESS)
		return fail_errno(-ENOMEM, "cannot set NSISOLATE_SESSION in the PAM environment");
	return 0;
}

/*
 * systemctl (systemd 254 and later) talks to systemd through its private socket and gives up
 * when the peer's pid is hidden, as it is from inside a PID namespace; with
 * SYSTEMCTL_FORCE_BUS=1 it goes through D-Bus, which works from there.  PID 1 of the
 * session also covers the private socket, for systemctl versions that fall back by
 * themselves.  Set for the user's session, and for su or sudo run inside one (where sudo's
 * env_reset has dropped it): the PAM environment reaches their commands.
 */
static void
systemd_bus_hint(pam_handle_t *pamh)
{
	(void)pam_putenv(pamh, "SYSTEMCTL_FORCE_BUS=1");
}

/*
 * A session we will not use: end PID 1, remove its record (it dies holding the lock),
 * forget it.  The one way out of open_session once the helper has built a session.
 */
static void
abandon(struct state *st)
{
	/* A shared session has other logins: this one only leaves (PID 1 sees its socket close). */
	if (!st->shared) {
		(void)pidfd_send_signal(st->pidfd, SIGKILL, NULL, 0);
		(void)join_remove_record(st, false);
	}
	join_close_fds(st);
	free(st);
}

static int
refuse_or_allow(pam_handle_t *pamh, uint32_t on_error, const char *user, const char *what)
{
	/* The wire's NSI_ON_ERROR_ALLOW and nothing else: 0, deny or a stray number refuse. */
	if (nsi_on_error_allows(on_error)) {
		pam_syslog(
			pamh, LOG_WARNING,
			"isolation failed for user %s, continuing without it (on_error = allow): "
			"%s",
			user, what);
		return PAM_IGNORE;
	}
	pam_syslog(pamh, LOG_ERR, "refusing the session of user %s: %s", user, what);
	/*
	 * Not PAM_SESSION_ERR: sudo runs the command anyway on that one (docs/kernel-facts.md,
	 * 'sudo and PAM_SESSION_ERR').
	 */
	return PAM_SYSTEM_ERR;
}

/* The login being opened: PAM's items, and the user as NSS knows them. */
struct login {
	const char *user, *service, *tty, *rhost;
	char safe[64];	/* the user name, fit for the log */
	char audit[16]; /* the audit session id, "" if none */
	struct user_info u;
};

static const char *
item(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	return pam_get_item(pamh, type, &v) == PAM_SUCCESS ? v : NULL;
}

/* Fill l, or refuse the login (logged here) with the PAM code returned. */
static int
describe_login(pam_handle_t *pamh, struct login *l)
{
	gid_t bad_gid;
	int r;

	l->user = item(pamh, PAM_USER);
	if (!l->user || !*l->user) {
		pam_syslog(pamh, LOG_ERR, "no user name; refusing the session");
		return PAM_SYSTEM_ERR;
	}
	l->service = item(pamh, PAM_SERVICE);
	l->tty = item(pamh, PAM_TTY);
	l->rhost = item(pamh, PAM_RHOST);
	(void)log_safe(l->user, l->safe, sizeof(l->safe));
	logline_audit_session(l->audit, sizeof(l->audit));

	/*
	 * Every group, or no session: the configuration matches groups by name, and a group
	 * NSS failed to name would quietly give the user another group's or the top level's
	 * rule.  Always refused, whatever on_error says: it is only known to the helper.
	 */
	r = user_info_lookup_gid(l->user, &l->u, &bad_gid);
	if (r < 0 && bad_gid != (gid_t)-1) {
		pam_syslog(pamh, LOG_ERR,
			   "cannot look up group %u of user %s: %s; refusing the session",
			   (unsigned)bad_gid, l->safe, strerror(-r));
		return PAM_SYSTEM_ERR;
	}
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot look up user %s: %s; refusing the session",
			   l->safe, strerror(-r));
		return PAM_SYSTEM_ERR;
	}
	return PAM_SUCCESS;
}

/*
 * Ask the helper.  PAM_SUCCESS when it built a session, which st then holds; otherwise the
 * PAM code the login gets (logged here).
 */
static int
ask_helper(pam_handle_t *pamh, const struct args *a, const struct login *l, struct nsi_reply *reply,
	   struct state *st)
{
	int fds[2] = {-1, -1}, control = -1, r;
	char msg[700];

	r = spawn_helper(a, &l->u, l->service ? l->service : "unknown", l->tty, l->rhost, reply,
			 fds, &control);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot run %s: %s; refusing the session of user %s",
			   a->helper, strerror(-r), l->safe);
		return PAM_SYSTEM_ERR;
	}
	if (reply->flags & NSI_REPLY_IN_SESSION)
		systemd_bus_hint(pamh);
	(void)log_safe(reply->msg, msg, sizeof(msg));
	if (reply->verdict == NSI_IGNORE) {
		if (a->debug)
			pam_syslog(pamh, LOG_DEBUG, "not isolating user %s: %s", l->safe, msg);
		closep(&control);
		return PAM_IGNORE;
	}
	if (reply->verdict != NSI_READY) {
		closep(&control);
		return refuse_or_allow(pamh, reply->on_error, l->safe, msg);
	}
	*st = (struct state){
		.opener = getpid(),
		.pidfd = fds[0],
		.control_fd = control,
		.root_fd = fds[1],
		.clone_ns = reply->clone_ns,
		.id = reply->session_id,
		.uid = l->u.uid,
		.init_pid = reply->init_pid,
		.shared = reply->flags & NSI_REPLY_SHARED,
	};
	join_saved_init(&st->saved);
	return PAM_SUCCESS;
}

/*
 * Join the session (for the user manager: name it) and remember it for close_session.  A
 * systemd unit with PAMName= other than the user manager is refused: its program would run
 * outside the session's PID namespace (unit.c).
 */
static int
use_session(pam_handle_t *pamh, struct state *st, const char *service, char *err, size_t errlen)
{
	enum opener kind = opener_kind(service ? service : "");
	int r;

	if (kind == OPENER_UNIT) {
		(void)xsnprintf(err, errlen,
				"the session is opened by a systemd unit with PAMName=, whose "
				"program would run outside the session's PID namespace; run 'su - "
				"USER' or 'nsisolate run -u USER' in the unit instead");
		return -EPERM;
	}
	st->detached = kind == OPENER_USER_MANAGER;
	r = st->detached ? publish_session(pamh, st, err, errlen) : join_session(st, err, errlen);
	if (r == 0 && pam_set_data(pamh, DATA_KEY, st, cleanup) != PAM_SUCCESS) {
		/* Joined but cannot remember it: undo the join, or we could never leave. */
		if (!st->detached)
			(void)join_restore(st);
		r = fail_errno(-ENOMEM, "pam_set_data failed");
	}
	return r;
}

/*
 * The open line, key=value in a fixed order: pam_nsisolate(8), LOG MESSAGES, is the stable
 * format, and says what each key means.
 */
static void
log_opened(pam_handle_t *pamh, const struct state *st, const struct login *l,
	   const struct nsi_reply *reply, const struct timespec *t0)
{
	char buf[2048];
	struct logline line;

	logline_init(&line, buf, sizeof(buf));
	logline_add(&line, "event", "open");
	logline_add(&line, "user", l->user);
	logline_addf(&line, "uid", "%u", (unsigned)st->uid);
	logline_add(&line, "service", l->service);
	logline_add(&line, "tty", l->tty);
	logline_add(&line, "rhost", l->rhost);
	logline_add_rule(&line, reply->rule);
	logline_addf(&line, "session", "%" PRIu64, reply->session_id);
	logline_addf(&line, "init_pid", "%d", (int)reply->init_pid);
	logline_add(&line, "logind", pam_getenv(pamh, "XDG_SESSION_ID"));
	logline_add(&line, "audit", l->audit[0] ? l->audit : NULL);
	/* The user manager's session is built for nsisolate-usermgr to enter, not joined. */
	logline_add(&line, "joined", st->detached ? "no" : "yes");
	logline_add(&line, "shared", st->shared ? "yes" : "no");
	logline_addf(&line, "open_ms", "%.1f", ms_since(t0));
	/* A shared session: whether this login built it or joined it, and why it built it. */
	if (st->shared && reply->msg[0])
		logline_add(&line, "note", reply->msg);
	pam_syslog(pamh, LOG_INFO, "%s", buf);
}

/* The close line.  `gone`: PID 1 had exited before the login ended. */
static void
log_closed(pam_handle_t *pamh, const struct state *st, bool gone)
{
	struct timespec now;
	char buf[1024];
	struct logline line;

	clock_gettime(CLOCK_BOOTTIME, &now);
	logline_init(&line, buf, sizeof(buf));
	logline_add(&line, "event", "close");
	logline_add(&line, "user", item(pamh, PAM_USER));
	logline_addf(&line, "uid", "%u", (unsigned)st->uid);
	logline_add(&line, "service", item(pamh, PAM_SERVICE));
	logline_addf(&line, "session", "%" PRIu64, st->id);
	logline_addf(&line, "init_pid", "%d", (int)st->init_pid);
	logline_addf(&line, "duration_s", "%lld", (long long)(now.tv_sec - st->opened.tv_sec));
	/*
	 * logout: PID 1 is asked to end the session now; left: a shared session's login left
	 * it, and it goes on while others remain; gone: it had ended before.
	 */
	logline_add(&line, "end", gone ? "gone" : st->shared ? "left" : "logout");
	pam_syslog(pamh, LOG_INFO, "%s", buf);
}

PUBLIC int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *old = NULL;
	struct login l = {0};
	struct nsi_reply reply;
	struct timespec t0;
	struct state *st;
	struct args a;
	char err[700];
	int r;

	(void)flags;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (parse_args(pamh, argc, argv, &a) < 0)
		return PAM_SERVICE_ERR;
	if (pam_get_data(pamh, DATA_KEY, &old) == PAM_SUCCESS && old) {
		pam_syslog(pamh, LOG_WARNING, "session already isolated in this PAM handle");
		return PAM_SUCCESS;
	}
	r = describe_login(pamh, &l);
	if (r != PAM_SUCCESS)
		return r;
	/* Before the helper: once a session exists, every way out is abandon(). */
	st = calloc(1, sizeof(*st));
	r = st ? ask_helper(pamh, &a, &l, &reply, st) : PAM_SYSTEM_ERR;
	if (!st)
		pam_syslog(pamh, LOG_ERR, "out of memory; refusing the session of user %s", l.safe);
	user_info_free(&l.u);
	if (r != PAM_SUCCESS) {
		free(st);
		return r;
	}
	r = use_session(pamh, st, l.service, err, sizeof(err));
	if (r < 0) {
		abandon(st);
		return refuse_or_allow(pamh, reply.on_error, l.safe, err);
	}
	/* Not for the user manager: its own processes share its PID namespace, and its
	 * dbus.socket asks it over the bus that very socket is to provide. */
	if ((reply.clone_ns & CLONE_NEWPID) && !st->detached)
		systemd_bus_hint(pamh);
	clock_gettime(CLOCK_BOOTTIME, &st->opened);
	log_opened(pamh, st, &l, &reply, &t0);
	return PAM_SUCCESS;
}

PUBLIC int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	struct state *st;
	struct args a;
	bool dead;
	int r;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) < 0)
		return PAM_SERVICE_ERR;
	if (pam_get_data(pamh, DATA_KEY, &data) != PAM_SUCCESS || !data)
		return PAM_SUCCESS; /* nothing was isolated */
	st = (struct state *)data;
	/*
	 * Only the process that joined closes; su and login also call this after fork.  A
	 * session built for the user manager was never joined: systemd closes it from its
	 * "(sd-pam)" process, a fork of the opener, once the manager has exited.
	 */
	if (st->closed || (getpid() != st->opener && !st->detached))
		return PAM_SUCCESS;
	r = st->detached ? 0 : join_restore(st);
	if (r < 0)
		pam_syslog(pamh, LOG_WARNING, "cannot return to the original namespaces: %s",
			   strerror(-r));
	/* Before the signal below: a PID 1 that was alive must not look gone as it exits. */
	dead = join_remove_record(st, true);
	log_closed(pamh, st, dead);
	/*
	 * Ask PID 1 to end the session and never wait for it: its exit waits for sshd to reap its
	 * user child, which sshd does only after we return (docs/kernel-facts.md, 'PID 1's exit
	 * waits for its namespace to be reaped').  Through the pidfd, so
	 * no SIGPIPE and no pid reuse.  Last, the log line included: PID 1 may take the CPU as
	 * soon as it is woken (so may the close of our socket, if it is the last copy).
	 */
	/*
	 * A shared session is not ours to end: closing our socket tells PID 1 that this login
	 * is over, and the last login's close ends it (or leaves it lingering).
	 */
	if (!st->shared)
		(void)pidfd_send_signal(st->pidfd, SIGTERM, NULL, 0);
	join_close_fds(st);
	st->closed = true;
	return PAM_SUCCESS;
}
