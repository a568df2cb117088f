/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the doctor of `nsisolate check` (tool/pamstack.c reads PAM stacks,
 * tool/doctor.c judges them), on copies of real /etc/pam.d trees (tests/unit/fixtures/pam,
 * whose README says where each file comes from): Debian 12 with the module enabled by
 * pam-auth-update, and a RHEL 9 layout (system-auth, password-auth, postlogin, include and
 * substack).  Each case copies a tree into a scratch directory, changes what it is about, and
 * reads the report and the warnings.
 */
#include <ftw.h>
#include <sys/stat.h>

#include "../../tool/doctor.c"
#include "../../tool/pamstack.c"
#include "conf_test.h"
#include "tmpdir.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static char fixture_src[PATH_MAX];
static size_t fixture_len;
static struct tmpdir *copy_to;

static int
copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char dst[PATH_MAX];

	(void)ftw;
	if (xsnprintf(dst, sizeof(dst), "%s/root%s", copy_to->path, path + fixture_len) < 0)
		return -1;
	if (type == FTW_D)
		return mkdir(dst, 0755) == 0 || errno == EEXIST ? 0 : -1;
	if (type == FTW_F) {
		FILE *in = fopen(path, "re"), *out = fopen(dst, "we");
		char buf[8192];
		size_t n;
		int r = in && out ? 0 : -1;

		while (r == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
			if (fwrite(buf, 1, n, out) != n)
				r = -1;
		if (in)
			fclose(in);
		if (out && fclose(out) != 0)
			r = -1;
		(void)st;
		return r;
	}
	return 0;
}

/* Copy tests/unit/fixtures/pam/NAME to <tmpdir>/root, found from this file's own path. */
static void
copy_fixture(struct tmpdir *t, const char *name)
{
	const char *end = strstr(__FILE__, "tests/unit/");

	assert_non_null(end);
	assert_int_equal(xsnprintf(fixture_src, sizeof(fixture_src),
				   "%.*stests/unit/fixtures/pam/%s", (int)(end - __FILE__),
				   __FILE__, name),
			 0);
	fixture_len = strlen(fixture_src);
	copy_to = t;
	assert_int_equal(nftw(fixture_src, copy_one, 16, FTW_PHYS), 0);
}

static const char *
root_of(struct tmpdir *t)
{
	static char buf[PATH_MAX];

	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s/root", t->path), 0);
	return buf;
}

static char *
slurp(struct tmpdir *t, const char *rel)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	FILE *f, *m;
	int c;

	assert_int_equal(xsnprintf(path, sizeof(path), "%s%s", root_of(t), rel), 0);
	f = fopen(path, "re");
	assert_non_null(f);
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void
spill(struct tmpdir *t, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	assert_int_equal(xsnprintf(path, sizeof(path), "%s%s", root_of(t), rel), 0);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Replace the first `from` in ROOT/rel by `to` (which may be ""). */
static void
edit(struct tmpdir *t, const char *rel, const char *from, const char *to)
{
	char *text = slurp(t, rel), *at = strstr(text, from), *out = NULL;

	if (!at)
		fail_msg("'%s' not in %s", from, rel);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) >= 0);
	spill(t, rel, out);
	free(text);
	free(out);
}

static void
append(struct tmpdir *t, const char *rel, const char *line)
{
	char *text = slurp(t, rel), *out = NULL;

	assert_true(asprintf(&out, "%s%s\n", text, line) >= 0);
	spill(t, rel, out);
	free(text);
	free(out);
}

/* The line of ROOT/rel that contains `what`, as the report names it. */
static unsigned
line_of(struct tmpdir *t, const char *rel, const char *what)
{
	char *text = slurp(t, rel), *at = strstr(text, what);
	unsigned line = 1;

	if (!at)
		fail_msg("'%s' not in %s", what, rel);
	for (char *p = text; p < at; p++)
		line += *p == '\n';
	free(text);
	return line;
}

struct report {
	char *out, *warn;
	unsigned warnings;
};

static void
run(struct tmpdir *t, bool selinux, const struct conf *c, struct report *r)
{
	size_t olen = 0, wlen = 0;
	struct doctor d = {.root = root_of(t), .selinux = selinux, .conf = c};

	*r = (struct report){0};
	d.out = open_memstream(&r->out, &olen);
	d.warn = open_memstream(&r->warn, &wlen);
	assert_non_null(d.out);
	assert_non_null(d.warn);
	assert_int_equal(doctor_pam(&d), 0);
	fclose(d.out);
	fclose(d.warn);
	r->warnings = d.warnings;
}

