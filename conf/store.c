/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/mman.h>

#include "store.h"

static int
grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	p = reallocarray(*v, c, elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

void
conf_builder_free(struct conf_builder *b)
{
	free(b->strings);
	free(b->pol);
	free(b->src);
	free(b->priv);
	free(b->files);
	for (size_t i = 0; i < CONF_EXEMPT_N; i++)
		free(b->exempt[i]);
	*b = (struct conf_builder){0};
}

int64_t
conf_builder_str(struct conf_builder *b, const char *s)
{
	size_t n = strlen(s) + 1, off;

	/* Offset 0 is always "", so that 0 can mean "no value". */
	if (b->slen == 0) {
		if (grow((void **)&b->strings, &b->scap, 0, 1) < 0)
			return -ENOMEM;
		b->strings[b->slen++] = '\0';
	}
	if (n == 1)
		return 0;
	if (b->slen + n > UINT32_MAX / 2)
		return -E2BIG;
	while (b->slen + n > b->scap)
		if (grow((void **)&b->strings, &b->scap, b->scap, 1) < 0)
			return -ENOMEM;
	off = b->slen;
	memcpy(b->strings + off, s, n);
	b->slen += n;
	return (int64_t)off;
}

int64_t
conf_builder_policy(struct conf_builder *b, const struct conf_policy *p,
		    const struct conf_src src[CONF_OPT_N])
{
	if (grow((void **)&b->pol, &b->polcap, b->npol, sizeof(*p)) < 0 ||
	    grow((void **)&b->src, &b->srccap, b->npol, CONF_OPT_N * sizeof(*src)) < 0)
		return -ENOMEM;
	b->pol[b->npol] = *p;
	memcpy(b->src + b->npol * CONF_OPT_N, src, CONF_OPT_N * sizeof(*src));
	return (int64_t)b->npol++;
}

int
conf_builder_file(struct conf_builder *b, const char *name)
{
	int64_t off = conf_builder_str(b, name);
	uint32_t *v;

	if (off < 0)
		return (int)off;
	v = reallocarray(b->files, b->n_files + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[b->n_files++] = (uint32_t)off;
	b->files = v;
	return 0;
}

int64_t
conf_builder_priv(struct conf_builder *b, const struct conf_priv *p)
{
	if (grow((void **)&b->priv, &b->privcap, b->npriv, sizeof(*p)) < 0)
		return -ENOMEM;
	b->priv[b->npriv] = *p;
	return (int64_t)b->npriv++;
}

int
conf_builder_exempt(struct conf_builder *b, enum conf_exempt_list list, const char *name)
{
	uint32_t **v = &b->exempt[list];
	size_t *n = &b->n_exempt[list];
	int64_t off = conf_builder_str(b, name);
	uint32_t *p;

	if (off < 0)
		return (int)off;
	p = reallocarray(*v, *n + 1, sizeof(**v));
	if (!p)
		return -ENOMEM;
	p[(*n)++] = (uint32_t)off;
	*v = p;
	return 0;
}

static int
cmp_policy_title(const void *a, const void *b, void *arg)
{
	const struct conf_builder *bl = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(bl->strings + bl->pol[x].title, bl->strings + bl->pol[y].title);

	/* Equal titles (only in tests of broken input) keep file order. */
	return r ? r : (x > y) - (x < y);
}

static int
cmp_str_off(const void *a, const void *b, void *arg)
{
	const char *s = arg;

	return strcmp(s + *(const uint32_t *)a, s + *(const uint32_t *)b);
}

/* Copy an exempt list into place, sorted for conf_resolve's binary search. */
static void
put_sorted(char *base, uint32_t off, const uint32_t *v, size_t n, char *strings)
{
	if (n)
		memcpy(base + off, v, n * sizeof(*v));
	qsort_r(base + off, n, sizeof(*v), cmp_str_off, strings);
}

/* Reserve `size` bytes at an 8-byte aligned offset. */
static uint32_t
place(size_t *total, size_t size)
{
	size_t off = (*total + 7) & ~(size_t)7;

	*total = off + size;
	return (uint32_t)off;
}

int
conf_builder_finish(struct conf_builder *b, struct conf **ret)
{
	struct conf_header h = {.magic = CONF_MAGIC, .version = CONF_VERSION};
	size_t total = sizeof(h);
	uint32_t *idx;
	struct conf *c;
	char *base;

	if (conf_builder_str(b, "") < 0)
		return -ENOMEM;
	h.n_policies = (uint32_t)b->npol;
	h.n_users = (uint32_t)b->n_users;
	h.n_groups = (uint32_t)b->n_groups;
	h.n_privs = (uint32_t)b->npriv;
	h.n_exempt_users = (uint32_t)b->n_exempt[CONF_EXEMPT_USERS];
	h.n_exempt_groups = (uint32_t)b->n_exempt[CONF_EXEMPT_GROUPS];
	h.n_exempt_services = (uint32_t)b->n_exempt[CONF_EXEMPT_SERVICES];
	h.exempt_users_line = b->exempt_line[CONF_EXEMPT_USERS];
	h.exempt_groups_line = b->exempt_line[CONF_EXEMPT_GROUPS];
	h.exempt_services_line = b->exempt_line[CONF_EXEMPT_SERVICES];
	h.exempt_users_file = b->exempt_file[CONF_EXEMPT_USERS];
	h.exempt_groups_file = b->exempt_file[CONF_EXEMPT_GROUPS];
	h.exempt_services_file = b->exempt_file[CONF_EXEMPT_SERVICES];
	h.n_files = (uint32_t)b->n_files;
	h.policies_off = place(&total, b->npol * sizeof(*b->pol));
	h.srcs_off = place(&total, b->npol * CONF_OPT_N * sizeof(*b->src));
	h.files_off = place(&total, b->n_files * sizeof(uint32_t));
	h.privs_off = place(&total, b->npriv * sizeof(*b->priv));
	h.user_index_off = place(&total, b->n_users * sizeof(uint32_t));
	h.group_index_off = place(&total, b->n_groups * sizeof(uint32_t));
	h.exempt_users_off = place(&total, h.n_exempt_users * sizeof(uint32_t));
	h.exempt_groups_off = place(&total, h.n_exempt_groups * sizeof(uint32_t));
	h.exempt_services_off = place(&total, h.n_exempt_services * sizeof(uint32_t));
	h.strings_off = place(&total, b->slen);
	h.strings_size = (uint32_t)b->slen;
	if (total > UINT32_MAX)
		return -E2BIG;
	h.total_size = (uint32_t)total;

	c = calloc(1, sizeof(*c));
	base = calloc(1, total);
	if (!c || !base) {
		free(c);
		free(base);
		return -ENOMEM;
	}
	memcpy(base, &h, sizeof(h));
	if (b->npol) {
		memcpy(base + h.policies_off, b->pol, b->npol * sizeof(*b->pol));
		memcpy(base + h.srcs_off, b->src, b->npol * CONF_OPT_N * sizeof(*b->src));
	}
	if (b->n_files)
		memcpy(base + h.files_off, b->files, b->n_files * sizeof(uint32_t));
	if (b->npriv)
		memcpy(base + h.privs_off, b->priv, b->npriv * sizeof(*b->priv));
	memcpy(base + h.strings_off, b->strings, b->slen);

	idx = (uint32_t *)(base + h.user_index_off);
	for (size_t i = 0; i < b->n_users; i++)
		idx[i] = (uint32_t)(1 + i);
	qsort_r(idx, b->n_users, sizeof(*idx), cmp_policy_title, b);
	idx = (uint32_t *)(base + h.group_index_off);
	for (size_t i = 0; i < b->n_groups; i++)
		idx[i] = (uint32_t)(1 + b->n_users + i);
	qsort_r(idx, b->n_groups, sizeof(*idx), cmp_policy_title, b);

	put_sorted(base, h.exempt_users_off, b->exempt[CONF_EXEMPT_USERS], h.n_exempt_users,
		   b->strings);
	put_sorted(base, h.exempt_groups_off, b->exempt[CONF_EXEMPT_GROUPS], h.n_exempt_groups,
		   b->strings);
	put_sorted(base, h.exempt_services_off, b->exempt[CONF_EXEMPT_SERVICES],
		   h.n_exempt_services, b->strings);

	c->h = (struct conf_header *)base;
	c->size = total;
	*ret = c;
	return 0;
}

void
conf_free(struct conf *c)
{
	if (!c)
		return;
	if (c->map)
		munmap(c->map, c->map_len);
	else
		free(c->h);
	free(c);
}
