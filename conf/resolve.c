/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "store.h"
#include "values.h"

static const uint32_t *
find_str(const struct conf *c, uint32_t off, uint32_t n, const char *key)
{
	const uint32_t *v = conf_u32(c, off);
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = strcmp(conf_str(c, v[mid]), key);

		if (r == 0)
			return v + mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The policy number of the section titled `key`, or UINT32_MAX. */
static uint32_t
find_section(const struct conf *c, uint32_t index_off, uint32_t n, const char *key)
{
	const uint32_t *v = conf_u32(c, index_off);
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = strcmp(conf_str(c, conf_policy(c, v[mid])->title), key);

		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(conf_str(c, conf_policy(c, v[lo])->title), key) == 0 ? v[lo]
										     : UINT32_MAX;
}

/* `file` and `line` set the list: "line N" in the main file, "FILE:LINE" in a drop-in. */
static void
exempt(struct plan *p, const struct conf *c, const char *what, const char *name, const char *list,
       uint32_t file, uint32_t line)
{
	p->verdict = PLAN_EXEMPT;
	if (line && file)
		(void)xsnprintf(p->why, sizeof(p->why), "%s '%.*s' is in %s (%s:%u)", what,
				CONF_MAX_NAME, name, list, conf_file(c, file), line);
	else if (line)
		(void)xsnprintf(p->why, sizeof(p->why), "%s '%.*s' is in %s (line %u)", what,
				CONF_MAX_NAME, name, list, line);
	else
		(void)xsnprintf(p->why, sizeof(p->why), "%s '%.*s' is in %s (the default)", what,
				CONF_MAX_NAME, name, list);
}

int
conf_resolve(const struct conf *c, const struct identity *id, const char *host, struct plan *ret,
	     char *err, size_t errlen)
{
	const struct conf_header *h = c->h;
	const struct conf_policy *pol;
	const char *name = id->name;
	uint32_t best = UINT32_MAX, k;
	char uidname[16];

	memset(ret, 0, sizeof(*ret));
	(void)xsnprintf(uidname, sizeof(uidname), "#%u", (unsigned)id->uid);
	/*
	 * In the file, "#N" always means uid N.  NSS may still have a user *named* "#N" (LDAP
	 * can, /etc/passwd cannot): by name, such a user would take uid N's exemption or rule.
	 * Such a name matches nothing by name; its uid still counts.
	 */
	if (id->name[0] == '#')
		name = "";

	/*
	 * Exempt lists come first, whatever the sections say.  The service first: it leaves a
	 * whole kind of login alone (cron jobs, the systemd user manager), whoever logs in.
	 */
	if (id->service && conf_service_exempt(c, id->service)) {
		exempt(ret, c, "service", id->service, "exempt_services", h->exempt_services_file,
		       h->exempt_services_line);
		return 0;
	}
	if (find_str(c, h->exempt_users_off, h->n_exempt_users, name) ||
	    find_str(c, h->exempt_users_off, h->n_exempt_users, uidname)) {
		bool by_name = find_str(c, h->exempt_users_off, h->n_exempt_users, name);

		exempt(ret, c, "user", by_name ? id->name : uidname, "exempt_users",
		       h->exempt_users_file, h->exempt_users_line);
		return 0;
	}
	for (size_t i = 0; i < id->ngroups; i++)
		if (find_str(c, h->exempt_groups_off, h->n_exempt_groups, id->group_names[i])) {
			exempt(ret, c, "group", id->group_names[i], "exempt_groups",
			       h->exempt_groups_file, h->exempt_groups_line);
			return 0;
		}

	/* The first user section naming the user, by name or by "#UID". */
	k = find_section(c, h->user_index_off, h->n_users, name);
	best = k;
	k = find_section(c, h->user_index_off, h->n_users, uidname);
	if (k < best)
		best = k;
	/* Else the first group section, in file order, naming one of the user's groups. */
	if (best == UINT32_MAX)
		for (size_t i = 0; i < id->ngroups; i++) {
			k = find_section(c, h->group_index_off, h->n_groups, id->group_names[i]);
			if (k < best)
				best = k;
		}
	pol = conf_policy(c, best == UINT32_MAX ? 0 : best);

	ret->rule_kind = (enum conf_rule_kind)pol->kind;
	ret->rule_title = pol->kind == CONF_RULE_TOP ? NULL : conf_str(c, pol->title);
	ret->rule_line = pol->line;
	ret->rule_file = conf_file(c, pol->file);
	ret->rule_index = best == UINT32_MAX ? 0 : best;
	ret->verdict = pol->isolate ? PLAN_ISOLATE : PLAN_DISABLED;
	ret->namespaces = pol->namespaces;
	ret->on_error = (enum conf_on_error)pol->on_error;
	ret->nested = (enum conf_nested)pol->nested;
	ret->share = (enum conf_share)pol->share;
	ret->linger = pol->linger;
	ret->kill_timeout = pol->kill_timeout;
	if (ret->verdict != PLAN_ISOLATE)
		return 0;
	if (conf_expand_hostname(conf_str(c, pol->hostname), id->name, id->uid, host, ret->hostname,
				 sizeof(ret->hostname), err, errlen) < 0)
		return -EINVAL;
	for (uint32_t i = 0; i < pol->priv_count && i < CONF_MAX_PRIVATE; i++) {
		const struct conf_priv *cp = conf_priv(c, pol->priv_first + i);
		struct plan_private *pp = &ret->private[ret->n_private++];

		pp->path = conf_str(c, cp->path);
		pp->type = (enum conf_private_type)cp->type;
		(void)xsnprintf(pp->size, sizeof(pp->size), "%s", conf_str(c, cp->size));
		pp->nr_inodes = cp->nr_inodes;
		pp->mode = (mode_t)cp->mode;
		pp->noexec = cp->noexec;
		pp->line = cp->line;
	}
	return 0;
}

bool
conf_service_exempt(const struct conf *c, const char *service)
{
	return find_str(c, c->h->exempt_services_off, c->h->n_exempt_services, service) != NULL;
}

size_t
conf_exempt_services(const struct conf *c, unsigned *ret_line)
{
	*ret_line = c->h->exempt_services_line;
	return c->h->n_exempt_services;
}

const char *
conf_exempt_service(const struct conf *c, size_t i)
{
	return i < c->h->n_exempt_services ? conf_str(c, conf_u32(c, c->h->exempt_services_off)[i])
					   : NULL;
}

const char *
conf_private_type_name(enum conf_private_type t)
{
	switch (t) {
	case CONF_PRIV_SESSION:
		return "session";
	case CONF_PRIV_USER:
		return "user";
	case CONF_PRIV_PERSISTENT:
		return "persistent";
	}
	return "?";
}

const char *
conf_ns_name(enum conf_ns ns)
{
	for (size_t i = 0; i < NS_COUNT; i++)
		if ((unsigned)ns == NS_BIT(i))
			return ns_types[i].name;
	return "?";
}

void
conf_ns_format(unsigned namespaces, char *buf, size_t size)
{
	ns_format(namespaces, ",", buf, size);
}
