/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "record.h"
#include "util.h"

int
record_ns_inode(const char *pid, enum ns_index i, uint64_t *ret)
{
	char path[64];
	struct stat st;

	(void)xsnprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns_types[i].proc);
	if (stat(path, &st) < 0)
		return -errno;
	*ret = (uint64_t)st.st_ino;
	return 0;
}

int
record_id_of(const char *pid, unsigned clone_ns, uint64_t *ret)
{
	for (size_t n = 0; n < NS_COUNT; n++) {
		enum ns_index i = ns_nth(NS_ORDER_ID, n);

		if (clone_ns & ns_types[i].clone)
			return record_ns_inode(pid, i, ret);
	}
	return -EINVAL;
}

struct out {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void _printf_(2, 3) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

/* Values come from PAM items and NSS: keep the line structure intact whatever they hold. */
static void
put_str(struct out *o, const char *key, const char *value)
{
	char clean[300];

	(void)log_safe(value ? value : "", clean, sizeof(clean));
	put(o, "%s=%s\n", key, clean);
}

int
record_format(const struct session_record *r, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};

	put(&o, "id=%" PRIu64 "\npid=%d\nuid=%u\nstart=%" PRId64 "\nclone_ns=%u\nlinger=%d\n",
	    r->id, (int)r->init_pid, (unsigned)r->uid, r->start, r->clone_ns, r->linger);
	/* Before any string a user has a say in: record_set_logins() finds the first logins=. */
	if (r->shared)
		put(&o, "share=user\nplan=%s\nlogins=%0*u\n", r->plan, RECORD_LOGINS_WIDTH,
		    r->logins);
	for (size_t n = 0; n < NS_COUNT; n++) {
		enum ns_index i = ns_nth(NS_ORDER_ID, n);

		put(&o, "ns.%s=%" PRIu64 "\n", ns_types[i].proc, r->ns[i]);
	}
	put_str(&o, "user", r->user);
	put_str(&o, "service", r->service);
	put_str(&o, "tty", r->tty);
	put_str(&o, "rhost", r->rhost);
	put_str(&o, "rule", r->rule);
	put_str(&o, "hostname", r->hostname);
	for (unsigned i = 0; i < r->n_user_dirs && i < RECORD_MAX_USER_DIRS; i++)
		put_str(&o, "user_dir", r->user_dirs[i]);
	return o.overflow ? -ENAMETOOLONG : (int)o.len;
}

static void
copy(char *dst, size_t size, const char *v)
{
	(void)xsnprintf(dst, size, "%s", v);
}

int
record_parse(const char *buf, size_t len, struct session_record *ret)
{
	char line[512];
	size_t pos = 0;
	uint64_t v;
	bool have_id = false, have_pid = false;

	memset(ret, 0, sizeof(*ret));
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char *eq, *val;
		int r = 0;

		if (n >= sizeof(line))
			return -EINVAL;
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + 1;
		eq = strchr(line, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		val = eq + 1;
		if (strcmp(line, "id") == 0) {
			r = parse_uint(val, UINT64_MAX, &ret->id);
			have_id = r == 0;
		} else if (strcmp(line, "pid") == 0) {
			r = parse_uint(val, INT32_MAX, &v);
			ret->init_pid = (pid_t)v;
			have_pid = r == 0 && v > 0;
		} else if (strcmp(line, "uid") == 0) {
			r = parse_uint(val, UINT32_MAX - 1, &v);
			ret->uid = (uid_t)v;
		} else if (strcmp(line, "start") == 0) {
			r = parse_uint(val, INT64_MAX, &v);
			ret->start = (int64_t)v;
		} else if (strcmp(line, "clone_ns") == 0) {
			r = parse_uint(val, UINT32_MAX, &v);
			ret->clone_ns = (unsigned)v;
		} else if (strcmp(line, "linger") == 0) {
			ret->linger = strcmp(val, "1") == 0;
		} else if (strcmp(line, "share") == 0) {
			ret->shared = strcmp(val, "user") == 0;
		} else if (strcmp(line, "plan") == 0) {
			copy(ret->plan, sizeof(ret->plan), val);
		} else if (strcmp(line, "logins") == 0) {
			r = parse_uint(val, RECORD_MAX_LOGINS, &v);
			ret->logins = (unsigned)v;
		} else if (strncmp(line, "ns.", 3) == 0) {
			for (size_t i = 0; i < NS_COUNT; i++)
				if (strcmp(line + 3, ns_types[i].proc) == 0)
					r = parse_uint(val, UINT64_MAX, &ret->ns[i]);
		} else if (strcmp(line, "user") == 0) {
			copy(ret->user, sizeof(ret->user), val);
		} else if (strcmp(line, "service") == 0) {
			copy(ret->service, sizeof(ret->service), val);
		} else if (strcmp(line, "tty") == 0) {
			copy(ret->tty, sizeof(ret->tty), val);
		} else if (strcmp(line, "rhost") == 0) {
			copy(ret->rhost, sizeof(ret->rhost), val);
		} else if (strcmp(line, "rule") == 0) {
			copy(ret->rule, sizeof(ret->rule), val);
		} else if (strcmp(line, "hostname") == 0) {
			copy(ret->hostname, sizeof(ret->hostname), val);
		} else if (strcmp(line, "user_dir") == 0) {
			if (ret->n_user_dirs < RECORD_MAX_USER_DIRS)
				copy(ret->user_dirs[ret->n_user_dirs++], sizeof(ret->user_dirs[0]),
				     val);
		}
		/* Unknown keys are skipped: a newer helper may write more. */
		if (r < 0)
			return -EINVAL;
	}
	return have_id && have_pid ? 0 : -EINVAL;
}

