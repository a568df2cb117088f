/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For test programs that load pam_nsisolate.so: libpam's pam_syslog ends up in these instead
 * of /dev/log (the program is linked -rdynamic, so its definitions take the place of libc's
 * inside libpam).  The including file defines capture(), which receives every message.
 */
#ifndef NSISOLATE_SYSLOG_CAPTURE_H
#define NSISOLATE_SYSLOG_CAPTURE_H

#include <stdarg.h>

static void capture(const char *fmt, va_list ap);

void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)pri, (void)flag;
	va_start(ap, fmt);
	capture(fmt, ap);
	va_end(ap);
}

void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)pri, (void)flag;
	capture(fmt, ap);
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	(void)pri;
	va_start(ap, fmt);
	capture(fmt, ap);
	va_end(ap);
}

void
vsyslog(int pri, const char *fmt, va_list ap)
{
	(void)pri;
	capture(fmt, ap);
}

#endif
