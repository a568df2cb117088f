/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsisolate check / explain: the configuration library, read-only. */
#include <getopt.h>
#include <string.h>

#include "../common/identity.h"
#include "../common/paths.h"
#include "../conf/conf.h"
#include "../conf/set.h"
#include "../conf/values.h"
#include "doctor.h"
#include "tool.h"

/* What check and explain were asked (nsisolate(8)). */
struct conf_args {
	const char *conf;    /* -c: the main file */
	const char *dir;     /* -D: its drop-ins from here instead */
	const char *dropin;  /* -d: one more drop-in, as if installed */
	const char *name;    /* -n: under this name */
	const char *service; /* -s (explain) */
	bool conf_given;     /* -c: about that file, no doctor unless asked */
	bool doctor;	     /* --doctor (check) */
	bool strict;	     /* --strict (check): the doctor's warnings fail */
};

enum { OPT_STRICT = 0x100, OPT_DOCTOR };

static const struct option conf_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"drop-in-dir", required_argument, NULL, 'D'},
	{"drop-in", required_argument, NULL, 'd'},
	{"name", required_argument, NULL, 'n'},
	{"service", required_argument, NULL, 's'},
	{"strict", no_argument, NULL, OPT_STRICT},
	{"doctor", no_argument, NULL, OPT_DOCTOR},
	{"help", no_argument, NULL, 'h'},
	{0},
};

/* A name the drop-in directory would read: "NAME.conf", no '/', not hidden. */
static bool
dropin_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && s[0] != '.' && !strchr(s, '/') && strcmp(s + n - 5, ".conf") == 0;
}

/*
 * Parse the options `allowed` (getopt letters; 'S' --strict, 'P' --doctor) and exactly `max_args`
 * positional arguments.  Returns -1 to go on, or an exit code.
 */
static int
parse_conf_args(int argc, char **argv, const char *allowed, struct conf_args *a, char ***args,
		int max_args, const char *usage)
{
	int c;

	*a = (struct conf_args){.conf = NSI_CONF_PATH};
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:D:d:n:s:h", conf_options, NULL)) != -1) {
		if (c != 'h' && c != '?' &&
		    !strchr(allowed, c == OPT_STRICT   ? 'S'
				     : c == OPT_DOCTOR ? 'P'
						       : c))
			c = '?';
		switch (c) {
		case 'c':
			a->conf = optarg;
			a->conf_given = true;
			break;
		case 'D':
			a->dir = optarg;
			break;
		case 'd':
			a->dropin = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 's':
			a->service = optarg;
			break;
		case OPT_STRICT:
			a->strict = true;
			break;
		case OPT_DOCTOR:
			a->doctor = true;
			break;
		case 'h':
			printf("Usage: nsisolate %s\n", usage);
			return EXIT_OK;
		default:
			usage_error("usage: nsisolate %s", usage);
			return EXIT_USAGE;
		}
	}
	*args = argv + optind;
	if (argc - optind != max_args || (a->name && !a->dropin)) {
		usage_error("usage: nsisolate %s", usage);
		return EXIT_USAGE;
	}
	if (a->dropin && !a->name) {
		const char *slash = strrchr(a->dropin, '/');

		a->name = slash ? slash + 1 : a->dropin;
	}
	if (a->dropin && !dropin_name_ok(a->name)) {
		usage_error("'%s' is not a drop-in's name (NAME.conf); give it with -n", a->name);
		return EXIT_USAGE;
	}
	return -1;
}

/* Load and check a configuration and its drop-ins, printing every problem.  An exit code. */
static int
load(const struct conf_args *a, bool targets, struct conf **ret)
{
	struct conf_diags d;
	struct conf_set s;
	int r;

	if (conf_diags_init(&d, a->conf) < 0)
		return EXIT_RUNTIME;
	r = conf_set_open(&s, a->conf, a->dir, 0, &d);
	if (r == 0 && a->dropin)
		r = conf_set_put(&s, a->name, a->dropin, 0, &d);
	if (r == 0)
		r = conf_set_parse(&s, ret, &d);
	conf_set_close(&s);
	if (r == 0 && targets && conf_check_targets(*ret, &d) < 0) {
		conf_free(*ret);
		*ret = NULL;
		r = -EINVAL;
	}
	conf_diags_print(&d, stderr);
	conf_diags_free(&d);
	if (r == -ENOMEM)
		return EXIT_RUNTIME;
	return r < 0 ? EXIT_NO : EXIT_OK;
}

