/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A cache of parsed configurations.  libconfuse needs ~40 ms for 10,000 sections (it builds a
 * tree of small allocations), and even a small file costs a login a dozen page faults; a
 * login must not pay that.  The flat table of store.h has no
 * pointers, so a parse's result can be written to a file as it is and mapped by the next
 * login, after a bounds check of every offset (O(n), microseconds).
 *
 * The cache lives in a root-only directory (NSI_RUN_DIR/cache, 0700).  An entry holds, after
 * the table, the very text it was parsed from, and is used only while the file holds exactly
 * that text: every login reads the file and compares it byte for byte.  With drop-ins the
 * entry is for the whole set: the main file's text, then each drop-in's name and text, in
 * order; a drop-in changed, added, removed or renamed is a miss.  Nothing shorter can
 * stand in for the text.  The file's metadata cannot: before Linux 6.13 mtime and ctime move
 * once a clock tick, so a same-size rewrite within the tick of a parse kept device, inode,
 * size and both times, and the old policy stayed in force.  A hash could, but only a
 * cryptographic one: only root writes the file, yet what it says may come partly from others
 * (names from a directory service, a provisioning tool's output), and with a fast 64-bit hash
 * (FNV, xxHash) whoever picks a few bytes of the next version can make it hash like the
 * cached one.  SHA-256 in plain C ran at 80 MB/s here (5 ms a login for a 450 KB file);
 * reading and comparing the text costs about what reading it alone does.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "set.h"
#include "store.h"

#define CACHE_MAGIC "NSICAC3"

/* A temporary file older than this is a dead writer's (prune_temp). */
#define CACHE_TMP_MAX_AGE 60

/*
 * Then padding to blob_off, the table (blob_size bytes), and the texts (text_size bytes): for
 * each of the n_files files a struct cache_text, the drop-in's name, the file's text.
 */
struct cache_header {
	char magic[8];
	uint32_t version;
	uint32_t blob_off; /* where the conf_header starts, 8-aligned */
	uint64_t blob_size, text_size;
	uint32_t n_files, pad;
	char path[PATH_MAX];
};

struct cache_text {
	uint64_t size;
	uint32_t name_len; /* 0 for the main file, whose name is the key's path */
	uint32_t pad;
};

static void
make_key(struct cache_header *h, const char *path)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, CACHE_MAGIC, sizeof(CACHE_MAGIC));
	h->version = CONF_VERSION;
	h->blob_off = (uint32_t)((sizeof(*h) + 7) & ~(size_t)7);
	(void)xsnprintf(h->path, sizeof(h->path), "%s", path);
}

/*
 * Does the file (`fd`) hold exactly the `size` bytes the entry (`efd`) keeps at `off`?  Both
 * read from the start, offsets left alone; read rather than mapped, which would cost a page
 * fault per 4 KiB of text.
 */
static bool
same_text(int fd, int efd, uint64_t off, uint64_t size)
{
	char buf[16384], want[sizeof(buf)];
	uint64_t done = 0;

	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (uint64_t)n > size - done)
			return false;
		if (n == 0)
			return done == size;
		if (pread(efd, want, (size_t)n, (off_t)(off + done)) != n ||
		    memcmp(buf, want, (size_t)n) != 0)
			return false;
		done += (uint64_t)n;
	}
}

/* Does the set hold exactly the texts the entry keeps from `off` to `end`, file by file? */
static bool
same_set(const struct conf_set *s, int efd, uint64_t off, uint64_t end)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *base = s->v[i].base ? s->v[i].base : "";
		size_t len = strlen(base);
		char name[NAME_MAX + 1];
		struct cache_text t;

		if (end - off < sizeof(t) ||
		    pread(efd, &t, sizeof(t), (off_t)off) != (ssize_t)sizeof(t) ||
		    t.name_len != len || len > NAME_MAX || end - off - sizeof(t) < len ||
		    pread(efd, name, len, (off_t)(off + sizeof(t))) != (ssize_t)len ||
		    memcmp(name, base, len) != 0)
			return false;
		off += sizeof(t) + len;
		if (t.size > end - off || !same_text(s->v[i].fd, efd, off, t.size))
			return false;
		off += t.size;
	}
	return off == end;
}

static void
cache_name(const char *path, char *buf, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	(void)xsnprintf(buf, size, "%016" PRIx64 ".conf", h);
}

static bool
in_bounds(size_t off, size_t count, size_t elem, size_t total)
{
	return off % 8 == 0 && off <= total && count <= (total - off) / (elem ? elem : 1);
}

