/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "record.h"
#include "util.h"

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
record_read(int dirfd, const char *name, struct session_record *ret, int *ret_fd)
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
	if (!S_ISREG(st.st_mode) || st.st_uid != 0)
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
