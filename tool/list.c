/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsisolate list [-u USER] [--json]: the live sessions, as a table for people or as JSON for
 * fleet tooling (jq, a collector).  The JSON keys and their types are nsisolate(8)'s, JSON
 * OUTPUT: a stable format.  Strings are what the record holds (control bytes already '?');
 * bytes that are not UTF-8 become U+FFFD, so that the output is always valid JSON.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <string.h>
#include <time.h>

#include "../common/protocol.h"
#include "../conf/conf.h"
#include "tool.h"

/* The length of the UTF-8 sequence at s (1 to 4), or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80		   ? 1
		   : (s[0] & 0xe0) == 0xc0 ? 2
		   : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4
					   : 0;

	/* Overlong two-byte forms and what lies past U+10FFFF are not UTF-8 either. */
	if (n == 2 && s[0] < 0xc2)
		return 0;
	if (n == 4 && s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);

		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
		} else if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	fputc('"', f);
}

/* A string, or null when the record has none. */
static void
json_opt(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	if (s && *s)
		json_string(f, s);
	else
		fputs("null", f);
}

/*
 * The record's rule: "top", "exempt", or "KIND:NAME:FILE:LINE" (common/protocol.h), split as
 * the module's log line splits it.
 */
static void
json_rule(FILE *f, const char *rule)
{
	char kind[sizeof(((struct session_record *)0)->rule)];
	size_t len;
	const char *at = nsi_rule_at(rule, &len);

	(void)xsnprintf(kind, sizeof(kind), "%.*s", (int)len, rule);
	json_opt(f, "rule", kind);
	json_opt(f, "rule_at", at);
}

static void
list_json(FILE *f, const struct session_record *rec, pid_t init_pid, bool first)
{
	char when[32] = "";
	unsigned names = ns_from_clone_flags(rec->clone_ns);
	time_t t = (time_t)rec->start;
	struct tm tm;
	bool any = false;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s{\"id\":%" PRIu64, first ? "" : ",\n", rec->id);
	json_opt(f, "user", rec->user);
	fprintf(f, ",\"uid\":%u", (unsigned)rec->uid);
	json_opt(f, "service", rec->service);
	json_opt(f, "tty", rec->tty);
	json_opt(f, "rhost", rec->rhost);
	json_opt(f, "start", when);
	fprintf(f, ",\"start_epoch\":%" PRId64, rec->start);
	if (init_pid > 0)
		fprintf(f, ",\"init_pid\":%d", (int)init_pid);
	else
		fputs(",\"init_pid\":null", f);
	fputs(",\"namespaces\":[", f);
	for (size_t i = 0; i < NS_COUNT; i++)
		if (names & NS_BIT(i)) {
			fprintf(f, "%s\"%s\"", any ? "," : "", ns_types[i].name);
			any = true;
		}
	fputc(']', f);
	json_rule(f, rec->rule);
	json_opt(f, "hostname", rec->hostname);
	if (rec->shared)
		fprintf(f, ",\"shared\":true,\"logins\":%u", rec->logins);
	else
		fputs(",\"shared\":false,\"logins\":null", f);
	fprintf(f, ",\"linger\":%s}", rec->linger ? "true" : "false");
}

static void
format_ns(unsigned clone_ns, char *buf, size_t size)
{
	conf_ns_format(ns_from_clone_flags(clone_ns), buf, size);
}

int
tool_user_uid(const char *name, uid_t *ret)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw) {
		*ret = pw->pw_uid;
		return EXIT_OK;
	}
	if (errno && errno != ENOENT && errno != ESRCH) {
		fprintf(stderr, "nsisolate: cannot look up user '%s': %s\n", name, strerror(errno));
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "nsisolate: no such user '%s'\n", name);
	return EXIT_NO;
}

/* One line of the table. */
static void
print_row(const struct session_record *rec, pid_t init_pid)
{
	char when[32] = "?", ns[64], where[300], pid[16] = "?", shared[32] = "";
	time_t t = (time_t)rec->start;
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	format_ns(rec->clone_ns, ns, sizeof(ns));
	(void)xsnprintf(where, sizeof(where), "%s%s%s", rec->tty[0] ? rec->tty : "-",
			rec->rhost[0] ? " " : "", rec->rhost);
	if (init_pid > 0)
		(void)xsnprintf(pid, sizeof(pid), "%d", (int)init_pid);
	/* A shared one says how many logins it has; the others have one. */
	if (rec->shared)
		(void)xsnprintf(shared, sizeof(shared), " (shared, %u login%s)", rec->logins,
				rec->logins == 1 ? "" : "s");
	printf("%-12" PRIu64 " %-16s %-14s %-22s %8s  %-19s %s%s%s\n", rec->id, rec->user,
	       rec->service, where, pid, when, ns, shared, rec->linger ? " (linger)" : "");
}

static int
list_args(int argc, char **argv, const char **ret_user, bool *ret_json)
{
	static const struct option opts[] = {
		{"user", required_argument, NULL, 'u'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	*ret_user = NULL;
	*ret_json = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			*ret_user = optarg;
			break;
		case 'j':
			*ret_json = true;
			break;
		case 'h':
			puts("Usage: nsisolate list [-u USER] [--json]");
			return EXIT_OK;
		default:
			usage_error("usage: nsisolate list [-u USER] [--json]");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage_error("usage: nsisolate list [-u USER] [--json]");
		return EXIT_USAGE;
	}
	return -1;
}

int
cmd_list(int argc, char **argv)
{
	_cleanup_close_ int dfd = -1;
	struct dirent **names = NULL;
	const char *user;
	uid_t uid = 0;
	bool json, first = true;
	int n, r;

	if ((r = list_args(argc, argv, &user, &json)) >= 0)
		return r;
	if (user && (r = tool_user_uid(user, &uid)) != EXIT_OK)
		return r;
	dfd = sessions_open_dir();
	if (dfd < 0 && errno != ENOENT)
		return EXIT_RUNTIME;
	/* No directory yet: no session ever; the table says nothing, as it always has. */
	if (dfd < 0 && !json)
		return EXIT_OK;
	n = dfd < 0 ? 0 : scandirat(dfd, ".", &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "nsisolate: cannot list %s: %s\n", NSI_SESSIONS_DIR,
			strerror(errno));
		return EXIT_RUNTIME;
	}
	if (json)
		fputs("[", stdout);
	else
		printf("%-12s %-16s %-14s %-22s %8s  %-19s %s\n", "SESSION", "USER", "SERVICE",
		       "TTY/HOST", "INIT", "STARTED", "NAMESPACES");
	for (int i = 0; i < n; i++) {
		struct session_record rec;
		struct init_proc init;
		int fd = -1;

		/* A record nobody holds is a session whose PID 1 died: not live. */
		if (names[i]->d_name[0] != '.' &&
		    record_read(dfd, names[i]->d_name, 0, &rec, &fd) == 0 && record_alive(fd) &&
		    (!user || rec.uid == uid)) {
			/* PID 1 as we number it: the record's pid may be another's. */
			pid_t pid = sessions_find_init(&rec, fd, &init) == 0 ? init.pid : 0;

			if (pid)
				init_proc_close(&init);
			if (json)
				list_json(stdout, &rec, pid, first);
			else
				print_row(&rec, pid);
			first = false;
		}
		if (fd >= 0)
			close(fd);
		free(names[i]);
	}
	free(names);
	if (json)
		fputs(first ? "]\n" : "\n]\n", stdout);
	return EXIT_OK;
}