int
conf_validate_blob(const void *blob, size_t size)
{
	const struct conf_header *h = blob;
	const struct conf c = {.h = (struct conf_header *)blob, .size = size};
	const char *strings;

	if (size < sizeof(*h) || memcmp(h->magic, CONF_MAGIC, sizeof(CONF_MAGIC)) != 0 ||
	    h->version != CONF_VERSION || h->total_size != size ||
	    h->n_policies != 1 + h->n_users + h->n_groups || h->n_files == 0 ||
	    h->n_files > 1 + CONF_MAX_DROPINS ||
	    !in_bounds(h->policies_off, h->n_policies, sizeof(struct conf_policy), size) ||
	    /* Only explain reads the sources; conf_file() checks the file it is given. */
	    !in_bounds(h->srcs_off, h->n_policies, CONF_OPT_N * sizeof(struct conf_src), size) ||
	    !in_bounds(h->files_off, h->n_files, 4, size) ||
	    !in_bounds(h->privs_off, h->n_privs, sizeof(struct conf_priv), size) ||
	    !in_bounds(h->user_index_off, h->n_users, 4, size) ||
	    !in_bounds(h->group_index_off, h->n_groups, 4, size) ||
	    !in_bounds(h->exempt_users_off, h->n_exempt_users, 4, size) ||
	    !in_bounds(h->exempt_groups_off, h->n_exempt_groups, 4, size) ||
	    !in_bounds(h->exempt_services_off, h->n_exempt_services, 4, size) ||
	    !in_bounds(h->strings_off, h->strings_size, 1, size) || h->strings_size == 0 ||
	    h->exempt_users_file >= h->n_files || h->exempt_groups_file >= h->n_files ||
	    h->exempt_services_file >= h->n_files)
		return -EBADMSG;
	strings = (const char *)blob + h->strings_off;
	/* Every string offset then points at a NUL-terminated string inside the pool. */
	if (strings[h->strings_size - 1] != '\0')
		return -EBADMSG;
	for (uint32_t i = 0; i < h->n_policies; i++) {
		const struct conf_policy *p = conf_policy(&c, i);

		if (p->title >= h->strings_size || p->hostname >= h->strings_size ||
		    p->priv_first > h->n_privs || p->priv_count > h->n_privs - p->priv_first ||
		    p->kind > CONF_RULE_GROUP || p->on_error > CONF_ON_ERROR_ALLOW ||
		    p->nested > CONF_NESTED_ISOLATE || p->share > CONF_SHARE_USER ||
		    p->namespaces > CONF_NS_ALL || p->file >= h->n_files ||
		    p->kind != (i == 0		  ? CONF_RULE_TOP
				: i <= h->n_users ? CONF_RULE_USER
						  : CONF_RULE_GROUP))
			return -EBADMSG;
	}
	for (uint32_t i = 0; i < h->n_files; i++)
		if (conf_u32(&c, h->files_off)[i] >= h->strings_size)
			return -EBADMSG;
	for (uint32_t i = 0; i < h->n_privs; i++) {
		const struct conf_priv *p = conf_priv(&c, i);

		if (p->path >= h->strings_size || p->size >= h->strings_size ||
		    p->type > CONF_PRIV_PERSISTENT || p->mode > 01777 || p->file >= h->n_files)
			return -EBADMSG;
	}
	for (uint32_t i = 0; i < h->n_users; i++)
		if (conf_u32(&c, h->user_index_off)[i] - 1 >= h->n_users)
			return -EBADMSG;
	for (uint32_t i = 0; i < h->n_groups; i++)
		if (conf_u32(&c, h->group_index_off)[i] - 1 - h->n_users >= h->n_groups)
			return -EBADMSG;
	for (uint32_t i = 0; i < h->n_exempt_users; i++)
		if (conf_u32(&c, h->exempt_users_off)[i] >= h->strings_size)
			return -EBADMSG;
	for (uint32_t i = 0; i < h->n_exempt_groups; i++)
		if (conf_u32(&c, h->exempt_groups_off)[i] >= h->strings_size)
			return -EBADMSG;
	for (uint32_t i = 0; i < h->n_exempt_services; i++)
		if (conf_u32(&c, h->exempt_services_off)[i] >= h->strings_size)
			return -EBADMSG;
	return 0;
}

/* Map the entry if it is for this very set of files and texts; -ENOENT otherwise. */
static int
cache_read(int dirfd, const char *name, const struct cache_header *want, const struct conf_set *set,
	   struct conf **ret)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct cache_header h;
	struct conf *c;
	struct stat st;
	size_t len;
	void *map;

	if (fd < 0)
		return -ENOENT;
	/* Ours only: root's, private, a plain file of a sane size. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) ||
	    (uint64_t)st.st_size < want->blob_off || (uint64_t)st.st_size > CONF_CACHE_MAX_SIZE ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -ENOENT;
	{
		struct cache_header got = h;

		got.blob_size = got.text_size = 0; /* the fields the key does not fix */
		got.n_files = 0;
		if (memcmp(&got, want, sizeof(got)) != 0)
			return -ENOENT;
	}
	if (h.n_files != set->n || h.blob_size > (uint64_t)st.st_size - h.blob_off ||
	    h.text_size != (uint64_t)st.st_size - h.blob_off - h.blob_size ||
	    !same_set(set, fd, h.blob_off + h.blob_size, (uint64_t)st.st_size))
		return -ENOENT;
	/* Only the header and the table: the text was needed for the comparison alone. */
	len = (size_t)(h.blob_off + h.blob_size);
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -ENOENT;
	if (conf_validate_blob((const char *)map + h.blob_off, (size_t)h.blob_size) < 0 ||
	    !(c = calloc(1, sizeof(*c)))) {
		munmap(map, len);
		return -ENOENT;
	}
	c->h = (struct conf_header *)((char *)map + h.blob_off);
	c->size = (size_t)h.blob_size;
	c->map = map;
	c->map_len = len;
	*ret = c;
	return 0;
}