int
cmd_check(int argc, char **argv)
{
	struct conf_args a;
	struct conf *c = NULL;
	char **args;
	int r;

	r = parse_conf_args(argc, argv, "cDdnSP", &a, &args, 0,
			    "check [-c FILE] [-D DIR] [-d FILE [-n NAME]] [--doctor] [--strict]");
	if (r >= 0)
		return r;
	r = load(&a, true, &c);
	if (r == EXIT_OK)
		for (size_t i = 0; i < conf_n_files(c); i++)
			printf("%s: ok\n", conf_file_name(c, i));
	/* The installed configuration's check is about the host too; a file's, about it. */
	if (a.doctor || a.strict || (!a.conf_given && !a.dir && !a.dropin)) {
		struct doctor d = {
			.root = "",
			.selinux = access("/sys/fs/selinux/enforce", F_OK) == 0,
			.conf = c,
			.out = stdout,
			.warn = stderr,
		};

		fflush(stdout);
		if (doctor_pam(&d) < 0) {
			fprintf(stderr, "nsisolate: cannot read the PAM services: out of memory\n");
			r = EXIT_RUNTIME;
		}
		doctor_host(&d);
		if (a.strict && d.warnings > 0 && r == EXIT_OK)
			r = EXIT_NO;
	}
	conf_free(c);
	return r;
}

/* " (line N)", " (FILE:LINE)": where something was set. */
static const char *
at(const struct conf *c, uint32_t file, unsigned line, char *buf, size_t size)
{
	const struct conf_origin o = {file, line};
	char where[PATH_MAX + 32];

	conf_origin_format(c, &o, where, sizeof(where));
	(void)xsnprintf(buf, size, " (%s)", where);
	return buf;
}

static void
print_private(const struct conf *c, const struct plan *plan, const struct plan_private *p,
	      uid_t uid)
{
	char esc[NAME_MAX + 1] = "?", where[PATH_MAX + 40];
	struct conf_origin o = {0};

	printf("  %-12s %-10s ", p->path, conf_private_type_name(p->type));
	switch (p->type) {
	case CONF_PRIV_SESSION:
	case CONF_PRIV_USER:
		printf("%s, size %s",
		       p->type == CONF_PRIV_USER ? "tmpfs shared by the user's sessions"
						 : "fresh tmpfs for each session",
		       p->size[0] ? p->size : "kernel default (50%)");
		if (p->nr_inodes)
			printf(", %llu inodes", (unsigned long long)p->nr_inodes);
		break;
	case CONF_PRIV_PERSISTENT:
		(void)conf_escape_path(p->path, esc, sizeof(esc));
		printf("kept on disk in %s/%u/%s", NSI_STATE_DIR, (unsigned)uid, esc);
		break;
	}
	/* A rule's private directories are all in one file: its own, or the top level's. */
	(void)conf_value_origin(c, plan, "private", &o);
	printf(", mode %04o, nosuid,nodev%s%s\n", (unsigned)p->mode, p->noexec ? ",noexec" : "",
	       at(c, o.file, p->line, where, sizeof(where)));
}

static void
print_files(const struct conf *c)
{
	size_t n = conf_n_files(c);

	printf("config:       %s\n", conf_file_name(c, 0));
	if (n < 2)
		return;
	printf("drop-ins:    ");
	for (size_t i = 1; i < n; i++)
		printf(" %s", conf_file_name(c, i));
	printf("\n");
}

static void
print_user(const struct user_info *u)
{
	printf("user:         %s (uid %u, gid %u)\n", u->name, (unsigned)u->uid, (unsigned)u->gid);
	printf("groups:      ");
	for (size_t i = 0; i < u->ngroups; i++)
		printf(" %s", u->groups[i]);
	printf("%s\n", u->ngroups ? "" : " (none with a name)");
}

/*
 * With a service: whether it is exempt, whoever logs in through it.  Without: every exempt
 * service, so that what is left alone whatever the rules say is in sight.
 */
