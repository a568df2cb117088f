/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PAM-level tests: the built pam_nsisolate.so loaded with dlopen and driven through real
 * libpam handles, as root, with the built helper.  Checks the codes the module returns, what
 * it logs (syslog is captured: this program defines the functions libpam calls), and that the
 * calling process - the login program - sees no surprise: no child left, signal state and fd
 * count unchanged, its own namespaces back after close.
 *
 * Environment: NSI_BUILD = the build directory (default "build").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <regex.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#define USER	"nsitestpam"
#define SERVICE "nsitest-pam"

typedef int (*sm_fn)(pam_handle_t *, int, int, const char **);

static char W[128];
static void *module;
static sm_fn sm_open, sm_close;
static char logbuf[16384];

/* ---- syslog capture: libpam's pam_syslog ends up here instead of in /dev/log ---------- */

static void
capture(const char *fmt, va_list ap)
{
	size_t n = strlen(logbuf);

	if (n + 2 < sizeof(logbuf)) {
		vsnprintf(logbuf + n, sizeof(logbuf) - n - 1, fmt, ap);
		strcat(logbuf, "\n");
	}
}

#include "../syslog_capture.h"

static char *read_file(const char *path, char *buf, size_t size);

/* ---- fixtures -------------------------------------------------------------------------- */

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
write_conf(const char *name, mode_t mode, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/%s", W, name);
	unlink(path);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
conv(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
	(void)n, (void)m, (void)r, (void)d;
	return PAM_CONV_ERR;
}

static pam_handle_t *
handle(const char *user)
{
	static struct pam_conv c = {conv, NULL};
	char confdir[256];
	pam_handle_t *pamh = NULL;

	snprintf(confdir, sizeof(confdir), "%s/pam.d", W);
	assert_int_equal(pam_start_confdir(SERVICE, user, &c, confdir, &pamh), PAM_SUCCESS);
	return pamh;
}

/* Module arguments: conf=W/etc/NAME helper=W/bin/nsisolate-helper, plus extra. */
static int
args(const char *conf, const char *extra, const char **argv, char bufs[3][256])
{
	int n = 0;

	snprintf(bufs[0], 256, "conf=%s/etc/%s", W, conf);
	snprintf(bufs[1], 256, "helper=%s/bin/nsisolate-helper", W);
	argv[n++] = bufs[0];
	argv[n++] = bufs[1];
	if (extra)
		argv[n++] = extra;
	return n;
}

static int
open_with(pam_handle_t *pamh, const char *conf, const char *extra)
{
	const char *argv[3];
	char bufs[3][256];
	int argc = args(conf, extra, argv, bufs);

	int r;

	logbuf[0] = '\0';
	r = sm_open(pamh, 0, argc, argv);
	if (getenv("NSI_TEST_VERBOSE"))
		fprintf(stderr, "open(%s) = %d: %s", conf, r, logbuf);
	return r;
}

/*
 * The success path goes through libpam's own stack (pam_open_session): pam_set_data, which a
 * joined session needs, refuses calls that do not come from a module that libpam called.
 */
static int
stack_open(pam_handle_t *pamh)
{
	logbuf[0] = '\0';
	return pam_open_session(pamh, 0);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Records of our test user only: other suites may run sessions at the same time. */
static int
count_records(void)
{
	DIR *d = opendir("/run/nsisolate/sessions");
	struct passwd *pw = getpwnam(USER);
	struct dirent *de;
	char want[32], path[300], buf[8192];
	int n = 0;

	if (!d || !pw) {
		if (d)
			closedir(d);
		return 0;
	}
	snprintf(want, sizeof(want), "\nuid=%u\n", (unsigned)pw->pw_uid);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/nsisolate/sessions/%s", de->d_name);
		n += strstr(read_file(path, buf, sizeof(buf)), want) != NULL;
	}
	closedir(d);
	return n;
}

static void
wait_no_records(void)
{
	for (int i = 0; i < 100 && count_records() > 0; i++)
		usleep(50000);
	assert_int_equal(count_records(), 0);
}

static char *
read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static const char good_conf[] = "hostname = \"pamtest\"\n"
				"private \"/tmp\" { type = session }\n";

static int
setup(void **state)
{
	const char *build = getenv("NSI_BUILD") ? getenv("NSI_BUILD") : "build";
	char path[256];

	(void)state;
	if (geteuid() != 0)
		return 0;
	snprintf(W, sizeof(W), "/srv/nsitest-pam-%d", (int)getpid());
	if (sh("mkdir -p -m 0755 %s/bin %s/etc %s/pam.d && install -m 0755 %s/pam_nsisolate.so "
	       "%s/nsisolate-helper %s/bin/ && (userdel -r " USER
	       " >/dev/null 2>&1; useradd -m " USER ")",
	       W, W, W, build, build, W) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pam.d/" SERVICE, W);
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f,
		"session required %s/bin/pam_nsisolate.so conf=%s/etc/good.conf helper=%s/bin/"
		"nsisolate-helper\n",
		W, W, W);
	fclose(f);
	write_conf("good.conf", 0644, good_conf);
	snprintf(path, sizeof(path), "%s/bin/pam_nsisolate.so", W);
	module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!module)
		return -1;
	sm_open = (sm_fn)dlsym(module, "pam_sm_open_session");
	sm_close = (sm_fn)dlsym(module, "pam_sm_close_session");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	if (module)
		dlclose(module);
	sh("uid=$(id -u " USER " 2>/dev/null) && userdel -r " USER " >/dev/null 2>&1; "
	   "[ -n \"$uid\" ] && rm -rf /var/lib/nsisolate/$uid /run/nsisolate/users/$uid; "
	   "grep -laF %s/ /run/nsisolate/cache/*.conf 2>/dev/null | xargs -r rm -f; rm -rf %s",
	   W, W);
	return 0;
}