/*
 * ".<entry>.<pid>" is an entry being written, or what a writer killed before its rename left
 * behind.  The pid cannot tell which: a helper run by su inside a session writes here from
 * that session's PID namespace, where the number names another process than it does here.
 * The age can: a writer needs milliseconds, so a file nobody wrote to for a minute is a dead
 * writer's.  Should a live one be that slow after all, its rename fails and a later login
 * writes the entry.
 */
static void
prune_temp(int dirfd, const char *name, time_t now)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    st.st_mtime < now - CACHE_TMP_MAX_AGE)
		(void)unlinkat(dirfd, name, 0);
}

/*
 * Drop the entries of files that are gone (a test's, an old name's) and of an older format:
 * an entry is only ever replaced by one for the same path, so without this the directory
 * would keep them all.  Also what interrupted writers left.  Runs when an entry is written,
 * that is once per change of a file, not per login.
 */
static void
cache_prune(int dirfd)
{
	_cleanup_close_ int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	time_t now = time(NULL);
	struct dirent *de;

	if (!d)
		return;
	dfd = -1;
	while ((de = readdir(d))) {
		struct cache_header h;
		struct stat st;
		bool gone;
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] == '.') {
			prune_temp(dirfd, de->d_name, now);
			continue;
		}
		fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
		    memcmp(h.magic, CACHE_MAGIC, sizeof(CACHE_MAGIC)) != 0) {
			gone = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		} else {
			h.path[sizeof(h.path) - 1] = '\0';
			gone = lstat(h.path, &st) < 0 && errno == ENOENT;
		}
		if (gone)
			(void)unlinkat(dirfd, de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

static bool
write_texts(int fd, const struct conf_set *set, const struct conf_text *t)
{
	for (size_t i = 0; i < set->n; i++) {
		const char *base = set->v[i].base ? set->v[i].base : "";
		struct cache_text ct = {.size = t[i].len, .name_len = (uint32_t)strlen(base)};

		if (write(fd, &ct, sizeof(ct)) != (ssize_t)sizeof(ct) ||
		    write(fd, base, ct.name_len) != (ssize_t)ct.name_len ||
		    write(fd, t[i].buf, t[i].len) != (ssize_t)t[i].len)
			return false;
	}
	return true;
}

/* Write the entry under a temporary name, then rename it into place: readers see all or none. */
static void
cache_write(int dirfd, const char *name, const struct cache_header *key, const struct conf *c,
	    const struct conf_set *set, const struct conf_text *t)
{
	char tmp[64];
	uint64_t len = 0;
	int fd;
	bool ok;

	for (size_t i = 0; i < set->n; i++)
		len += sizeof(struct cache_text) + t[i].len +
		       (set->v[i].base ? strlen(set->v[i].base) : 0);
	(void)xsnprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	{
		struct cache_header h = *key;
		char pad[8] = {0};
		size_t gap = h.blob_off - sizeof(h);

		h.blob_size = c->size;
		h.text_size = len;
		h.n_files = (uint32_t)set->n;
		ok = write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
		     write(fd, pad, gap) == (ssize_t)gap &&
		     write(fd, c->h, c->size) == (ssize_t)c->size && write_texts(fd, set, t);
	}
	close(fd);
	if (!ok || renameat(dirfd, tmp, dirfd, name) < 0)
		(void)unlinkat(dirfd, tmp, 0);
	cache_prune(dirfd);
}

static int
load_set(const struct conf_set *set, const char *path, int cache_dirfd, struct conf **ret,
	 struct conf_diags *d)
{
	struct conf_text *t = NULL;
	struct cache_header key;
	char name[32];
	int r;

	if (cache_dirfd < 0 || strlen(path) >= sizeof(key.path))
		return conf_set_parse(set, ret, d);
	make_key(&key, path);
	cache_name(path, name, sizeof(name));
	if (cache_read(cache_dirfd, name, &key, set, ret) == 0)
		return 0;
	/* A miss: the texts are read once, and the entry holds exactly what was parsed. */
	if ((r = conf_set_read(set, &t, d)) < 0)
		return r;
	r = conf_parse_texts(t, set->n, ret, d);
	/* Only a valid set is worth remembering; a broken one is reported every time. */
	if (r == 0)
		cache_write(cache_dirfd, name, &key, *ret, set, t);
	conf_texts_free(t, set->n);
	return r;
}

int
conf_load_cached(const char *path, uid_t owner, int cache_dirfd, struct conf **ret,
		 struct conf_diags *d)
{
	struct conf_set set;
	int r = conf_set_open(&set, path, NULL, owner, d);

	if (r < 0)
		return r;
	r = load_set(&set, path, cache_dirfd, ret, d);
	conf_set_close(&set);
	return r;
}
