/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's two structured log lines, one when a session opens and one when it closes
 * (pam_nsisolate(8), LOG MESSAGES, a stable format): key=value pairs in a fixed order, for a
 * log collector to split without guessing.  A value is written bare when it is a run of
 * printable bytes without space, '"', '\' or '='; else in double quotes, with '"' and '\'
 * escaped; "-" stands for a value not known.  Control bytes become '?' and long values are
 * cut short (log_safe), so that one login is always one line.  Nothing here logs: the
 * caller hands the line to pam_syslog.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>

#include "module.h"

/* Longest value kept: a user name, a path (log_safe cuts it and ends it in "..."). */
#define LOGLINE_VALUE_MAX 256

void
logline_init(struct logline *l, char *buf, size_t size)
{
	*l = (struct logline){.buf = buf, .size = size};
	if (size)
		buf[0] = '\0';
}

static bool
bare(const char *v)
{
	if (!*v || strcmp(v, "-") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p == 0x7f)
			return false;
	return true;
}

/* Append a whole pair, or nothing: a line never ends in half a value. */
static void
put(struct logline *l, const char *s, size_t len)
{
	if (l->n + len >= l->size) {
		l->truncated = true;
		return;
	}
	memcpy(l->buf + l->n, s, len);
	l->n += len;
	l->buf[l->n] = '\0';
}

void
logline_add(struct logline *l, const char *key, const char *value)
{
	/* Room for every byte of the value escaped, quotes, key and separators. */
	char safe[LOGLINE_VALUE_MAX], pair[2 * LOGLINE_VALUE_MAX + 64];
	size_t n = 0, klen = strlen(key);

	if (klen > 32)
		return;
	if (l->n)
		pair[n++] = ' ';
	memcpy(pair + n, key, klen);
	n += klen;
	pair[n++] = '=';
	if (!value) {
		pair[n++] = '-';
	} else if (bare(log_safe(value, safe, sizeof(safe)))) {
		memcpy(pair + n, safe, strlen(safe));
		n += strlen(safe);
	} else {
		pair[n++] = '"';
		for (const char *p = safe; *p; p++) {
			if (*p == '"' || *p == '\\')
				pair[n++] = '\\';
			pair[n++] = *p;
		}
		pair[n++] = '"';
	}
	put(l, pair, n);
}

void
logline_addf(struct logline *l, const char *key, const char *fmt, ...)
{
	char v[LOGLINE_VALUE_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	logline_add(l, key, v);
}

/*
 * The helper names the rule "top", "exempt", or "KIND:NAME:FILE:LINE" (common/protocol.h):
 * rule= gets "KIND:NAME", rule_at= "FILE:LINE" (NAME has no ':', as no NSS name has).  A
 * helper of another version may say something else: then that is the rule, and where is not
 * known.
 */
void
logline_add_rule(struct logline *l, const char *tag)
{
	char kind[LOGLINE_VALUE_MAX];
	size_t len;
	const char *at = nsi_rule_at(tag, &len);

	(void)xsnprintf(kind, sizeof(kind), "%.*s", (int)len, tag);
	logline_add(l, "rule", kind);
	logline_add(l, "rule_at", at);
}

/*
 * The audit session id (pam_loginuid gave us one), read while this process's /proc/self is
 * still there: joining the session's mount namespace hides it.
 */
void
logline_audit_session(char *buf, size_t size)
{
	_cleanup_close_ int fd = open("/proc/self/sessionid", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	/* (unsigned)-1: no audit session (no pam_loginuid before us, or no audit). */
	if (strcmp(buf, "4294967295") == 0)
		buf[0] = '\0';
}
