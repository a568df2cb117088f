/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor of `nsisolate check` (nsisolate(8), THE DOCTOR): which PAM services run the
 * module, and the mistakes of placement a configuration file cannot show.  The module must
 * be required (else a session it cannot build lets the login in), and last: once it has
 * joined, the login process's /proc/self is gone, and a module after it that looks there acts
 * on the session's PID 1 or on nothing (pam_nsisolate(8), PLACEMENT).  And the host: a /
 * that cannot be made a slave mount refuses every session; a container or a chroot is worth
 * a second look.  Warnings change the exit status only with --strict.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "doctor.h"

#define MODULE "pam_nsisolate.so"

/* Services that run a user's code: a stack of theirs without the module leaves it outside. */
static const char *const user_code[] = {
	"sshd", "login", "su", "su-l", "sudo", "sudo-i", "cron", "crond", "atd", "systemd-user",
};

/* How `d` is written: a warning counts. */
static void _printf_(2, 3) warn(struct doctor *d, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	fputs("warning: ", d->warn);
	va_start(ap, fmt);
	vfprintf(d->warn, fmt, ap);
	va_end(ap);
	fputc('\n', d->warn);
}

static bool
in_list(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return true;
	return false;
}

/*
 * Session modules that may follow ours: none of them looks at the login process through
 * /proc/self or acts on it as a process (pam_limits only with set_all reads PID 1's limits;
 * pam_selinux's contexts matter only where SELinux is on).
 */
static bool
harmless_after(const struct doctor *d, const struct pam_entry *e)
{
	static const char *const harmless[] = {
		"pam_env.so",	   "pam_motd.so",    "pam_mail.so",   "pam_lastlog.so",
		"pam_lastlog2.so", "pam_umask.so",   "pam_permit.so", "pam_deny.so",
		"pam_echo.so",	   "pam_warn.so",    "pam_debug.so",  "pam_succeed_if.so",
		"pam_unix.so",	   "pam_keyinit.so", "pam_xauth.so",  "pam_localuser.so",
	};
	const char *base = pamstack_base(e->module);

	if (in_list(base, harmless, ARRAY_SIZE(harmless)))
		return true;
	if (strcmp(base, "pam_limits.so") == 0)
		return !strstr(e->args, "set_all");
	if (strcmp(base, "pam_selinux.so") == 0)
		return !d->selinux;
	return false;
}

static bool
is_module(const struct pam_entry *e)
{
	return strcmp(pamstack_base(e->module), MODULE) == 0;
}

/* What is wrong with where `service`'s stack runs the module, its first line being `at`. */
static void
judge_stack(struct doctor *d, const char *service, const struct pam_stack *s, size_t at)
{
	const struct pam_entry *m = &s->v[at];

	/* requisite refuses as required does, and ends the stack there. */
	if (strcmp(m->control, "required") != 0 && strcmp(m->control, "requisite") != 0)
		warn(d,
		     "pam: %s: %s is '%s' at %s:%u: a session it cannot build would not refuse "
		     "the login; use 'required'",
		     service, MODULE, m->control, m->file, m->line);
	for (size_t i = at + 1; i < s->n; i++) {
		const struct pam_entry *e = &s->v[i];

		if (is_module(e)) {
			warn(d,
			     "pam: %s: %s runs twice, at %s:%u and %s:%u: the second finds the "
			     "session isolated and does nothing",
			     service, MODULE, m->file, m->line, e->file, e->line);
			continue;
		}
		/* The user manager's session is built, not joined (unit.c): nothing moved. */
		if (strcmp(service, "systemd-user") == 0 || harmless_after(d, e) ||
		    (e->dash && !pamstack_installed(d->root, e->module)))
			continue;
		warn(d,
		     "pam: %s: %s at %s:%u runs after %s (%s:%u): it would act on the session's "
		     "PID 1, not on the login; put %s last",
		     service, pamstack_base(e->module), e->file, e->line, MODULE, m->file, m->line,
		     MODULE);
	}
}

static bool
exempt(const struct doctor *d, const char *service)
{
	return d->conf && conf_service_exempt(d->conf, service);
}

/* A file another one includes is a part of stacks (common-session, system-auth)... */
static bool
is_part(const char *name, struct pam_stack *stacks, size_t n)
{
	static const char *const also_services[] = {"other", "runuser"};

	/* ...unless it is a service of its own too: su-l includes su, runuser-l runuser. */
	if (in_list(name, user_code, ARRAY_SIZE(user_code)) ||
	    in_list(name, also_services, ARRAY_SIZE(also_services)))
		return false;
	for (size_t i = 0; i < n; i++)
		if (in_list(name, (const char *const *)stacks[i].included, stacks[i].nincluded))
			return true;
	return false;
}

