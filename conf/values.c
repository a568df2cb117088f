/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <inttypes.h>
#include <string.h>

#include "../common/paths.h"
#include "values.h"

#define fail(...)                                          \
	({                                                 \
		(void)xsnprintf(err, errlen, __VA_ARGS__); \
		-EINVAL;                                   \
	})

/* Is `a` equal to `b` or one of its parent directories? Both canonical. */
static bool
path_is_prefix(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

int
conf_check_private_path(const char *path, char *err, size_t errlen)
{
	static const char *const own_state[] = {NSI_RUN_DIR, NSI_STATE_DIR};
	static const char *const kernel_fs[] = {"/proc", "/sys", "/dev"};
	const char *p;

	if (path[0] != '/')
		return fail("'%s' is not an absolute path", path);
	if (strlen(path) >= PATH_MAX)
		return fail("path is longer than %d bytes", PATH_MAX - 1);
	if (strcmp(path, "/") == 0)
		return fail("'/' cannot be made private");
	/*
	 * Canonical only: no empty, "." or ".." components and no trailing slash.  The helper
	 * walks the path one component at a time; a path that means something else than it
	 * reads would make "what is mounted where" hard to audit.
	 */
	for (p = path; *p;) {
		const char *c = p + 1, *end = strchrnul(c, '/');
		size_t len = (size_t)(end - c);

		if (len == 0)
			return fail("'%s' is not canonical (empty component or trailing '/')",
				    path);
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return fail("'%s' is not canonical ('.' or '..' component)", path);
		p = end;
	}
	/*
	 * The session records and persistent directories must stay reachable from inside a
	 * session: nested su/sudo find out they are nested through them.  A mount below them
	 * hides part of them just as well as one above.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(own_state); i++)
		if (path_is_prefix(path, own_state[i]) || path_is_prefix(own_state[i], path))
			return fail("'%s' would hide nsisolate's own state in %s", path,
				    own_state[i]);
	for (size_t i = 0; i < ARRAY_SIZE(kernel_fs); i++)
		if (strcmp(path, kernel_fs[i]) == 0 ||
		    (path_is_prefix(kernel_fs[i], path) && strcmp(kernel_fs[i], "/dev") != 0))
			return fail("'%s' is a kernel file system and cannot be made private",
				    path);
	return 0;
}

/* Multiply with overflow check. */
static int
mul_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (b && a > UINT64_MAX / b)
		return -ERANGE;
	*ret = a * b;
	return 0;
}

/* Digits, then an optional binary K/M/G suffix. */
static int
parse_scaled(const char *s, uint64_t *ret)
{
	char digits[32];
	size_t n = strspn(s, "0123456789");
	uint64_t v, mult = 1;

	if (n == 0 || n >= sizeof(digits))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(digits, s, n);
	digits[n] = '\0';
	switch (s[n]) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		break;
	default:
		return -EINVAL;
	}
	if (s[n] && s[n + 1])
		return -EINVAL;
	if (parse_uint(digits, UINT64_MAX, &v) < 0 || mul_u64(v, mult, &v) < 0 ||
	    v > (uint64_t)INT64_MAX)
		return -ERANGE;
	*ret = v;
	return 0;
}

int
conf_parse_size(const char *s, char *out, size_t outlen, char *err, size_t errlen)
{
	size_t n = strspn(s, "0123456789");
	uint64_t v;
	int r;

	if (n > 0 && s[n] == '%' && s[n + 1] == '\0') {
		char digits[8];

		if (n >= sizeof(digits) ||
		    (memcpy(digits, s, n), digits[n] = '\0', parse_uint(digits, 100, &v) < 0) ||
		    v == 0)
			return fail("size '%s': a percentage must be 1%% to 100%%", s);
		r = xsnprintf(out, outlen, "%" PRIu64 "%%", v);
	} else {
		r = parse_scaled(s, &v);
		if (r == -ERANGE)
			return fail("size '%s' is too large", s);
		if (r < 0)
			return fail("size '%s' is not bytes, K, M, G or N%%", s);
		if (v == 0)
			return fail(
				"size must be greater than 0 (an unlimited tmpfs can fill RAM)");
		r = xsnprintf(out, outlen, "%" PRIu64, v);
	}
	return r < 0 ? fail("size '%s' is too long", s) : 0;
}

int
conf_parse_count(const char *s, uint64_t *ret, char *err, size_t errlen)
{
	int r = parse_scaled(s, ret);

	if (r == -ERANGE)
		return fail("'%s' is too large", s);
	if (r < 0)
		return fail("'%s' is not a number (with an optional K, M or G)", s);
	if (*ret == 0)
		return fail("must be at least 1 (0 would mean unlimited)");
	return 0;
}