#define NEED_ROOT()                 \
	do {                        \
		if (geteuid() != 0) \
			skip();     \
	} while (0)

/* ---- tests ----------------------------------------------------------------------------- */

static void
test_exports(void **state)
{
	(void)state;
	NEED_ROOT();
	assert_non_null(sm_open);
	assert_non_null(sm_close);
	/* A session module only: nothing else is exported. */
	assert_null(dlsym(module, "pam_sm_authenticate"));
	assert_null(dlsym(module, "user_info_lookup"));
	assert_null(dlsym(module, "parse_uint"));
}

static void
test_unknown_argument_refuses(void **state)
{
	pam_handle_t *pamh;

	(void)state;
	NEED_ROOT();
	pamh = handle(USER);
	assert_int_equal(open_with(pamh, "good.conf", "debgu"), PAM_SERVICE_ERR);
	assert_non_null(strstr(logbuf, "unknown or invalid argument 'debgu'"));
	pam_end(pamh, PAM_SUCCESS);
}

static void
test_relative_path_argument_refuses(void **state)
{
	const char *argv[] = {"conf=etc/x.conf"};
	pam_handle_t *pamh;

	(void)state;
	NEED_ROOT();
	pamh = handle(USER);
	assert_int_equal(sm_open(pamh, 0, 1, argv), PAM_SERVICE_ERR);
	pam_end(pamh, PAM_SUCCESS);
}

static void
test_exempt_root_is_ignored(void **state)
{
	pam_handle_t *pamh;

	(void)state;
	NEED_ROOT();
	pamh = handle("root");
	assert_int_equal(open_with(pamh, "good.conf", "debug"), PAM_IGNORE);
	assert_non_null(strstr(logbuf, "exempt_users"));
	assert_int_equal(count_records(), 0);
	pam_end(pamh, PAM_SUCCESS);
}

static void
test_isolate_false_is_ignored(void **state)
{
	pam_handle_t *pamh;

	(void)state;
	NEED_ROOT();
	write_conf("off.conf", 0644, "user \"" USER "\" {\n isolate = false\n}\n");
	pamh = handle(USER);
	assert_int_equal(open_with(pamh, "off.conf", NULL), PAM_IGNORE);
	pam_end(pamh, PAM_SUCCESS);
}

