/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drop-ins: FILE's directory of further configuration files, so that a configuration
 * management role or a package can add a rule without owning the whole file.  The directory
 * is FILE without its ".conf", plus ".d" (/etc/security/nsisolate.conf reads
 * /etc/security/nsisolate.d/): a file of another name, as every test and `check -c` on a
 * candidate uses, has a directory of its own and never picks up the host's drop-ins.
 *
 * Whoever can add a file there decides logins as whoever can write the main file does, so
 * the directory gets the main file's checks and a stricter one (no sticky exception: a
 * user's file there would refuse every login), and each drop-in the main file's.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cache.h"
#include "set.h"

int
conf_dropin_dir(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(path);

	base = base ? base + 1 : path;
	if (strlen(base) > 5 && strcmp(path + n - 5, ".conf") == 0)
		n -= 5;
	return xsnprintf(buf, size, "%.*s.d", (int)n, path);
}

/* "NAME.conf", not hidden: editors' and tools' temporary files (".x.conf.swp") stay out. */
static bool
is_dropin_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
conf_set_close(struct conf_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].base);
		closep(&s->v[i].fd);
	}
	free(s->v);
	*s = (struct conf_set){0};
}

/* Append a file, taking `name` and `base` (NULL for the main file) and `fd`. */
static int
set_append(struct conf_set *s, char *name, char *base, int fd)
{
	struct conf_file *v = reallocarray(s->v, s->n + 1, sizeof(*v));

	if (!v || !name) {
		free(name);
		free(base);
		close(fd);
		return -ENOMEM;
	}
	s->v = v;
	s->v[s->n++] = (struct conf_file){.name = name, .base = base, .fd = fd};
	return 0;
}