int
conf_parse_mode(const char *s, mode_t *ret, char *err, size_t errlen)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || strspn(s, "01234567") != n)
		return fail("mode '%s' is not an octal number", s);
	for (size_t i = 0; i < n; i++)
		v = v * 8 + (unsigned)(s[i] - '0');
	if (v > 01777)
		return fail("mode '%s' may hold permission bits and the sticky bit only "
			    "(at most 1777)",
			    s);
	*ret = (mode_t)v;
	return 0;
}

int
conf_parse_private_type(const char *s, enum conf_private_type *ret, char *err, size_t errlen)
{
	if (strcmp(s, "session") == 0)
		*ret = CONF_PRIV_SESSION;
	else if (strcmp(s, "user") == 0)
		*ret = CONF_PRIV_USER;
	else if (strcmp(s, "persistent") == 0)
		*ret = CONF_PRIV_PERSISTENT;
	else
		return fail("type '%s' is not one of session, user, persistent", s);
	return 0;
}

int
conf_parse_ns(const char *s, unsigned *ret, char *err, size_t errlen)
{
	int i = ns_lookup(s);
	char known[64];

	if (i >= 0) {
		*ret = NS_BIT(i);
		return 0;
	}
	ns_format(NS_ALL, ", ", known, sizeof(known));
	if (strcmp(s, "cgroup") == 0 || strcmp(s, "user") == 0 || strcmp(s, "time") == 0)
		return fail("namespace '%s' is not supported (yet); use %s", s, known);
	return fail("'%s' is not a namespace; use %s", s, known);
}

int
conf_parse_on_error(const char *s, enum conf_on_error *ret, char *err, size_t errlen)
{
	if (strcmp(s, "deny") == 0)
		*ret = CONF_ON_ERROR_DENY;
	else if (strcmp(s, "allow") == 0)
		*ret = CONF_ON_ERROR_ALLOW;
	else
		return fail("on_error '%s' is not deny or allow", s);
	return 0;
}

int
conf_parse_nested(const char *s, enum conf_nested *ret, char *err, size_t errlen)
{
	if (strcmp(s, "skip") == 0)
		*ret = CONF_NESTED_SKIP;
	else if (strcmp(s, "isolate") == 0)
		*ret = CONF_NESTED_ISOLATE;
	else
		return fail("nested '%s' is not skip or isolate", s);
	return 0;
}