static void
test_bad_configs_refuse(void **state)
{
	static const struct {
		const char *name;
		mode_t mode;
		const char *text;
		const char *log;
	} cases[] = {
		{"syntax.conf", 0644, "isolat = true\n", "syntax.conf:1: no such option"},
		{"writable.conf", 0664, good_conf, "writable by group or others"},
		{"env.conf", 0644, "hostname = \"${HOME}\"\n", "'${' is not allowed"},
		/* An invalid file says nothing we could trust: its on_error = allow included. */
		{"allow-invalid.conf", 0644, "on_error = allow\nnamespaces = {cgroup}\n",
		 "not supported"},
	};

	(void)state;
	NEED_ROOT();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pam_handle_t *pamh = handle(USER);

		write_conf(cases[i].name, cases[i].mode, cases[i].text);
		assert_int_equal(open_with(pamh, cases[i].name, NULL), PAM_SYSTEM_ERR);
		assert_non_null(strstr(logbuf, "refusing the session"));
		assert_non_null(strstr(logbuf, cases[i].log));
		pam_end(pamh, PAM_SUCCESS);
	}
	/* Missing and symlinked files. */
	{
		pam_handle_t *pamh = handle(USER);
		char link[256], target[256];

		assert_int_equal(open_with(pamh, "missing.conf", NULL), PAM_SYSTEM_ERR);
		assert_non_null(strstr(logbuf, "No such file"));
		snprintf(link, sizeof(link), "%s/etc/link.conf", W);
		snprintf(target, sizeof(target), "%s/etc/good.conf", W);
		unlink(link);
		assert_int_equal(symlink(target, link), 0);
		assert_int_equal(open_with(pamh, "link.conf", NULL), PAM_SYSTEM_ERR);
		assert_non_null(strstr(logbuf, "symbolic link"));
		pam_end(pamh, PAM_SUCCESS);
	}
	assert_int_equal(count_records(), 0);
}

static void
test_missing_helper_refuses(void **state)
{
	const char *argv[2];
	char c[256];
	pam_handle_t *pamh;

	(void)state;
	NEED_ROOT();
	snprintf(c, sizeof(c), "conf=%s/etc/good.conf", W);
	argv[0] = c;
	argv[1] = "helper=/nonexistent/nsisolate-helper";
	pamh = handle(USER);
	logbuf[0] = '\0';
	assert_int_equal(sm_open(pamh, 0, 2, argv), PAM_SYSTEM_ERR);
	assert_non_null(strstr(logbuf, "cannot run /nonexistent/nsisolate-helper"));
	pam_end(pamh, PAM_SUCCESS);
}

static void
test_on_error(void **state)
{
	pam_handle_t *pamh;

	(void)state;
	NEED_ROOT();
	/* A target that does not exist: the setup fails after the plan is known. */
	write_conf("allow.conf", 0644, "on_error = allow\nprivate \"/nonexistent-nsitest\" {}\n");
	write_conf("deny.conf", 0644, "on_error = deny\nprivate \"/nonexistent-nsitest\" {}\n");
	pamh = handle(USER);
	assert_int_equal(open_with(pamh, "allow.conf", NULL), PAM_IGNORE);
	assert_non_null(strstr(logbuf, "continuing without it (on_error = allow)"));
	assert_int_equal(open_with(pamh, "deny.conf", NULL), PAM_SYSTEM_ERR);
	assert_non_null(strstr(logbuf, "nonexistent-nsitest"));
	pam_end(pamh, PAM_SUCCESS);
	assert_int_equal(count_records(), 0);
}

static int sigchld_seen;
static void
on_sigchld(int sig)
{
	(void)sig;
	sigchld_seen++;
}

