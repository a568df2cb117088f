/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSISOLATE_TOOL_H
#define NSISOLATE_TOOL_H

#include "../common/util.h"

/* Exit codes (nsisolate(8), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_NO = 1, /* invalid configuration, unknown user */
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
};

int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_enter(int argc, char **argv);

void usage_error(const char *fmt, ...) _printf_(1, 2);

#endif
