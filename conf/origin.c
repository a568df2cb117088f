/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where each value of a configuration was set, for `nsisolate explain`: with drop-ins, a
 * rule's values may come from several files (a section's own, the top level's from another
 * file, the built-in defaults).
 */
#include <string.h>

#include "store.h"

static const char *const opt_names[CONF_OPT_N] = {
	[CONF_OPT_ISOLATE] = "isolate",	  [CONF_OPT_NAMESPACES] = "namespaces",
	[CONF_OPT_HOSTNAME] = "hostname", [CONF_OPT_ON_ERROR] = "on_error",
	[CONF_OPT_NESTED] = "nested",	  [CONF_OPT_SHARE] = "share",
	[CONF_OPT_LINGER] = "linger",	  [CONF_OPT_KILL_TIMEOUT] = "kill_timeout",
	[CONF_OPT_PRIVATE] = "private",
};

const char *
conf_opt_name(enum conf_opt o)
{
	return (unsigned)o < CONF_OPT_N ? opt_names[o] : "?";
}

int
conf_value_origin(const struct conf *c, const struct plan *p, const char *option,
		  struct conf_origin *ret)
{
	const struct conf_header *h = c->h;

	*ret = (struct conf_origin){0};
	if (strcmp(option, "exempt_users") == 0)
		*ret = (struct conf_origin){h->exempt_users_file, h->exempt_users_line};
	else if (strcmp(option, "exempt_groups") == 0)
		*ret = (struct conf_origin){h->exempt_groups_file, h->exempt_groups_line};
	else if (strcmp(option, "exempt_services") == 0)
		*ret = (struct conf_origin){h->exempt_services_file, h->exempt_services_line};
	else {
		const struct conf_src *s = NULL;

		if (!p || p->rule_index >= h->n_policies)
			return -EINVAL;
		if (strcmp(option, "rule") == 0) {
			const struct conf_policy *pol = conf_policy(c, p->rule_index);

			*ret = (struct conf_origin){pol->file, pol->line};
			return 0;
		}
		for (int o = 0; o < CONF_OPT_N; o++)
			if (strcmp(option, opt_names[o]) == 0)
				s = conf_policy_src(c, p->rule_index, (enum conf_opt)o);
		if (!s)
			return -EINVAL;
		*ret = (struct conf_origin){s->file, s->line};
	}
	return 0;
}

void
conf_origin_format(const struct conf *c, const struct conf_origin *o, char *buf, size_t size)
{
	if (o->line == 0)
		(void)xsnprintf(buf, size, "default");
	else if (o->file == 0)
		(void)xsnprintf(buf, size, "line %u", o->line);
	else
		(void)xsnprintf(buf, size, "%s:%u", conf_file(c, o->file), o->line);
}

size_t
conf_n_files(const struct conf *c)
{
	return c->h->n_files;
}

const char *
conf_file_name(const struct conf *c, size_t i)
{
	return conf_file(c, (uint32_t)i);
}
