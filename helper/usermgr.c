/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsisolate-usermgr: puts the systemd user manager of an isolated user inside that user's
 * session.
 *
 *   ExecStart=/usr/libexec/nsisolate/nsisolate-usermgr /usr/lib/systemd/systemd --user
 *
 * The package's drop-in for user@.service runs this in front of `systemd --user`.  systemd
 * opens the unit's PAM session (service "systemd-user") in the very process that then execs
 * the unit's program, and a process never changes its own PID namespace: pam_nsisolate
 * therefore builds the session there without joining it, and names it in the PAM
 * environment as NSISOLATE_SESSION=<id>.  This program, exec'd in that process, already as
 * the user, with the capabilities the drop-in grants it as ambient ones (CAP_SYS_ADMIN for
 * setns, CAP_SYS_CHROOT, CAP_DAC_READ_SEARCH for the root-only record), enters the session,
 * forks, and the child, with no capability left, execs the manager: it is born inside the
 * session's PID namespace.  The parent stays as the unit's main process: it drops every
 * capability, passes on the signals systemd sends it and exits with the manager's status.
 *
 * Without NSISOLATE_SESSION (the user is exempt, or the module is not in the systemd-user
 * stack) it drops its capabilities and execs the manager as systemd would have.
 */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>

#include "../common/join.h"
#include "../common/record.h"
#include "../common/util.h"

#define ENV_NAME "NSISOLATE_SESSION"

static _noreturn_ _printf_(1, 2) void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(LOG_AUTHPRIV | LOG_ERR, fmt, ap);
	va_end(ap);
	_exit(EXIT_FAILURE);
}

/* No capability in any set, and none to come back at exec: the manager is the user's. */
static void
drop_caps(void)
{
	_cleanup_(cap_free) cap_t none = cap_init();

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 || !none ||
	    cap_set_proc(none) < 0)
		die("nsisolate-usermgr: cannot drop capabilities: %m");
}

/*
 * The session named by the module: a record of root's, of this very user, whose PID 1 is
 * the process we get a pidfd of.  Checked because this process holds CAP_SYS_ADMIN: it must
 * enter nothing but the user's own session.  The pid in the record could have been reused
 * if PID 1 had died; but PID 1 holds the record's lock for as long as it lives, so a lock
 * still held after pidfd_open() proves that the pidfd is PID 1's.  (Its /proc/PID/ns links
 * are out of our reach: PID 1 is not dumpable and we may not trace it.)
 */
static int
session_pidfd(const char *id, struct session_record *rec)
{
	_cleanup_close_ int dir = -1, fd = -1, pidfd = -1;
	struct stat st;
	uint64_t v;

	if (parse_uint(id, UINT64_MAX, &v) < 0)
		die("nsisolate-usermgr: invalid %s '%.32s'", ENV_NAME, id);
	dir = record_open_sessions_dir();
	if (dir < 0 || fstat(dir, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077))
		die("nsisolate-usermgr: cannot open %s: %m", NSI_SESSIONS_DIR);
	if (record_read(dir, id, 0, rec, &fd) < 0 || rec->id != v)
		die("nsisolate-usermgr: no session %s", id);
	if (rec->uid != getuid())
		die("nsisolate-usermgr: session %s is not a session of uid %u", id,
		    (unsigned)getuid());
	pidfd = (int)pidfd_open(rec->init_pid, 0);
	if (pidfd < 0 || !record_alive(fd))
		die("nsisolate-usermgr: session %s has ended", id);
	return steal_fd(pidfd);
}

/*
 * The manager's own directory, $XDG_RUNTIME_DIR/systemd, becomes a tmpfs of the session's:
 * its private socket is then out of sight of the user's login sessions.  systemctl --user
 * tries that socket first and checks the peer's pid there, which a login session (another
 * PID namespace) cannot see: it would fail with "No data available" instead of falling
 * back to the user's D-Bus, which works from any PID namespace.  The directory is the
 * user's: opened without following a symlink and mounted on by fd, so the tmpfs lands on
 * that directory or nowhere, inside the user's own runtime directory (a tmpfs of its own,
 * out of which nothing can be renamed), and only in this session's mount namespace.
 */
