/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parsed configuration as one flat, pointer-free table: a header, the rules (top level,
 * then `user` sections, then `group` sections, each in the order of the files and within a
 * file in file order), the private directories, sorted indices for lookups, the names of the
 * files read (the main file, then its drop-ins), where each rule's values were set, and a
 * string pool.  Built once by parse.c; read by resolve.c.  Being pointer-free, the same bytes
 * can later be cached in a file and used as they are.
 */
#ifndef NSISOLATE_STORE_H
#define NSISOLATE_STORE_H

#include "conf.h"

#define CONF_MAGIC   "NSICONF"
#define CONF_VERSION 4 /* 2: exempt_services; 3: drop-ins, where each value was set; 4: share */

struct conf_policy {
	uint32_t title; /* string offset; 0 ("") at the top level */
	uint32_t line;
	uint32_t hostname; /* string offset of the template */
	uint32_t priv_first, priv_count;
	uint32_t kill_timeout;
	uint8_t kind, isolate, namespaces, on_error, nested, linger, share, pad;
	uint32_t file; /* of `line`: 0 the main file, n its n-th drop-in */
};

struct conf_priv {
	uint32_t path, line;
	uint32_t size; /* string offset of tmpfs's size= value; 0 ("") for the default */
	uint32_t mode;
	uint64_t nr_inodes;
	uint8_t type, noexec, pad[2];
	uint32_t file;
};

/* Where a value was set: file (as in conf_policy) and line; line 0: the built-in default. */
struct conf_src {
	uint32_t file, line;
};

/* The options of a rule, each with its conf_src (for nsisolate explain). */
enum conf_opt {
	CONF_OPT_ISOLATE,
	CONF_OPT_NAMESPACES,
	CONF_OPT_HOSTNAME,
	CONF_OPT_ON_ERROR,
	CONF_OPT_NESTED,
	CONF_OPT_SHARE,
	CONF_OPT_LINGER,
	CONF_OPT_KILL_TIMEOUT,
	CONF_OPT_PRIVATE,
	CONF_OPT_N
};
const char *conf_opt_name(enum conf_opt o); /* as in the file: "namespaces" */

struct conf_header {
	char magic[8];
	uint32_t version, total_size;
	uint32_t n_policies, policies_off;
	uint32_t n_users, n_groups; /* policies [1, 1+n_users) and the n_groups after them */
	uint32_t n_privs, privs_off;
	uint32_t user_index_off, group_index_off;  /* policy numbers sorted by title */
	uint32_t n_exempt_users, exempt_users_off; /* string offsets, sorted */
	uint32_t n_exempt_groups, exempt_groups_off;
	uint32_t n_exempt_services, exempt_services_off;
	uint32_t exempt_users_line, exempt_groups_line, exempt_services_line;
	uint32_t exempt_users_file, exempt_groups_file, exempt_services_file;
	uint32_t n_files, files_off; /* string offsets of the file names, the main file first */
	uint32_t srcs_off;	     /* CONF_OPT_N conf_src per policy */
	uint32_t strings_off, strings_size;
};

struct conf {
	struct conf_header *h;
	size_t size;
	void *map; /* set when h lives in a mapped cache file (see cache.c) */
	size_t map_len;
};

static inline const char *
conf_str(const struct conf *c, uint32_t off)
{
	return (const char *)c->h + c->h->strings_off + off;
}

static inline const struct conf_policy *
conf_policy(const struct conf *c, uint32_t i)
{
	return (const struct conf_policy *)((const char *)c->h + c->h->policies_off) + i;
}

static inline const struct conf_priv *
conf_priv(const struct conf *c, uint32_t i)
{
	return (const struct conf_priv *)((const char *)c->h + c->h->privs_off) + i;
}

static inline const uint32_t *
conf_u32(const struct conf *c, uint32_t off)
{
	return (const uint32_t *)((const char *)c->h + off);
}

/* The name of file `i` (0 the main file), as it was read; "?" out of range. */
static inline const char *
conf_file(const struct conf *c, uint32_t i)
{
	return i < c->h->n_files ? conf_str(c, conf_u32(c, c->h->files_off)[i]) : "?";
}

/* Where option `opt` of policy `i` was set. */
static inline const struct conf_src *
conf_policy_src(const struct conf *c, uint32_t i, enum conf_opt opt)
{
	return (const struct conf_src *)((const char *)c->h + c->h->srcs_off) + i * CONF_OPT_N +
	       opt;
}

/* ---- building (parse.c) ---------------------------------------------------------------- */

/* The three exempt lists, in the order conf_resolve looks at them. */
enum conf_exempt_list {
	CONF_EXEMPT_SERVICES,
	CONF_EXEMPT_USERS,
	CONF_EXEMPT_GROUPS,
	CONF_EXEMPT_N
};

struct conf_builder {
	char *strings;
	size_t slen, scap;
	struct conf_policy *pol;
	struct conf_src *src; /* CONF_OPT_N per policy */
	size_t npol, polcap, srccap;
	struct conf_priv *priv;
	size_t npriv, privcap;
	uint32_t *exempt[CONF_EXEMPT_N]; /* string offsets, in file order */
	size_t n_exempt[CONF_EXEMPT_N];
	uint32_t exempt_line[CONF_EXEMPT_N], exempt_file[CONF_EXEMPT_N];
	uint32_t *files; /* string offsets of the file names */
	size_t n_files;
	size_t n_users, n_groups;
};

void conf_builder_free(struct conf_builder *b);
/* Each returns an index/offset, or -ENOMEM. */
int64_t conf_builder_str(struct conf_builder *b, const char *s);
int64_t conf_builder_policy(struct conf_builder *b, const struct conf_policy *p,
			    const struct conf_src src[CONF_OPT_N]);
int conf_builder_file(struct conf_builder *b, const char *name);
int64_t conf_builder_priv(struct conf_builder *b, const struct conf_priv *p);
int conf_builder_exempt(struct conf_builder *b, enum conf_exempt_list list, const char *name);
/* Lay everything out in one allocation, with sorted indices. */
int conf_builder_finish(struct conf_builder *b, struct conf **ret);

#endif
