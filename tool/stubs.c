/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Commands that come with isolated sessions (issue: sessions); say so plainly until then. */
#include "tool.h"

static int
not_yet(const char *cmd)
{
	fprintf(stderr, "nsisolate: '%s' is not implemented yet\n", cmd);
	return EXIT_RUNTIME;
}

int
cmd_list(int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_yet("list");
}

int
cmd_enter(int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_yet("enter");
}