int
conf_parse_share(const char *s, enum conf_share *ret, char *err, size_t errlen)
{
	if (strcmp(s, "login") == 0)
		*ret = CONF_SHARE_LOGIN;
	else if (strcmp(s, "user") == 0)
		*ret = CONF_SHARE_USER;
	else
		return fail("share '%s' is not login or user", s);
	return 0;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool
conf_hostname_valid(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > CONF_MAX_HOSTNAME)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];

		if (c == '.' || c == '\0') {
			/* Labels: 1-63 bytes, no hyphen at either end. */
			if (label == 0 || label > 63 || name[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/*
 * Besides its syntax, refuse a template whose fixed text alone rules out a valid host name
 * for every user: the login of each user it applies to would fail.  Only what holds whatever
 * the expansions are is checked: a user name and a uid are at least one byte each (the
 * host's short name may be empty), a user name may hold dots, and none holds a '%'.
 */
int
conf_check_hostname_template(const char *tmpl, char *err, size_t errlen)
{
	size_t min_len = 0, run = 0; /* run: fixed bytes since the last '.' or expansion */
	char prev = '\0';	     /* the fixed byte just before; '\0' after an expansion */

	if (strlen(tmpl) > CONF_MAX_HOSTNAME * 4)
		return fail("hostname template is too long");
	for (const char *p = tmpl; *p; p++) {
		char c = *p;

		if (c == '%') {
			c = *++p;
			if (c == '%')
				return fail(
					"hostname '%s': '%%%%' would put a '%%' in the host name, "
					"which no host name may contain",
					tmpl);
			if (c != 'u' && c != 'U' && c != 'h')
				return fail("hostname '%s': unknown '%%%.1s' (use %%u, %%U or %%h)",
					    tmpl, c ? p : "");
			min_len += c != 'h';
			prev = '\0', run = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-' && c != '.')
			return fail("hostname '%s': '%c' cannot appear in a host name", tmpl, c);
		if ((c == '-' || c == '.') && p == tmpl)
			return fail("hostname '%s': a host name cannot start with '%c'", tmpl, c);
		if ((c == '-' || c == '.') && !p[1])
			return fail("hostname '%s': a host name cannot end with '%c'", tmpl, c);
		if (prev == '.' && c == '.')
			return fail("hostname '%s': '..' would leave an empty label", tmpl);
		if ((prev == '-' && c == '.') || (prev == '.' && c == '-'))
			return fail("hostname '%s': '%c%c': a label cannot start or end with '-'",
				    tmpl, prev, c);
		run = c == '.' ? 0 : run + 1;
		if (run > 63)
			return fail("hostname '%s': a label of more than 63 bytes", tmpl);
		min_len++;
		prev = c;
	}
	if (min_len > CONF_MAX_HOSTNAME)
		return fail("hostname '%s' is at least %zu bytes long for every user (at most %d)",
			    tmpl, min_len, CONF_MAX_HOSTNAME);
	return 0;
}

int
conf_expand_hostname(const char *tmpl, const char *user, uid_t uid, const char *host, char *out,
		     size_t outlen, char *err, size_t errlen)
{
	size_t n = 0;

	for (const char *p = tmpl; *p; p++) {
		char num[16];
		const char *add = num;
		size_t len;

		if (*p != '%') {
			num[0] = *p, num[1] = '\0';
		} else {
			switch (*++p) {
			case 'u':
				add = user;
				break;
			case 'U':
				(void)xsnprintf(num, sizeof(num), "%u", (unsigned)uid);
				break;
			case 'h':
				add = host;
				break;
			case '%':
				num[0] = '%', num[1] = '\0';
				break;
			default:
				return fail("hostname '%s': unknown '%%' sequence", tmpl);
			}
		}
		len = strlen(add);
		if (n + len >= outlen)
			return fail("hostname from '%s' is longer than %d bytes", tmpl,
				    CONF_MAX_HOSTNAME);
		memcpy(out + n, add, len);
		n += len;
	}
	out[n] = '\0';
	if (n > 0 && !conf_hostname_valid(out))
		return fail("hostname '%.80s' (from '%s') is not a valid host name (RFC 1123)", out,
			    tmpl);
	return 0;
}

int
conf_parse_uid_title(const char *name, uid_t *ret)
{
	uint64_t v;

	/* (uid_t)-1 is "no uid" to every set*id call; it cannot name a user. */
	if (name[0] != '#' || parse_uint(name + 1, (uid_t)-2, &v) < 0)
		return -EINVAL;
	*ret = (uid_t)v;
	return 0;
}

int
conf_check_name(const char *name, bool allow_uid, char *err, size_t errlen)
{
	uid_t uid;
	size_t len = strlen(name);

	if (len == 0)
		return fail("empty name");
	if (len > CONF_MAX_NAME)
		return fail("name is longer than %d bytes", CONF_MAX_NAME);
	if (name[0] == '#') {
		if (allow_uid && conf_parse_uid_title(name, &uid) == 0)
			return 0;
		return fail(allow_uid ? "'%s': '#' must be followed by a numeric uid"
				      : "'%s': group names cannot start with '#'",
			    name);
	}
	/* ':' separates fields in /etc/passwd and /etc/group: no NSS name contains it. */
	if (strchr(name, ':'))
		return fail("'%s' cannot be a user or group name (contains ':')", name);
	return 0;
}

int
conf_check_service(const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name);

	if (len == 0)
		return fail("empty service name");
	if (len > CONF_MAX_SERVICE)
		return fail("service name is longer than %d bytes", CONF_MAX_SERVICE);
	/*
	 * A PAM service is the name of a file in /etc/pam.d: never a path, and never "." or
	 * "..".  Anything outside this set is a typo or worse, and would match no login.
	 */
	for (const char *p = name; *p; p++)
		if (!is_alnum(*p) && !strchr("-_.@+", *p))
			return fail("'%s' is not a PAM service name (letters, digits and - _ . @ + "
				    "only)",
				    name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fail("'%s' is not a PAM service name", name);
	return 0;
}

int
conf_escape_path(const char *path, char *out, size_t outlen)
{
	size_t n = 0;

	for (const char *p = path + 1; *p; p++) {
		char buf[5];
		const char *add = buf;
		size_t len;

		if (*p == '/')
			add = "-";
		else if (is_alnum(*p) || *p == '_' || (*p == '.' && p != path + 1))
			buf[0] = *p, buf[1] = '\0';
		else
			(void)xsnprintf(buf, sizeof(buf), "\\x%02x", (unsigned char)*p);
		len = strlen(add);
		if (n + len >= outlen || n + len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(out + n, add, len);
		n += len;
	}
	out[n] = '\0';
	return n ? 0 : -EINVAL;
}