/* The directory itself: root's, a directory, writable by nobody else. */
static int
open_dropin_dir(const char *dir, uid_t owner, struct conf_diags *d)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (conf_diags_file(d, dir) < 0)
		return -ENOMEM;
	if (fd < 0) {
		r = -errno;
		/* O_DIRECTORY says ENOTDIR for a symlink, even to a directory: tell them apart. */
		if (r == -ENOTDIR && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			r = -ELOOP;
		if (r == -ELOOP || r == -ENOTDIR)
			conf_diag_add(d, 0, "is %s; the drop-in directory must be a directory",
				      r == -ELOOP ? "a symbolic link" : "not a directory");
		else
			conf_diag_add(d, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		conf_diag_add(d, 0, "cannot stat: %s", strerror(-r));
		return r;
	}
	if (st.st_uid != owner || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		conf_diag_add(d, 0,
			      "not owned by %s or writable by group or others (mode %04o); a "
			      "file anyone else put here would decide logins",
			      owner == 0 ? "root" : "the checking user",
			      (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return steal_fd(fd);
}

/* The names of the drop-ins in `dirfd`, sorted. */
static int
list_dropins(int dirfd, char ***ret, size_t *ret_n, struct conf_diags *d)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	int r = 0;

	if (!dir) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		conf_diag_add(d, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	while (r == 0 && (errno = 0, de = readdir(dir))) {
		char **p;

		if (!is_dropin_name(de->d_name))
			continue;
		if (n == CONF_MAX_DROPINS) {
			conf_diag_add(d, 0, "more than %d drop-ins", CONF_MAX_DROPINS);
			r = -E2BIG;
		} else if (!(p = reallocarray(v, n + 1, sizeof(*v))) ||
			   !(v = p, v[n] = strdup(de->d_name))) {
			r = -ENOMEM;
		} else {
			n++;
		}
	}
	if (r == 0 && errno != 0) {
		r = -errno;
		conf_diag_add(d, 0, "cannot read: %s", strerror(-r));
	}
	closedir(dir);
	if (r < 0) {
		while (n > 0)
			free(v[--n]);
		free(v);
		return r;
	}
	/* strcmp: the order is the bytes', whatever the locale. */
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_name);
	*ret = v;
	*ret_n = n;
	return 0;
}

static char *
join_path(const char *dir, const char *name)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int
open_dropins(struct conf_set *s, const char *dir, uid_t owner, struct conf_diags *d)
{
	_cleanup_close_ int dirfd = open_dropin_dir(dir, owner, d);
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (dirfd == -ENOENT)
		return 0;
	if (dirfd < 0)
		return dirfd;
	if ((r = list_dropins(dirfd, &names, &n, d)) < 0)
		return r;
	/* Every drop-in, even after a bad one: one run reports them all. */
	for (size_t i = 0; i < n; i++) {
		char *name = join_path(dir, names[i]);
		int q = name ? conf_diags_file(d, name) : -ENOMEM;

		if (q == 0)
			q = conf_open_checked_at(dirfd, names[i], name, owner, d);
		if (q >= 0)
			q = set_append(s, steal_ptr(name), steal_ptr(names[i]), q);
		free(name);
		free(names[i]);
		if (q < 0 && (r == 0 || q == -ENOMEM))
			r = q;
	}
	free(names);
	return r;
}

int
conf_set_open(struct conf_set *s, const char *path, const char *dir, uid_t owner,
	      struct conf_diags *d)
{
	char derived[PATH_MAX];
	int fd, r;

	*s = (struct conf_set){0};
	if (!dir) {
		if (conf_dropin_dir(path, derived, sizeof(derived)) < 0) {
			conf_diag_add(d, 0, "path too long");
			return -ENAMETOOLONG;
		}
		dir = derived;
	}
	if ((r = conf_diags_file(d, path)) < 0)
		return r;
	fd = conf_open_checked_at(AT_FDCWD, path, path, owner, d);
	r = fd < 0 ? fd : set_append(s, strdup(path), NULL, fd);
	/* The drop-ins too, even when the main file is refused: every problem in one run. */
	{
		int q = open_dropins(s, dir, owner, d);

		if (r == 0 || q == -ENOMEM)
			r = q < 0 ? q : r;
	}
	if (r < 0)
		conf_set_close(s);
	return r;
}

int
conf_set_put(struct conf_set *s, const char *base, const char *path, uid_t owner,
	     struct conf_diags *d)
{
	struct conf_file f = {.fd = -1};
	struct conf_file *v;
	size_t at = 1;
	int r;

	if ((r = conf_diags_file(d, path)) < 0)
		return r;
	if ((f.fd = conf_open_checked_at(AT_FDCWD, path, path, owner, d)) < 0)
		return f.fd;
	f.name = strdup(path);
	f.base = strdup(base);
	v = reallocarray(s->v, s->n + 1, sizeof(*v));
	if (!f.name || !f.base || !v) {
		free(f.name);
		free(f.base);
		close(f.fd);
		return -ENOMEM;
	}
	s->v = v;
	while (at < s->n && strcmp(s->v[at].base, base) < 0)
		at++;
	if (at < s->n && strcmp(s->v[at].base, base) == 0) {
		/* In the place of the installed drop-in of that name. */
		free(s->v[at].name);
		free(s->v[at].base);
		close(s->v[at].fd);
	} else {
		memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof(*s->v));
		s->n++;
	}
	s->v[at] = f;
	return 0;
}

void
conf_texts_free(struct conf_text *t, size_t n)
{
	if (!t)
		return;
	for (size_t i = 0; i < n; i++)
		free((char *)t[i].buf);
	free(t);
}

int
conf_set_read(const struct conf_set *s, struct conf_text **ret, struct conf_diags *d)
{
	struct conf_text *t = calloc(s->n ? s->n : 1, sizeof(*t));
	size_t total = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		char *buf = NULL;
		int r;

		(void)conf_diags_file(d, s->v[i].name);
		r = lseek(s->v[i].fd, 0, SEEK_SET) < 0 ? -errno : 0;
		if (r < 0)
			conf_diag_add(d, 0, "cannot read: %s", strerror(-r));
		else
			r = conf_read_fd(s->v[i].fd, &buf, &t[i].len, d);
		if (r < 0) {
			conf_texts_free(t, i);
			return r;
		}
		t[i].buf = buf;
		t[i].name = s->v[i].name;
		total += t[i].len;
		/* One limit for the whole configuration, however it is split. */
		if (total > CONF_MAX_FILE_SIZE) {
			conf_diag_add(d, 0,
				      "the configuration and its drop-ins are larger than %u bytes "
				      "together",
				      CONF_MAX_FILE_SIZE);
			conf_texts_free(t, i + 1);
			return -EFBIG;
		}
	}
	*ret = t;
	return 0;
}

int
conf_set_parse(const struct conf_set *s, struct conf **ret, struct conf_diags *d)
{
	struct conf_text *t = NULL;
	int r = conf_set_read(s, &t, d);

	if (r < 0)
		return r;
	r = conf_parse_texts(t, s->n, ret, d);
	conf_texts_free(t, s->n);
	return r;
}