static void
print_services(const struct conf *c, const char *service)
{
	char where[PATH_MAX + 40];
	struct conf_origin o;
	unsigned line;
	size_t n = conf_exempt_services(c, &line);

	if (service) {
		printf("service:      %.*s (%s)\n", CONF_MAX_NAME, service,
		       conf_service_exempt(c, service) ? "in exempt_services: no rule applies"
						       : "not in exempt_services");
		return;
	}
	printf("exempt services:");
	for (size_t i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", conf_exempt_service(c, i));
	(void)conf_value_origin(c, NULL, "exempt_services", &o);
	if (n)
		printf("%s\n", at(c, o.file, o.line, where, sizeof(where)));
	else
		printf(" none\n");
}

/* Where each of the rule's values comes from: its section, the top level, or the default. */
static void
print_origins(const struct conf *c, const struct plan *p)
{
	static const char *const options[] = {
		"isolate", "namespaces", "hostname",	 "on_error", "nested",
		"share",   "linger",	 "kill_timeout", "private",
	};
	char where[PATH_MAX + 32];
	struct conf_origin o;

	printf("set at:\n");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (conf_value_origin(c, p, options[i], &o) < 0)
			continue;
		conf_origin_format(c, &o, where, sizeof(where));
		printf("  %-13s %s\n", options[i], where);
	}
}

static void
print_plan(const struct conf *c, const struct plan *p, const struct user_info *u, const char *host)
{
	char ns[64], where[PATH_MAX + 40];
	struct conf_origin o;

	if (p->verdict == PLAN_EXEMPT) {
		printf("rule:         exempt: %s\n", p->why);
		printf("result:       left alone (PAM_IGNORE): sessions are not isolated\n");
		return;
	}
	if (p->rule_kind == CONF_RULE_TOP)
		printf("rule:         top level (no user or group section matches)\n");
	else if (conf_value_origin(c, p, "rule", &o) == 0)
		printf("rule:         %s \"%s\"%s\n",
		       p->rule_kind == CONF_RULE_USER ? "user" : "group", p->rule_title,
		       at(c, o.file, o.line, where, sizeof(where)));
	if (p->verdict == PLAN_DISABLED) {
		printf("result:       left alone (PAM_IGNORE): isolate = false\n");
		print_origins(c, p);
		return;
	}
	conf_ns_format(p->namespaces, ns, sizeof(ns));
	printf("result:       isolated\n");
	printf("namespaces:   %s\n", ns);
	if (p->hostname[0])
		printf("hostname:     %s\n", p->hostname);
	else
		printf("hostname:     %s (the host's name, in a private UTS namespace)\n", host);
	printf("on_error:     %s\n", p->on_error == CONF_ON_ERROR_DENY ? "deny" : "allow");
	printf("nested:       %s\n", p->nested == CONF_NESTED_SKIP ? "skip" : "isolate");
	printf("share:        %s\n", p->share == CONF_SHARE_USER ? "user (one session for all of "
								   "the user's logins)"
								 : "login");
	printf("linger:       %s\n", p->linger ? "yes" : "no");
	printf("kill_timeout: %u s\n", p->kill_timeout);
	printf("private:     %s\n", p->n_private ? "" : " none");
	for (size_t i = 0; i < p->n_private; i++)
		print_private(c, p, &p->private[i], u -> uid);
	print_origins(c, p);
}

int
cmd_explain(int argc, char **argv)
{
	struct user_info u = {0};
	struct conf *c = NULL;
	struct conf_args a;
	struct plan plan;
	char host[256], err[300];
	char **args;
	int r;

	r = parse_conf_args(argc, argv, "cDs", &a, &args, 1,
			    "explain USER [-s SERVICE] [-c FILE] [-D DIR]");
	if (r >= 0)
		return r;
	r = user_info_lookup(args[0], &u);
	if (r == -ENOENT) {
		fprintf(stderr, "nsisolate: no such user '%s'\n", args[0]);
		return EXIT_NO;
	}
	if (r < 0) {
		fprintf(stderr, "nsisolate: cannot look up user '%s': %s\n", args[0], strerror(-r));
		return EXIT_RUNTIME;
	}
	r = load(&a, false, &c);
	if (r != EXIT_OK)
		goto out;
	host_short_name(host, sizeof(host));
	{
		struct identity id = {
			.name = u.name,
			.uid = u.uid,
			.gid = u.gid,
			.ngroups = u.ngroups,
			.group_names = (const char *const *)u.groups,
			.service = a.service,
		};

		if (conf_resolve(c, &id, host, &plan, err, sizeof(err)) < 0) {
			fprintf(stderr, "nsisolate: %s: %s\n", a.conf, err);
			r = EXIT_NO;
			goto out;
		}
	}
	print_files(c);
	print_user(&u);
	print_services(c, a.service);
	print_plan(c, &plan, &u, host);
out:
	conf_free(c);
	user_info_free(&u);
	return r;
}
