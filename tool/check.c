/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsisolate check / explain: the configuration library, read-only. */
#include <getopt.h>
#include <string.h>

#include "../common/identity.h"
#include "../common/paths.h"
#include "../conf/conf.h"
#include "../conf/values.h"
#include "tool.h"

static const struct option conf_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"service", required_argument, NULL, 's'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

/*
 * Parse "[-c FILE]", "[-s SERVICE]" when `service` is not NULL, and exactly `max_args`
 * positional arguments.
 */
static int
parse_conf_args(int argc, char **argv, const char **conf, const char **service, char ***args,
		int *nargs, int max_args, const char *usage)
{
	int c;

	*conf = NSI_CONF_PATH;
	if (service)
		*service = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, service ? "c:s:h" : "c:h", conf_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			*conf = optarg;
			break;
		case 's':
			if (!service) {
				usage_error("usage: nsisolate %s", usage);
				return EXIT_USAGE;
			}
			*service = optarg;
			break;
		case 'h':
			printf("Usage: nsisolate %s\n", usage);
			return EXIT_OK + 100;
		default:
			usage_error("usage: nsisolate %s", usage);
			return EXIT_USAGE;
		}
	}
	*args = argv + optind;
	*nargs = argc - optind;
	if (*nargs != max_args) {
		usage_error("usage: nsisolate %s", usage);
		return EXIT_USAGE;
	}
	return -1;
}

/* Load and check a configuration, printing every problem.  Returns an exit code. */
static int
load(const char *path, bool targets, struct conf **ret)
{
	struct conf_diags d;
	int r;

	if (conf_diags_init(&d, path) < 0)
		return EXIT_RUNTIME;
	r = conf_load(path, 0, ret, &d);
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
	const char *path;
	struct conf *c = NULL;
	char **args;
	int n, r;

	r = parse_conf_args(argc, argv, &path, NULL, &args, &n, 0, "check [-c FILE]");
	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	r = load(path, true, &c);
	if (r == EXIT_OK)
		printf("%s: ok\n", path);
	conf_free(c);
	return r;
}

static void
print_private(const struct plan_private *p, uid_t uid)
{
	char esc[NAME_MAX + 1] = "?";

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
	printf(", mode %04o, nosuid,nodev%s (line %u)\n", (unsigned)p->mode,
	       p->noexec ? ",noexec" : "", p->line);
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
	if (n)
		printf(" (line %u)\n", line);
	else
		printf(" none\n");
}

static void
print_plan(const struct plan *p, const struct user_info *u, const char *host)
{
	char ns[64];

	if (p->verdict == PLAN_EXEMPT) {
		printf("rule:         exempt: %s\n", p->why);
		printf("result:       left alone (PAM_IGNORE): sessions are not isolated\n");
		return;
	}
	if (p->rule_kind == CONF_RULE_TOP)
		printf("rule:         top level (no user or group section matches)\n");
	else
		printf("rule:         %s \"%s\" (line %u)\n",
		       p->rule_kind == CONF_RULE_USER ? "user" : "group", p->rule_title,
		       p->rule_line);
	if (p->verdict == PLAN_DISABLED) {
		printf("result:       left alone (PAM_IGNORE): isolate = false\n");
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
	printf("linger:       %s\n", p->linger ? "yes" : "no");
	printf("kill_timeout: %u s\n", p->kill_timeout);
	printf("private:     %s\n", p->n_private ? "" : " none");
	for (size_t i = 0; i < p->n_private; i++)
		print_private(&p->private[i], u -> uid);
}

int
cmd_explain(int argc, char **argv)
{
	struct user_info u = {0};
	struct conf *c = NULL;
	struct plan plan;
	char host[256], err[300];
	const char *path, *service;
	char **args;
	int n, r;

	r = parse_conf_args(argc, argv, &path, &service, &args, &n, 1,
			    "explain USER [-s SERVICE] [-c FILE]");
	if (r >= 0)
		return r == EXIT_OK + 100 ? EXIT_OK : r;
	r = user_info_lookup(args[0], &u);
	if (r == -ENOENT) {
		fprintf(stderr, "nsisolate: no such user '%s'\n", args[0]);
		return EXIT_NO;
	}
	if (r < 0) {
		fprintf(stderr, "nsisolate: cannot look up user '%s': %s\n", args[0], strerror(-r));
		return EXIT_RUNTIME;
	}
	r = load(path, false, &c);
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
			.service = service,
		};

		if (conf_resolve(c, &id, host, &plan, err, sizeof(err)) < 0) {
			fprintf(stderr, "nsisolate: %s: %s\n", path, err);
			r = EXIT_NO;
			goto out;
		}
	}
	printf("config:       %s\n", path);
	print_user(&u);
	print_services(c, service);
	print_plan(&plan, &u, host);
out:
	conf_free(c);
	user_info_free(&u);
	return r;
}