static void
report_free(struct report *r)
{
	free(r->out);
	free(r->warn);
}

/* `text` is in the report (as a line's start when it ends in ':' or '('...). */
#define assert_has(haystack, ...) check_has(haystack, __FILE__, __LINE__, __VA_ARGS__)
static void _printf_(4, 5)
	check_has(const char *haystack, const char *file, int at, const char *fmt, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (strstr(haystack, want))
		return;
	print_error("expected \"%s\" in:\n%s\n", want, haystack);
	_fail(file, at);
}

static void
expect_warnings(const struct report *r, unsigned n, const char *file, int at)
{
	if (r->warnings == n)
		return;
	print_error("expected %u warnings, got %u:\n%s\nreport:\n%s\n", n, r->warnings, r->warn,
		    r->out);
	_fail(file, at);
}
#define assert_warnings(r, n) expect_warnings(r, n, __FILE__, __LINE__)

/* ---- reading stacks ------------------------------------------------------------------------ */

static void
test_parse_lines(void **state)
{
	struct tmpdir *t = *state;
	struct pam_stack s;

	assert_int_equal(tmp_mkdir(t, "root", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/etc", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/etc/pam.d", 0755), 0);
	spill(t, "/etc/pam.d/svc",
	      "#%PAM-1.0\n"
	      "auth required pam_env.so\n"
	      "Session\toptional pam_a.so x=1 # a comment\n"
	      "session [success=1 default=ignore\tnew_authtok_reqd=done] pam_b.so \\\n"
	      "   continued args\n"
	      "-session optional /lib/security/pam_c.so\n"
	      "session required\n"
	      "   # only a comment\n"
	      "session include part\n"
	      "@include part2\n"
	      "account include part3\n");
	spill(t, "/etc/pam.d/part", "session required pam_d.so\n");
	spill(t, "/etc/pam.d/part2", "auth required pam_x.so\nsession substack part\n");
	assert_int_equal(pamstack_read(root_of(t), "svc", &s), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.v[0].module, "pam_a.so");
	assert_string_equal(s.v[0].control, "optional");
	assert_string_equal(s.v[0].args, "x=1");
	assert_string_equal(s.v[0].file, "/etc/pam.d/svc");
	assert_int_equal(s.v[0].line, 3);
	assert_string_equal(s.v[1].control, "[success=1 default=ignore\tnew_authtok_reqd=done]");
	assert_string_equal(s.v[1].module, "pam_b.so");
	assert_string_equal(s.v[1].args, "continued args");
	assert_int_equal(s.v[1].line, 4);
	assert_true(s.v[2].dash);
	assert_string_equal(pamstack_base(s.v[2].module), "pam_c.so");
	assert_int_equal(s.v[2].line, 6);
	assert_string_equal(s.v[3].file, "/etc/pam.d/part");
	assert_string_equal(s.v[4].file, "/etc/pam.d/part");
	/* "session required" without a module: noted, the rest still read. */
	assert_non_null(s.error);
	assert_non_null(strstr(s.error, "at /etc/pam.d/svc:7"));
	pamstack_free(&s);
	assert_int_equal(pamstack_read(root_of(t), "nope", &s), -ENOENT);
	assert_int_equal(pamstack_read(root_of(t), "../etc/pam.d/svc", &s), -EINVAL);
}

static void
test_include_loop_and_missing(void **state)
{
	struct tmpdir *t = *state;
	struct pam_stack s;

	assert_int_equal(tmp_mkdir(t, "root", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/etc", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/etc/pam.d", 0755), 0);
	spill(t, "/etc/pam.d/a", "session required pam_a.so\n@include b\n");
	spill(t, "/etc/pam.d/b", "session include a\n");
	assert_int_equal(pamstack_read(root_of(t), "a", &s), 0);
	assert_non_null(strstr(s.error, "includes nested deeper than 16 (a loop?)"));
	pamstack_free(&s);
	spill(t, "/etc/pam.d/c", "\n@include gone\nsession required pam_c.so\n");
	assert_int_equal(pamstack_read(root_of(t), "c", &s), 0);
	assert_string_equal(s.error, "cannot open 'gone' at /etc/pam.d/c:2");
	assert_int_equal(s.n, 1);
	pamstack_free(&s);
}