int
record_read(int dirfd, const char *name, uid_t owner, struct session_record *ret, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	char buf[RECORD_MAX_SIZE];
	struct stat st;
	ssize_t n;
	int r;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Written by root only; anything else here is not ours. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != owner)
		return -EPERM;
	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	r = record_parse(buf, (size_t)n, ret);
	if (r < 0)
		return r;
	if (ret_fd)
		*ret_fd = steal_fd(fd);
	return 0;
}

bool
record_alive(int fd)
{
	/* A shared lock is refused only while PID 1 holds its exclusive one. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return true; /* EWOULDBLOCK; on any other error, never call a session stale */
	(void)flock(fd, LOCK_UN);
	return false;
}

bool
record_held_by(int procfd, int fd)
{
	_cleanup_close_ int dfd = openat(procfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat rec;
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (dfd < 0 || fstat(fd, &rec) < 0 || !(d = fdopendir(dfd)))
		return false;
	dfd = -1; /* the DIR owns it now */
	while (!found && (de = readdir(d))) {
		struct stat st;

		found = de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			st.st_dev == rec.st_dev && st.st_ino == rec.st_ino;
	}
	closedir(d);
	return found;
}

int
record_open_holder(pid_t pid, int fd, int *ret_pidfd)
{
	_cleanup_close_ int proc = -1, pidfd = -1;
	char path[32];

	if (pid <= 0)
		return -ESRCH;
	(void)xsnprintf(path, sizeof(path), "/proc/%d", (int)pid);
	pidfd = ret_pidfd ? pidfd_open(pid, 0) : -1;
	proc = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/*
	 * A /proc directory never follows its number to another process; the pidfd, opened
	 * first, still alive after it, names the same one.
	 */
	if (proc < 0)
		return -ESRCH;
	if (ret_pidfd &&
	    (pidfd < 0 || (pidfd_send_signal(pidfd, 0, NULL, 0) < 0 && errno != EPERM)))
		return -ESRCH;
	if (!record_held_by(proc, fd))
		return -ESRCH;
	if (ret_pidfd)
		*ret_pidfd = steal_fd(pidfd);
	return steal_fd(proc);
}

int
record_set_logins(int fd, unsigned logins)
{
	static const char key[] = "\nlogins=";
	char buf[RECORD_MAX_SIZE + 1], digits[RECORD_LOGINS_WIDTH + 1];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *at;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	at = strstr(buf, key);
	if (!at || logins > RECORD_MAX_LOGINS)
		return -EINVAL;
	at += sizeof(key) - 1;
	/* The field keeps its width: the bytes around it never move under a reader. */
	if (strspn(at, "0123456789") != RECORD_LOGINS_WIDTH)
		return -EINVAL;
	(void)xsnprintf(digits, sizeof(digits), "%0*u", RECORD_LOGINS_WIDTH, logins);
	if (pwrite(fd, digits, RECORD_LOGINS_WIDTH, at - buf) != RECORD_LOGINS_WIDTH)
		return -EIO;
	return 0;
}

void
record_name(uint64_t id, char name[RECORD_NAME_SIZE])
{
	(void)xsnprintf(name, RECORD_NAME_SIZE, "%" PRIu64, id);
}

void
record_socket_name(uint64_t id, char name[RECORD_SOCKET_SIZE])
{
	(void)xsnprintf(name, RECORD_SOCKET_SIZE, "%" PRIu64 RECORD_SOCKET_SUFFIX, id);
}

int
record_open_sessions_dir(void)
{
	int fd = open(NSI_SESSIONS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int
record_open_user_dir(uid_t uid)
{
	char path[sizeof(NSI_USERS_DIR) + 16];
	int fd;

	(void)xsnprintf(path, sizeof(path), "%s/%u", NSI_USERS_DIR, (unsigned)uid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Unlink dir/name if it is still the file `want` (NULL: whatever it is).  0 or -errno. */
static int
unlink_same(int dir, const char *name, const struct stat *want)
{
	struct stat st;

	if (dir < 0)
		return -EBADF;
	if (want && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (want && (st.st_dev != want->st_dev || st.st_ino != want->st_ino))
		return -ENOENT; /* not ours (any more): someone else's to remove */
	return unlinkat(dir, name, 0) < 0 ? -errno : 0;
}

/*
 * dir/name and, if it is the same file, other/name, when nobody holds the file's lock.  The
 * lock is ours while we unlink: only a stale record's names go, never a live one's.
 */
static bool
remove_stale_link(int dir, int other, const char *name)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (dir < 0)
		return false;
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0)
		return false;
	if (unlink_same(dir, name, &st) < 0)
		return false;
	if (other >= 0)
		(void)unlink_same(other, name, &st);
	return true;
}

bool
record_remove_stale(int sessions, int user, const char *name)
{
	bool removed = remove_stale_link(sessions, user, name);

	/* A link in the user's directory may have lost its twin in sessions/ (PID 1 killed). */
	return remove_stale_link(user, sessions, name) || removed;
}

void
record_remove(int sessions, int user, uint64_t id)
{
	char name[RECORD_NAME_SIZE];

	record_name(id, name);
	(void)unlink_same(sessions, name, NULL);
	(void)unlink_same(user, name, NULL);
}

int
record_create(int sessions)
{
	_cleanup_close_ int fd = openat(sessions, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return -errno;
	return steal_fd(fd);
}

int
record_write(int fd, const struct session_record *r)
{
	char buf[RECORD_MAX_SIZE];
	int n = record_format(r, buf, sizeof(buf));
	ssize_t w;

	if (n < 0)
		return n;
	w = pwrite(fd, buf, (size_t)n, 0);
	if (w < 0)
		return -errno;
	return w == n ? 0 : -EIO;
}

/* Link the file at fd as dir/name; a stale record in the way goes first (once). */
static int
link_as(int fd, int dir, int other, const char *name)
{
	int r;

	if (linkat(fd, "", dir, name, AT_EMPTY_PATH) == 0)
		return 0;
	r = -errno;
	if (r != -EEXIST || !remove_stale_link(dir, other, name))
		return r;
	return linkat(fd, "", dir, name, AT_EMPTY_PATH) == 0 ? 0 : -errno;
}

/* Unlink dir/<id> if it is still the record open at fd. */
static int
unlink_own(int fd, int dir, uint64_t id)
{
	char name[RECORD_NAME_SIZE];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	record_name(id, name);
	return unlink_same(dir, name, &st);
}

int
record_publish(int fd, int sessions, int user, uint64_t id)
{
	char name[RECORD_NAME_SIZE];
	int r;

	record_name(id, name);
	r = link_as(fd, sessions, user, name);
	if (r < 0)
		return r;
	r = link_as(fd, user, sessions, name);
	/* Both or neither: a record only in sessions/ would hide the session from its peers. */
	if (r < 0)
		(void)unlink_own(fd, sessions, id);
	return r;
}

int
record_unpublish(int fd, int sessions, int user, uint64_t id)
{
	int r = unlink_own(fd, sessions, id);

	(void)unlink_own(fd, user, id);
	return r;
}

int
record_unpublish_user(int fd, int user, uint64_t id)
{
	return unlink_own(fd, user, id);
}