static void
private_manager_dir(void)
{
	_cleanup_close_ int run = -1, dir = -1, fs = -1, m = -1;
	char uid[16], opts[64];
	struct stat st;

	(void)xsnprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	run = open("/run/user", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run < 0 || fstat(run, &st) < 0 || st.st_uid != 0)
		die("nsisolate-usermgr: /run/user is missing or not root's");
	dir = openat(run, uid, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 || fstat(dir, &st) < 0 || st.st_uid != getuid())
		die("nsisolate-usermgr: no runtime directory /run/user/%s of this user", uid);
	if (mkdirat(dir, "systemd", 0755) < 0 && errno != EEXIST)
		die("nsisolate-usermgr: cannot create /run/user/%s/systemd: %m", uid);
	closep(&run);
	run = steal_fd(dir);
	dir = openat(run, "systemd", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		die("nsisolate-usermgr: cannot open /run/user/%s/systemd: %m", uid);
	(void)xsnprintf(opts, sizeof(opts), "%u", (unsigned)getgid());
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", "nsisolate", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "uid", uid, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "gid", opts, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "16M", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die("nsisolate-usermgr: cannot make a tmpfs: %m");
	m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (m < 0 ||
	    move_mount(m, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die("nsisolate-usermgr: cannot mount on /run/user/%s/systemd: %m", uid);
}

static pid_t child;

static void
forward(int sig)
{
	if (child > 0)
		(void)kill(child, sig);
}

/*
 * The parent keeps CAP_KILL alone, for one signal: when the manager has exited, it asks the
 * session's PID 1 (real uid 0, out of the user's reach otherwise) to end the session, and
 * waits for it, before it exits itself.  Once the main process is gone systemd SIGKILLs the
 * rest of the unit, PID 1 included, which would leave its record behind.  The kept
 * capability cannot be turned against anything else: the signal goes through the pidfd
 * of that PID 1, and a process holding a capability its user lacks cannot be traced.
 */
static void
keep_only_kill(void)
{
	_cleanup_(cap_free) cap_t c = cap_init();
	const cap_value_t kill_cap = CAP_KILL;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 || !c ||
	    cap_set_flag(c, CAP_EFFECTIVE, 1, &kill_cap, CAP_SET) < 0 ||
	    cap_set_flag(c, CAP_PERMITTED, 1, &kill_cap, CAP_SET) < 0 || cap_set_proc(c) < 0)
		die("nsisolate-usermgr: cannot drop capabilities: %m");
}

/*
 * Is the session's PID 1 in our unit's cgroup, that is, did this unit's PAM session build it?
 * Read before we enter it (its /proc has no entry for us or for PID 1's outer pid), and
 * checked against the pidfd: the pid was still PID 1's after the read.  /proc/PID/cgroup is
 * world-readable; anything we cannot read says yes, the careful answer (see main).
 */
static bool
pid1_in_our_cgroup(pid_t pid, int pidfd)
{
	char path[32], ours[512], its[512];
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	_cleanup_close_ int a = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC), b = -1;
	ssize_t na, nb;

	(void)xsnprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	b = open(path, O_RDONLY | O_CLOEXEC);
	if (a < 0 || b < 0)
		return true;
	na = read(a, ours, sizeof(ours));
	nb = read(b, its, sizeof(its));
	if (na <= 0 || nb <= 0 || na == (ssize_t)sizeof(ours) || poll(&p, 1, 0) != 0)
		return true;
	return na == nb && memcmp(ours, its, (size_t)na) == 0;
}

static void
end_session(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH)
		syslog(LOG_WARNING, "cannot end the session: %m");
	/* PID 1 gives what is left kill_timeout seconds; the manager's services are gone. */
	while (poll(&p, 1, 10000) < 0 && errno == EINTR)
		;
	drop_caps();
}

int
main(int argc, char **argv)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT};
	struct session_record rec;
	struct sigaction sa = {.sa_handler = forward};
	const char *id = getenv(ENV_NAME);
	char err[256];
	sigset_t mask, old;
	int pidfd, status;
	bool own;

	openlog("nsisolate-usermgr", LOG_PID, LOG_AUTHPRIV);
	if (argc < 2 || argv[1][0] != '/')
		die("usage: nsisolate-usermgr /PATH/TO/PROGRAM [ARG]...");
	if (!id) {
		drop_caps();
		execv(argv[1], argv + 1);
		die("nsisolate-usermgr: cannot run %s: %m", argv[1]);
	}
	pidfd = session_pidfd(id, &rec);
	/*
	 * A shared session (share = user) is not the manager's alone: when it exits, it leaves
	 * (PID 1 sees this process, the login's, go), unless the session's PID 1 runs in our
	 * unit's cgroup, which systemd kills as soon as we are gone: then we end the session,
	 * every login of it, in order (nsisolate.conf(5), SHARE).
	 */
	own = !rec.shared || pid1_in_our_cgroup(rec.init_pid, pidfd);
	/* The user manager's services must not inherit the name. */
	(void)unsetenv(ENV_NAME);
	/* As a login joins it (common/join.c); systemd never runs a user manager chrooted. */
	if (join_enter(pidfd, rec.init_pid, rec.clone_ns, -1, NULL, err, sizeof(err)) < 0)
		die("nsisolate-usermgr: cannot enter session %s: %s", id, err);
	if (chdir("/") < 0)
		die("nsisolate-usermgr: chdir: %m");
	private_manager_dir();
	/* The signals to pass on stay blocked until the child exists, so none is lost. */
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		sigaddset(&mask, sigs[i]);
		(void)sigaction(sigs[i], &sa, NULL);
	}
	(void)sigprocmask(SIG_BLOCK, &mask, &old);
	child = fork();
	if (child < 0)
		die("nsisolate-usermgr: fork: %m");
	if (child == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
			(void)signal(sigs[i], SIG_DFL);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		close(pidfd);
		drop_caps();
		execv(argv[1], argv + 1);
		die("nsisolate-usermgr: cannot run %s: %m", argv[1]);
	}
	keep_only_kill();
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	syslog(LOG_INFO, "user manager of uid %u started in session %s, pid %d", (unsigned)getuid(),
	       id, (int)child);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die("nsisolate-usermgr: waitpid: %m");
	if (own)
		end_session(pidfd);
	else
		drop_caps();
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