/* One service's line of the report; whether it runs the module. */
static bool
report_service(struct doctor *d, const char *name, const struct pam_stack *s)
{
	size_t at = 0;

	while (at < s->n && !is_module(&s->v[at]))
		at++;
	if (s->error && (at < s->n || in_list(name, user_code, ARRAY_SIZE(user_code))))
		warn(d, "pam: %s: cannot follow the stack: %s", name, s->error);
	if (at == s->n)
		return false;
	fprintf(d->out, "pam: %s: runs %s (%s, %s:%u)%s\n", name, MODULE, s->v[at].control,
		s->v[at].file, s->v[at].line,
		exempt(d, name) ? "; in exempt_services: left alone" : "");
	judge_stack(d, name, s, at);
	return true;
}

/* Every service that runs user code but never reaches the module, unless exempt. */
static void
report_unreached(struct doctor *d, char **names, const bool *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!runs[i] && in_list(names[i], user_code, ARRAY_SIZE(user_code)) &&
		    !exempt(d, names[i]))
			warn(d,
			     "pam: %s does not run %s: its logins run the user's code outside any "
			     "isolated session (add the module, or name the service in "
			     "exempt_services)",
			     names[i], MODULE);
}

int
doctor_pam(struct doctor *d)
{
	struct pam_stack *stacks = NULL;
	bool *runs = NULL, *part = NULL;
	size_t n = 0, nruns = 0, nothers = 0;
	char **names = NULL;
	int r;

	if ((r = pamstack_services(d->root, &names, &n)) < 0)
		return r;
	stacks = calloc(n ? n : 1, sizeof(*stacks));
	runs = calloc(n ? n : 1, sizeof(*runs));
	part = calloc(n ? n : 1, sizeof(*part));
	if (!stacks || !runs || !part) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = pamstack_read(d->root, names[i], &stacks[i])) == -ENOMEM)
			goto out;
	for (size_t i = 0; i < n; i++) {
		part[i] = is_part(names[i], stacks, n);
		if (!part[i] && (runs[i] = report_service(d, names[i], &stacks[i])))
			nruns++;
	}
	for (size_t i = 0; i < n; i++)
		if (!part[i] && !runs[i])
			fprintf(d->out, "%s%s", nothers++ ? ", " : "pam: not run by: ", names[i]);
	if (nothers)
		fputc('\n', d->out);
	if (nruns == 0)
		warn(d,
		     "pam: no PAM service runs %s: no login is isolated (on Debian: "
		     "pam-auth-update --enable nsisolate)",
		     MODULE);
	else
		report_unreached(d, names, runs, n);
	r = 0;
out:
	for (size_t i = 0; i < n; i++) {
		if (stacks)
			pamstack_free(&stacks[i]);
		free(names[i]);
	}
	free(names);
	free(stacks);
	free(runs);
	free(part);
	return r;
}

/* ---- the host ------------------------------------------------------------------------------ */

/*
 * What the helper does first in every session (docs/DESIGN.md): a new mount namespace, then
 * / made a slave, which fails where / is not a mount point (a chroot not bound onto itself).
 * Tried for real, in a child that exits at once.  -errno of what failed, or 0.
 */
static int
try_slave_root(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			_exit(100 + errno);
		if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
			_exit(errno);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/* The container manager's name, from the files systemd-detect-virt looks at; "" if none. */
static void
container_name(const struct doctor *d, char *buf, size_t size)
{
	static const struct {
		const char *path, *name;
	} marks[] = {{"/.dockerenv", "docker"}, {"/run/.containerenv", "podman"}};
	char path[PATH_MAX];
	FILE *f;

	buf[0] = '\0';
	if (xsnprintf(path, sizeof(path), "%s/run/systemd/container", d->root) == 0 &&
	    (f = fopen(path, "re"))) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
		if (buf[0])
			return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (xsnprintf(path, sizeof(path), "%s%s", d->root, marks[i].path) == 0 &&
		    access(path, F_OK) == 0) {
			(void)xsnprintf(buf, size, "%s", marks[i].name);
			return;
		}
}

/* A chroot: our / is not PID 1's (as root, on the host only). */
static bool
in_chroot(void)
{
	struct stat a, b;

	return stat("/", &a) == 0 && stat("/proc/1/root/", &b) == 0 &&
	       (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
}

void
doctor_host(struct doctor *d)
{
	bool host = !*d->root, root = geteuid() == 0;
	char name[64];
	int r;

	container_name(d, name, sizeof(name));
	if (name[0])
		warn(d,
		     "host: inside a container (%s): sessions are built inside it, which needs "
		     "CAP_SYS_ADMIN there; try a login before relying on it",
		     name);
	if (!host)
		return;
	if (!root) {
		fprintf(d->out, "host: not checked (needs root)\n");
		return;
	}
	if (in_chroot())
		warn(d, "host: inside a chroot: this report is about the chroot's PAM services "
			"and configuration, not the host's");
	r = try_slave_root();
	if (r == 0)
		fprintf(d->out, "host: / can be made a slave mount in a new mount namespace\n");
	else if (r <= -100)
		warn(d, "host: cannot create a mount namespace (%s): no session can be built",
		     strerror(-r - 100));
	else
		warn(d,
		     "host: / cannot be made a slave mount (%s): no session can be built; is / a "
		     "mount point? (a chroot's must be bound onto itself)",
		     strerror(-r));
}