/* /usr/lib/pam.d as Linux-PAM reads it: for a service /etc/pam.d does not have. */
static void
test_vendor_dir(void **state)
{
	struct tmpdir *t = *state;
	struct pam_stack s;
	char **names;
	size_t n;

	copy_fixture(t, "debian12");
	spill(t, "/etc/pam.d/sshd.dpkg-old", "junk\n");
	spill(t, "/etc/pam.d/.hidden", "junk\n");
	assert_int_equal(pamstack_services(root_of(t), &names, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_null(strpbrk(names[i], ".~"));
		assert_true(i == 0 || strcmp(names[i - 1], names[i]) < 0);
	}
	assert_true(n > 0 && strcmp(names[n - 1], "systemd-user") == 0);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int_equal(pamstack_read(root_of(t), "systemd-user", &s), 0);
	assert_string_equal(s.v[0].file, "/usr/lib/pam.d/systemd-user");
	pamstack_free(&s);
	/* /etc/pam.d's file of the same name takes its place. */
	spill(t, "/etc/pam.d/systemd-user", "session required pam_x.so\n");
	assert_int_equal(pamstack_read(root_of(t), "systemd-user", &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0].file, "/etc/pam.d/systemd-user");
	pamstack_free(&s);
}

/* ---- Debian 12 --------------------------------------------------------------------------- */

static void
test_debian_enabled(void **state)
{
	struct tmpdir *t = *state;
	struct report r;
	unsigned cs, csn;

	copy_fixture(t, "debian12");
	cs = line_of(t, "/etc/pam.d/common-session", "pam_nsisolate.so");
	csn = line_of(t, "/etc/pam.d/common-session-noninteractive", "pam_nsisolate.so");
	run(t, false, NULL, &r);
	/* sshd's pam_motd, pam_mail, pam_limits, pam_env and pam_selinux after it do no harm. */
	assert_warnings(&r, 0);
	assert_has(r.out,
		   "pam: sshd: runs pam_nsisolate.so (required, /etc/pam.d/common-session:%u)\n",
		   cs);
	assert_has(r.out,
		   "pam: cron: runs pam_nsisolate.so (required, "
		   "/etc/pam.d/common-session-noninteractive:%u)\n",
		   csn);
	assert_has(r.out,
		   "pam: systemd-user: runs pam_nsisolate.so (required, "
		   "/etc/pam.d/common-session-noninteractive:%u)\n",
		   csn);
	assert_has(r.out, "pam: su-l: runs");
	assert_has(r.out, "pam: sudo: runs");
	assert_has(r.out, "pam: atd: runs");
	assert_has(r.out, "pam: not run by: chpasswd, newusers, passwd, runuser, runuser-l\n");
	/* Parts of stacks are no services. */
	assert_null(strstr(r.out, "common-session:"
				  " runs"));
	assert_null(strstr(r.out, "pam: common-session"));
	report_free(&r);

	/* With SELinux on, Debian's sshd runs pam_selinux open after the module. */
	run(t, true, NULL, &r);
	assert_warnings(&r, 1);
	assert_has(r.warn,
		   "warning: pam: sshd: pam_selinux.so at /etc/pam.d/sshd:%u runs after "
		   "pam_nsisolate.so (/etc/pam.d/common-session:%u)",
		   line_of(t, "/etc/pam.d/sshd", "pam_selinux.so open"), cs);
	report_free(&r);
}

static void
test_debian_disabled(void **state)
{
	struct tmpdir *t = *state;
	struct report r;

	copy_fixture(t, "debian12");
	edit(t, "/etc/pam.d/common-session", "session\trequired\tpam_nsisolate.so \n", "");
	edit(t, "/etc/pam.d/common-session-noninteractive",
	     "session\trequired\tpam_nsisolate.so \n", "");
	run(t, false, NULL, &r);
	/* One warning, not one per service. */
	assert_warnings(&r, 1);
	assert_has(r.warn, "warning: pam: no PAM service runs pam_nsisolate.so: no login is "
			   "isolated (on Debian: pam-auth-update --enable nsisolate)\n");
	assert_null(strstr(r.out, ": runs "));
	report_free(&r);
}

/* The module in sshd only: every other way in that runs user code is outside. */
static void
test_debian_sshd_only(void **state)
{
	static const char *const outside[] = {"atd",  "cron", "login",	"su",
					      "su-l", "sudo", "sudo-i", "systemd-user"};
	struct tmpdir *t = *state;
	struct parsed p;
	struct report r;

	copy_fixture(t, "debian12");
	edit(t, "/etc/pam.d/common-session", "session\trequired\tpam_nsisolate.so \n", "");
	edit(t, "/etc/pam.d/common-session-noninteractive",
	     "session\trequired\tpam_nsisolate.so \n", "");
	append(t, "/etc/pam.d/sshd", "session required pam_nsisolate.so");
	run(t, false, NULL, &r);
	assert_warnings(&r, ARRAY_SIZE(outside));
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++)
		assert_has(r.warn,
			   "warning: pam: %s does not run pam_nsisolate.so: its logins run the "
			   "user's code outside any isolated session",
			   outside[i]);
	assert_has(r.out, "pam: sshd: runs pam_nsisolate.so (required, /etc/pam.d/sshd:%u)\n",
		   line_of(t, "/etc/pam.d/sshd", "pam_nsisolate.so"));
	report_free(&r);

	/* A service left alone on purpose is no mistake. */
	parse(&p, "exempt_services = {\"cron\", \"atd\", \"systemd-user\"}\n");
	assert_int_equal(p.r, 0);
	run(t, false, p.c, &r);
	assert_warnings(&r, ARRAY_SIZE(outside) - 3);
	assert_null(strstr(r.warn, "cron"));
	report_free(&r);
	parsed_free(&p);
}