static void
test_open_join_close(void **state)
{
	struct sigaction sa = {.sa_handler = on_sigchld}, old, now;
	struct utsname before, inside, after;
	sigset_t mask, mask_now;
	pam_handle_t *pamh;
	char buf[256];
	int fds;

	(void)state;
	NEED_ROOT();
	/* The login program's signal state, which the module must leave as it found it. */
	sigaction(SIGCHLD, &sa, &old);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigchld_seen = 0;
	uname(&before);
	fds = count_fds();
	/* Joining resets root and cwd (setns(2)); closing must give the login program its own. */
	assert_int_equal(chdir("/var"), 0);

	pamh = handle(USER);
	assert_int_equal(stack_open(pamh), PAM_SUCCESS);
	assert_non_null(strstr(logbuf, "event=open user=" USER " "));
	assert_non_null(strstr(logbuf, " rule=top rule_at=- "));
	assert_non_null(strstr(logbuf, " open_ms="));
	/* Inside: the session's hostname and /proc, whose PID 1 is the helper. */
	uname(&inside);
	assert_string_equal(inside.nodename, "pamtest");
	assert_string_equal(read_file("/proc/1/comm", buf, sizeof(buf)), "nsisolate-helpe\n");
	/* No child of ours left to reap, no SIGCHLD delivered for the helper. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(sigchld_seen, 0);
	sigaction(SIGCHLD, NULL, &now);
	assert_ptr_equal(now.sa_handler, on_sigchld);
	sigprocmask(SIG_BLOCK, NULL, &mask_now);
	assert_true(sigismember(&mask_now, SIGUSR1));
	assert_int_equal(count_records(), 1);

	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	/* Back home: our own hostname and /proc/self. */
	uname(&after);
	assert_string_equal(after.nodename, before.nodename);
	assert_int_not_equal(access("/proc/self/status", R_OK), -1);
	assert_non_null(getcwd(buf, sizeof(buf)));
	assert_string_equal(buf, "/var");
	assert_int_equal(chdir("/"), 0);
	pam_end(pamh, PAM_SUCCESS);
	wait_no_records();
	assert_int_equal(count_fds(), fds);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	sigaction(SIGCHLD, &old, NULL);
}

/* su and login: a forked child calls close_session and pam_end(PAM_DATA_SILENT). */
static void
test_forked_child_does_not_end_session(void **state)
{
	pam_handle_t *pamh;
	struct utsname u;
	int status;
	pid_t pid;

	(void)state;
	NEED_ROOT();
	pamh = handle(USER);
	assert_int_equal(stack_open(pamh), PAM_SUCCESS);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pam_close_session(pamh, 0);
		pam_end(pamh, PAM_SUCCESS | PAM_DATA_SILENT);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	usleep(200000);
	/* The session is still there: PID 1 alive, our view unchanged. */
	uname(&u);
	assert_string_equal(u.nodename, "pamtest");
	assert_int_equal(access("/proc/1/status", R_OK), 0);
	assert_int_equal(count_records(), 1);
	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	pam_end(pamh, PAM_SUCCESS);
	wait_no_records();
}

