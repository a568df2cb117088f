/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the module asked for, read from the helper's arguments (the command line in
 * common/protocol.h), and the name the reply gives the rule that answered it.  Nothing here
 * touches the system: the unit tests run it without root.
 */
#include <getopt.h>
#include <string.h>

#include "helper.h"

/* A uid or gid: digits only, and never (uid_t)-1, which setresuid() reads as "unchanged". */
static int
parse_id(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r = parse_uint(s, UINT32_MAX - 1, &v);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

int
request_parse(int argc, char **argv, struct request *req)
{
	static const struct option opts[] = {
		{"conf", required_argument, NULL, 'c'},
		{"user", required_argument, NULL, 'u'},
		{"uid", required_argument, NULL, 'U'},
		{"gid", required_argument, NULL, 'G'},
		{"service", required_argument, NULL, 's'},
		{"tty", required_argument, NULL, 't'},
		{"rhost", required_argument, NULL, 'r'},
		{"group", required_argument, NULL, 'g'},
		{0},
	};
	bool have_uid = false, have_gid = false;
	int c;

	if (argc < 2 || strcmp(argv[1], "open") != 0)
		return -EINVAL;
	req->groups = calloc((size_t)argc, sizeof(char *));
	if (!req->groups)
		return -ENOMEM;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			req->conf = optarg;
			break;
		case 'u':
			req->user = optarg;
			break;
		case 'U':
			have_uid = parse_id(optarg, &req->uid) == 0;
			break;
		case 'G':
			have_gid = parse_id(optarg, &req->gid) == 0;
			break;
		case 's':
			req->service = optarg;
			break;
		case 't':
			req->tty = optarg;
			break;
		case 'r':
			req->rhost = optarg;
			break;
		case 'g':
			req->groups[req->ngroups++] = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || !req->conf || req->conf[0] != '/' || !req->user || !*req->user ||
	    !req->service || !have_uid || !have_gid)
		return -EINVAL;
	return 0;
}

/*
 * The rule's name in the reply (common/protocol.h), for the module's log line: "top",
 * "exempt", or "KIND:NAME:FILE:LINE".  A section's name has no ':' (conf_check_name), so the
 * module splits it at the second one.  FILE:LINE is kept whole and the name cut short to
 * fit; a FILE:LINE that does not fit leaves "KIND:NAME" alone.
 */
void
request_rule_tag(const struct plan *p, char *buf, size_t size)
{
	const char *kind = p->rule_kind == CONF_RULE_USER ? "user" : "group";
	char at[PATH_MAX + 16];
	size_t room;

	if (p->verdict == PLAN_EXEMPT) {
		(void)xsnprintf(buf, size, "exempt");
		return;
	}
	if (p->rule_kind == CONF_RULE_TOP) {
		(void)xsnprintf(buf, size, "top");
		return;
	}
	(void)xsnprintf(at, sizeof(at), "%s:%u", p->rule_file ? p->rule_file : "?", p->rule_line);
	/* "KIND:" ":" and the NUL, and one byte of the name at least. */
	room = strlen(kind) + strlen(at) + 3;
	if (size <= room) {
		(void)xsnprintf(buf, size, "%s:%s", kind, p->rule_title);
		return;
	}
	(void)xsnprintf(buf, size, "%s:%.*s:%s", kind, (int)(size - room), p->rule_title, at);
}

void
request_describe_rule(const struct plan *p, char *buf, size_t size)
{
	if (p->verdict == PLAN_EXEMPT)
		(void)xsnprintf(buf, size, "exempt");
	else if (p->rule_kind == CONF_RULE_TOP)
		(void)xsnprintf(buf, size, "top level");
	else
		(void)xsnprintf(buf, size, "%s '%.80s' line %u",
				p->rule_kind == CONF_RULE_USER ? "user" : "group", p->rule_title,
				p->rule_line);
}