/* Not required; twice; before a module that acts on the process. */
static void
test_debian_misplaced(void **state)
{
	struct tmpdir *t = *state;
	struct report r;
	unsigned at;

	copy_fixture(t, "debian12");
	edit(t, "/etc/pam.d/common-session", "session\trequired\tpam_nsisolate.so ",
	     "session\toptional\tpam_nsisolate.so ");
	run(t, false, NULL, &r);
	at = line_of(t, "/etc/pam.d/common-session", "pam_nsisolate.so");
	assert_has(r.warn,
		   "warning: pam: sshd: pam_nsisolate.so is 'optional' at "
		   "/etc/pam.d/common-session:%u: a session it cannot build would not refuse the "
		   "login; use 'required'\n",
		   at);
	/* Every service through common-session, and none through the noninteractive one. */
	assert_has(r.warn, "warning: pam: login: pam_nsisolate.so is 'optional'");
	assert_null(strstr(r.warn, "pam: cron:"));
	report_free(&r);

	/* Before pam_systemd: logind would get the session's PID 1 to register. */
	copy_fixture(t, "debian12");
	edit(t, "/etc/pam.d/common-session", "session\trequired\tpam_nsisolate.so \n", "");
	edit(t, "/etc/pam.d/common-session", "session\toptional\tpam_systemd.so \n",
	     "session\trequired\tpam_nsisolate.so\nsession\toptional\tpam_systemd.so\n");
	run(t, false, NULL, &r);
	assert_has(r.warn,
		   "warning: pam: sshd: pam_systemd.so at /etc/pam.d/common-session:%u runs "
		   "after pam_nsisolate.so (/etc/pam.d/common-session:%u): it would act on the "
		   "session's PID 1, not on the login; put pam_nsisolate.so last\n",
		   line_of(t, "/etc/pam.d/common-session", "pam_systemd.so"),
		   line_of(t, "/etc/pam.d/common-session", "pam_nsisolate.so"));
	report_free(&r);

	/* In common-session and again at the end of sshd. */
	copy_fixture(t, "debian12");
	append(t, "/etc/pam.d/sshd", "session required pam_nsisolate.so");
	append(t, "/etc/pam.d/sshd", "session required pam_limits.so set_all");
	run(t, false, NULL, &r);
	assert_warnings(&r, 2);
	assert_has(r.warn, "warning: pam: sshd: pam_nsisolate.so runs twice, at "
			   "/etc/pam.d/common-session:");
	assert_has(r.warn, "warning: pam: sshd: pam_limits.so at /etc/pam.d/sshd:");
	report_free(&r);
}

/* ---- RHEL 9 ------------------------------------------------------------------------------ */

