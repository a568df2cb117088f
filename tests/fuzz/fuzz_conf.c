/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the configuration library on arbitrary bytes.  conf_parse_buffer() must
 * accept or refuse anything without crashing, leaking or misbehaving (ASan, UBSan); what it
 * accepts must be a table its own cache validator accepts, and must resolve, for a few fixed
 * identities, into a plan whose every string is terminated and every count within bounds.
 *
 *   make fuzz [FUZZ_SECONDS=60]     (clang -fsanitize=fuzzer,address,undefined)
 *
 * A crash is kept as a unit test in tests/unit/test_fuzz_regressions.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../conf/cache.h"
#include "../../conf/store.h"
#include "../../conf/values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const groups_alice[] = {"alice", "students", "wheel", "#1000", ""};
static const char *const groups_odd[] = {"nsitest x", "g\"q", "%u%h%%", "students"};
static const char *many[1000];
static char many_buf[1000][16];

static const struct identity identities[] = {
	{.name = "root", .uid = 0, .gid = 0},
	{.name = "alice", .uid = 1000, .gid = 1000, .ngroups = 5, .group_names = groups_alice},
	/* A name that looks like the uid form (LDAP can have one): must not match "#1000". */
	{.name = "#1000", .uid = 1001, .gid = 1001},
	{.name = "x%u%h%%.-y",
	 .uid = 4294967294u,
	 .gid = 0,
	 .ngroups = 4,
	 .group_names = groups_odd},
	{.name = "many", .uid = 2000, .gid = 2000, .ngroups = 1000, .group_names = many},
};

/* Everything a plan points to or counts must be sane; the helper trusts it. */
static void
check_plan(const struct plan *p)
{
	if (p->verdict != PLAN_ISOLATE && p->verdict != PLAN_EXEMPT && p->verdict != PLAN_DISABLED)
		abort();
	if (strnlen(p->why, sizeof(p->why)) == sizeof(p->why) ||
	    strnlen(p->hostname, sizeof(p->hostname)) == sizeof(p->hostname))
		abort();
	if (p->rule_title && strlen(p->rule_title) > CONF_MAX_NAME)
		abort();
	if (p->verdict != PLAN_ISOLATE)
		return;
	if (p->n_private > CONF_MAX_PRIVATE || (p->namespaces & ~(unsigned)CONF_NS_ALL))
		abort();
	if (p->hostname[0] && !conf_hostname_valid(p->hostname))
		abort();
	for (size_t i = 0; i < p->n_private; i++) {
		const struct plan_private *pp = &p->private[i];
		char err[256];

		/* Only absolute, canonical, allowed paths may reach the helper. */
		if (conf_check_private_path(pp->path, err, sizeof(err)) < 0)
			abort();
		if (strnlen(pp->size, sizeof(pp->size)) == sizeof(pp->size) || pp->mode > 07777)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct conf_diags d;
	struct conf *c = NULL;

	if (!devnull) {
		devnull = fopen("/dev/null", "we");
		for (size_t i = 0; i < 1000; i++) {
			snprintf(many_buf[i], sizeof(many_buf[i]), "g%zu", i);
			many[i] = many_buf[i];
		}
	}
	if (conf_diags_init(&d, "fuzz.conf") < 0)
		return 0;
	if (conf_parse_buffer("fuzz.conf", (const char *)data, size, &c, &d) == 0) {
		/* What the cache would write must be what the cache accepts when it reads it. */
		if (conf_validate_blob(c->h, c->size) != 0)
			abort();
		for (size_t i = 0; i < sizeof(identities) / sizeof(identities[0]); i++) {
			struct plan plan;
			char err[512];

			if (conf_resolve(c, &identities[i], "fuzzhost", &plan, err, sizeof(err)) ==
			    0)
				check_plan(&plan);
			else if (strnlen(err, sizeof(err)) == sizeof(err))
				abort();
		}
		conf_free(c);
	} else if (!conf_diags_failed(&d)) {
		/* A refusal always says why. */
		abort();
	}
	conf_diags_print(&d, devnull);
	conf_diags_free(&d);
	return 0;
}
