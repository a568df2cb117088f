/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <string.h>

#include "util.h"

int
parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	/* Digits only: strtoull would accept a sign, leading blanks and "0x". */
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int
xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

const char *
log_safe(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	if (size < 4)
		return "";
	if (!s)
		s = "(null)";
	for (; *s && i < size - 1; s++, i++)
		buf[i] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s && size > 4)
		memcpy(buf + size - 4, "...", 3), i = size - 1;
	buf[i] = '\0';
	return buf;
}

void
host_short_name(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0)
		(void)xsnprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
	buf[strcspn(buf, ".")] = '\0';
}