static void
test_rhel_enabled(void **state)
{
	struct tmpdir *t = *state;
	struct report r;

	copy_fixture(t, "rhel9");
	run(t, true, NULL, &r);
	/*
	 * postlogin's pam_umask, pam_succeed_if and pam_lastlog, su's pam_xauth after it do no
	 * harm; login's pam_ck_connector is a "-session" line for a module not installed.
	 */
	assert_warnings(&r, 0);
	assert_has(r.out,
		   "pam: sshd: runs pam_nsisolate.so (required, /etc/pam.d/password-auth:%u)",
		   line_of(t, "/etc/pam.d/password-auth", "pam_nsisolate.so"));
	assert_has(r.out, "pam: login: runs pam_nsisolate.so (required, /etc/pam.d/system-auth:");
	assert_has(r.out, "pam: crond: runs pam_nsisolate.so (required, /etc/pam.d/password-auth:");
	assert_has(r.out, "pam: su-l: runs");
	assert_has(r.out, "pam: sudo-i: runs");
	assert_has(r.out, "pam: runuser: runs");
	assert_has(r.out, "pam: not run by: other, passwd\n");
	assert_null(strstr(r.out, "pam: system-auth"));
	assert_null(strstr(r.out, "pam: postlogin"));
	report_free(&r);

	/* The same "-session" module, installed: then it runs, after the module. */
	assert_int_equal(tmp_mkdir(t, "root/usr", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/usr/lib64", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/usr/lib64/security", 0755), 0);
	assert_int_equal(tmp_write(t, "root/usr/lib64/security/pam_ck_connector.so", "", 0, 0644),
			 0);
	run(t, false, NULL, &r);
	assert_warnings(&r, 1);
	assert_has(r.warn,
		   "warning: pam: login: pam_ck_connector.so at /etc/pam.d/login:%u runs "
		   "after pam_nsisolate.so",
		   line_of(t, "/etc/pam.d/login", "pam_ck_connector"));
	report_free(&r);
}

/* By hand at the end of sshd's own lines: password-auth and postlogin still follow. */
static void
test_rhel_in_sshd_before_includes(void **state)
{
	struct tmpdir *t = *state;
	struct report r;

	copy_fixture(t, "rhel9");
	edit(t, "/etc/pam.d/password-auth",
	     "session     required                                     pam_nsisolate.so\n", "");
	edit(t, "/etc/pam.d/system-auth",
	     "session     required                                     pam_nsisolate.so\n", "");
	edit(t, "/etc/pam.d/sshd", "session    include      password-auth\n",
	     "session    required     pam_nsisolate.so\nsession    include      password-auth\n");
	assert_int_equal(tmp_mkdir(t, "root/usr", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/usr/lib64", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/usr/lib64/security", 0755), 0);
	assert_int_equal(tmp_write(t, "root/usr/lib64/security/pam_systemd.so", "", 0, 0644), 0);
	run(t, false, NULL, &r);
	/* pam_systemd and pam_sss after it; and the other services do not reach it. */
	assert_has(r.warn,
		   "warning: pam: sshd: pam_systemd.so at /etc/pam.d/password-auth:%u "
		   "runs after pam_nsisolate.so (/etc/pam.d/sshd:%u)",
		   line_of(t, "/etc/pam.d/password-auth", "pam_systemd.so"),
		   line_of(t, "/etc/pam.d/sshd", "pam_nsisolate.so"));
	assert_has(r.warn, "warning: pam: sshd: pam_sss.so at /etc/pam.d/password-auth:");
	assert_has(r.warn, "warning: pam: crond does not run pam_nsisolate.so");
	assert_null(strstr(r.warn, "pam: sshd: pam_limits.so"));
	assert_null(strstr(r.warn, "pam: sshd: pam_lastlog.so"));
	report_free(&r);
}

/* ---- the host ------------------------------------------------------------------------------ */

static void
test_container(void **state)
{
	struct tmpdir *t = *state;
	size_t olen = 0, wlen = 0;
	char *out = NULL, *warn = NULL;
	struct doctor d = {.root = NULL};

	assert_int_equal(tmp_mkdir(t, "root", 0755), 0);
	d.root = root_of(t);
	d.out = open_memstream(&out, &olen);
	d.warn = open_memstream(&warn, &wlen);
	doctor_host(&d);
	fflush(d.warn);
	assert_int_equal(d.warnings, 0);
	assert_int_equal(tmp_mkdir(t, "root/run", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "root/run/systemd", 0755), 0);
	assert_int_equal(tmp_write(t, "root/run/systemd/container", "lxc\n", 4, 0644), 0);
	doctor_host(&d);
	fclose(d.out);
	fclose(d.warn);
	assert_int_equal(d.warnings, 1);
	assert_has(warn, "warning: host: inside a container (lxc): ");
	free(out);
	free(warn);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_lines),
		T(test_include_loop_and_missing),
		T(test_vendor_dir),
		T(test_debian_enabled),
		T(test_debian_disabled),
		T(test_debian_sshd_only),
		T(test_debian_misplaced),
		T(test_rhel_enabled),
		T(test_rhel_in_sshd_before_includes),
		T(test_container),
	};

	return cmocka_run_group_tests_name("doctor", tests, NULL, NULL);
}
