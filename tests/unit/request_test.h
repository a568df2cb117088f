/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the tests of helper/request.c (test_request.c, test_hostile_request.c):
 * run request_parse() over a list of arguments, as the module would pass them.
 */
#ifndef NSISOLATE_REQUEST_TEST_H
#define NSISOLATE_REQUEST_TEST_H

#include <getopt.h>
#include <string.h>

#include "../../helper/helper.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAX_ARGS 32

/* Parse a NULL-terminated list of arguments after "nsisolate-helper"; req is left filled. */
static inline int
parse_v(struct request *req, const char *const *args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"nsisolate-helper";
	for (; *args; args++) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	memset(req, 0, sizeof(*req));
	/* Quiet: getopt would print its complaints about the bad cases to stderr. */
	opterr = 0;
	return request_parse(argc, argv, req);
}

#define parse(req, ...) parse_v((req), (const char *const[]){__VA_ARGS__, NULL})

static inline void
request_free(struct request *req)
{
	free(req->groups);
	req->groups = NULL;
}

#endif
