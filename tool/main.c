/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsisolate(8): check the configuration, explain it, and manage isolated sessions. */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "../common/paths.h"
#include "tool.h"

static const char usage_text[] =
	"Usage: nsisolate COMMAND [ARGS]\n"
	"\n"
	"Isolated login sessions (pam_nsisolate): mount, IPC, PID and UTS namespaces with\n"
	"private /tmp, /var/tmp and /dev/shm for every login.\n"
	"\n"
	"Commands:\n"
	"  check [-c FILE] [-D DIR] [-d FILE [-n NAME]] [--doctor] [--strict]\n"
	"                               validate the configuration and its drop-ins; every\n"
	"                               problem is printed as FILE:LINE: message; -d checks\n"
	"                               FILE as if installed as drop-in NAME; without -c, -D,\n"
	"                               -d (or with --doctor): which PAM services run the\n"
	"                               module, and warnings about them and this host\n"
	"                               (--strict: warnings fail)\n"
	"  explain USER [-s SERVICE] [-c FILE] [-D DIR]\n"
	"                               which rule applies to USER and what their sessions get;\n"
	"                               with -s, for a login through SERVICE (exempt_services)\n"
	"  list [-u USER] [--json]      the isolated sessions that are running now (USER's);\n"
	"                               --json: one JSON object per session\n"
	"  enter SESSION|PID [-- CMD]   run CMD (default: a shell) inside a session, as root\n"
	"  terminate [-t SECONDS] SESSION|PID|-u USER\n"
	"                               end sessions as logout does and wait until they are\n"
	"                               gone (SIGKILL to PID 1 after SECONDS, default 10)\n"
	"  run -u USER [-s SERVICE] [-t] [-- CMD]\n"
	"                               open a PAM session for USER through SERVICE's stack\n"
	"                               (default: nsisolate), run CMD as USER inside it, close it;\n"
	"                               -t prints how long opening and closing took\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE            configuration file (default: " NSI_CONF_PATH ")\n"
	"  -D, --drop-in-dir DIR        its drop-ins (default: FILE without .conf, plus .d)\n"
	"  -h, --help                   show this help\n"
	"  -V, --version                show the version\n"
	"\n"
	"Exit status: 0 success, 1 a \"no\" (invalid configuration, unknown user, no such\n"
	"session), 2 usage error, 3 runtime failure; run exits with CMD's status.\n"
	"See nsisolate(8), nsisolate.conf(5), pam_nsisolate(8).\n";

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nsisolate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'nsisolate --help'.\n", stderr);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"check", cmd_check}, {"explain", cmd_explain}, {"list", cmd_list},
		{"enter", cmd_enter}, {"run", cmd_run},		{"terminate", cmd_terminate},
	};

	if (argc < 2) {
		usage_error("missing command");
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		puts("nsisolate " NSI_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	usage_error("unknown command '%s'", argv[1]);
	return EXIT_USAGE;
}