/* su or sudo inside a session: nested = skip, decided from root-only state. */
static void
test_nested_is_ignored(void **state)
{
	pam_handle_t *pamh;
	int status;
	pid_t pid;

	(void)state;
	NEED_ROOT();
	pamh = handle(USER);
	assert_int_equal(stack_open(pamh), PAM_SUCCESS);
	pid = fork(); /* lands in the session's PID namespace */
	assert_true(pid >= 0);
	if (pid == 0) {
		pam_handle_t *inner = handle(USER);
		int r = open_with(inner, "good.conf", "debug");

		_exit(r == PAM_IGNORE && strstr(logbuf, "nested = skip") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(count_records(), 1);
	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	pam_end(pamh, PAM_SUCCESS);
	wait_no_records();
}

static void *
sleeper(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/*
 * setns(mnt) is refused to multithreaded callers (docs/kernel-facts.md, 'Threads and setns'):
 * fail closed, say why.
 */
static void
test_multithreaded_caller_refused(void **state)
{
	pam_handle_t *pamh;
	pthread_t th;

	(void)state;
	NEED_ROOT();
	assert_int_equal(pthread_create(&th, NULL, sleeper, NULL), 0);
	pamh = handle(USER);
	assert_int_equal(stack_open(pamh), PAM_SYSTEM_ERR);
	assert_non_null(strstr(logbuf, "multithreaded"));
	pam_end(pamh, PAM_SUCCESS);
	pthread_cancel(th);
	pthread_join(th, NULL);
	wait_no_records();
}

/* Where "\nThreads:" starts in /proc/self/status, or -1. */
static long
threads_line_offset(void)
{
	static char buf[65536];
	char *p = strstr(read_file("/proc/self/status", buf, sizeof(buf)), "\nThreads:");

	return p ? p - buf : -1;
}

/*
 * The same check with Threads: beyond the first 4 KiB of /proc/self/status (it comes after
 * Groups:, and the login program here has 450 supplementary groups) and a process name
 * full of spaces and parentheses.  With only the ipc and uts namespaces a multithreaded
 * caller's setns(pidfd) succeeds and moves one thread: the other stays outside.
 */
static void
test_multithreaded_caller_with_many_groups_refused(void **state)
{
	static const char *const confs[] = {"ipc-uts.conf", "good.conf"};
	gid_t saved[256], many[450];
	char path[256], comm[17] = "";
	int nsaved, results[2];
	long offset;
	char logs[2][sizeof(logbuf)];
	pthread_t th;
	FILE *f;

	(void)state;
	NEED_ROOT();
	write_conf("ipc-uts.conf", 0644, "namespaces = {ipc, uts}\nhostname = \"pamtest\"\n");
	snprintf(path, sizeof(path), "%s/pam.d/" SERVICE "-ipc-uts", W);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f,
		"session required %s/bin/pam_nsisolate.so conf=%s/etc/ipc-uts.conf helper=%s/bin/"
		"nsisolate-helper\n",
		W, W, W);
	fclose(f);
	nsaved = getgroups(256, saved);
	assert_true(nsaved >= 0);
	for (size_t i = 0; i < 450; i++)
		many[i] = 2000000000u + (gid_t)i;
	assert_int_equal(setgroups(450, many), 0);
	(void)prctl(PR_GET_NAME, comm);
	(void)prctl(PR_SET_NAME, "x) 1 2 (y) 3 4");
	offset = threads_line_offset();
	assert_int_equal(pthread_create(&th, NULL, sleeper, NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		static struct pam_conv c = {conv, NULL};
		char confdir[256], service[64];
		pam_handle_t *pamh = NULL;

		snprintf(confdir, sizeof(confdir), "%s/pam.d", W);
		snprintf(service, sizeof(service), "%s", i == 0 ? SERVICE "-ipc-uts" : SERVICE);
		assert_int_equal(pam_start_confdir(service, USER, &c, confdir, &pamh), PAM_SUCCESS);
		results[i] = stack_open(pamh);
		memcpy(logs[i], logbuf, sizeof(logbuf));
		if (results[i] == PAM_SUCCESS)
			(void)pam_close_session(pamh, 0);
		pam_end(pamh, PAM_SUCCESS);
	}
	pthread_cancel(th);
	pthread_join(th, NULL);
	(void)prctl(PR_SET_NAME, comm);
	assert_int_equal(setgroups((size_t)nsaved, saved), 0);
	wait_no_records();

	/* The test's own premise: the line lies beyond what the old check read. */
	assert_true(offset > 4096);
	for (size_t i = 0; i < 2; i++) {
		if (getenv("NSI_TEST_VERBOSE"))
			fprintf(stderr, "%s: %d: %s", confs[i], results[i], logs[i]);
		assert_int_equal(results[i], PAM_SYSTEM_ERR);
		assert_non_null(strstr(logs[i], "multithreaded"));
	}
}

/* The line of logbuf that `re` (extended) matches; its submatch 1 in ret, if asked. */
static bool
log_line_matches(const char *re, char *ret, size_t size)
{
	char copy[sizeof(logbuf)], *save = NULL;
	regmatch_t m[2];
	regex_t rx;
	bool found = false;

	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
	memcpy(copy, logbuf, sizeof(copy));
	for (char *line = strtok_r(copy, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save))
		if (regexec(&rx, line, 2, m, 0) == 0) {
			found = true;
			if (ret && m[1].rm_so >= 0)
				snprintf(ret, size, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
					 line + m[1].rm_so);
		}
	regfree(&rx);
	if (!found)
		fprintf(stderr, "no log line matches '%s' in:\n%s", re, logbuf);
	return found;
}

/*
 * The open and close lines (pam_nsisolate(8), LOG MESSAGES): every key, in order, values
 * quoted where they must be, the rule's place in its drop-in; "end=gone" when PID 1 was killed.
 */
static void
test_log_lines(void **state)
{
	static struct pam_conv c = {conv, NULL};
	char confdir[256], path[300], re[1024], session[32], pid[16];
	pam_handle_t *pamh = NULL;
	int pidfd;
	FILE *f;

	(void)state;
	NEED_ROOT();
	snprintf(path, sizeof(path), "%s/pam.d/nsitest-pam-log", W);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f,
		"session required %s/bin/pam_nsisolate.so conf=%s/etc/log.conf helper=%s/bin/"
		"nsisolate-helper\n",
		W, W, W);
	fclose(f);
	write_conf("log.conf", 0644, "namespaces = {mount, ipc, pid, uts}\n");
	assert_int_equal(sh("install -d -m 0755 %s/etc/log.d", W), 0);
	write_conf("log.d/50-user.conf", 0644, "# a drop-in\nuser \"" USER "\" { }\n");
	snprintf(confdir, sizeof(confdir), "%s/pam.d", W);

	for (int round = 0; round < 2; round++) {
		assert_int_equal(pam_start_confdir("nsitest-pam-log", USER, &c, confdir, &pamh),
				 PAM_SUCCESS);
		assert_int_equal(pam_set_item(pamh, PAM_TTY, "pts/9"), PAM_SUCCESS);
		assert_int_equal(pam_set_item(pamh, PAM_RHOST, "a \"b\" c"), PAM_SUCCESS);
		assert_int_equal(pam_putenv(pamh, "XDG_SESSION_ID=c42"), PAM_SUCCESS);
		assert_int_equal(stack_open(pamh), PAM_SUCCESS);
		snprintf(re, sizeof(re),
			 "^pam_nsisolate\\(nsitest-pam-log:session\\): event=open user=" USER
			 " uid=%u service=nsitest-pam-log tty=pts/9 rhost=\"a \\\\\"b\\\\\" c\" "
			 "rule=user:" USER " rule_at=%s/etc/log\\.d/50-user\\.conf:2 "
			 "session=([0-9]+) init_pid=[0-9]+ logind=c42 audit=(-|[0-9]+) joined=yes "
			 "shared=no open_ms=[0-9]+\\.[0-9]$",
			 (unsigned)getpwnam(USER)->pw_uid, W);
		assert_true(log_line_matches(re, session, sizeof(session)));
		assert_true(log_line_matches(" init_pid=([0-9]+) ", pid, sizeof(pid)));
		if (round == 1) {
			/* PID 1 killed: the close line says the session was gone already. */
			pidfd = pidfd_open(atoi(pid), 0);
			assert_true(pidfd >= 0);
			assert_int_equal(kill(atoi(pid), SIGKILL), 0);
			assert_int_equal(
				poll(&(struct pollfd){.fd = pidfd, .events = POLLIN}, 1, 5000), 1);
			close(pidfd);
		}
		logbuf[0] = '\0';
		assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
		snprintf(re, sizeof(re),
			 "^pam_nsisolate\\(nsitest-pam-log:session\\): event=close user=" USER
			 " uid=%u service=nsitest-pam-log session=%s init_pid=%s duration_s=[0-9]+ "
			 "end=%s$",
			 (unsigned)getpwnam(USER)->pw_uid, session, pid,
			 round == 0 ? "logout" : "gone");
		assert_true(log_line_matches(re, NULL, 0));
		assert_int_equal(chdir("/"), 0);
		pam_end(pamh, PAM_SUCCESS);
		wait_no_records();
	}
	unlink(path);
}

static void
test_200_cycles_leave_nothing(void **state)
{
	char before[16384], after[16384];
	int fds;

	(void)state;
	NEED_ROOT();
	read_file("/proc/self/mountinfo", before, sizeof(before));
	fds = count_fds();
	for (int i = 0; i < 200; i++) {
		pam_handle_t *pamh = handle(USER);

		assert_int_equal(stack_open(pamh), PAM_SUCCESS);
		assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
		pam_end(pamh, PAM_SUCCESS);
	}
	wait_no_records();
	assert_int_equal(count_fds(), fds);
	assert_string_equal(read_file("/proc/self/mountinfo", after, sizeof(after)), before);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_unknown_argument_refuses),
		cmocka_unit_test(test_relative_path_argument_refuses),
		cmocka_unit_test(test_exempt_root_is_ignored),
		cmocka_unit_test(test_isolate_false_is_ignored),
		cmocka_unit_test(test_bad_configs_refuse),
		cmocka_unit_test(test_missing_helper_refuses),
		cmocka_unit_test(test_on_error),
		cmocka_unit_test(test_open_join_close),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_forked_child_does_not_end_session),
		cmocka_unit_test(test_nested_is_ignored),
		cmocka_unit_test(test_multithreaded_caller_refused),
		cmocka_unit_test(test_multithreaded_caller_with_many_groups_refused),
		cmocka_unit_test(test_200_cycles_leave_nothing),
	};

	return cmocka_run_group_tests_name("pam", tests, setup, teardown);
}
