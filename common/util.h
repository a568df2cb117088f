/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by every part of nsisolate: automatic cleanup, checked number parsing
 * and string formatting.  Nothing here allocates behind the caller's back or aborts, so the
 * PAM module (a library inside someone else's process) may use all of it.
 */
#ifndef NSISOLATE_UTIL_H
#define NSISOLATE_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_     __attribute__((noreturn))
#define _unused_       __attribute__((unused))
#define _cleanup_(f)   __attribute__((cleanup(f)))

static inline void
freep(void *p)
{
	free(*(void **)p);
}

/* Close and forget: *fd is -1 afterwards, so a second closep() (or a cleanup) is harmless. */
static inline void
closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

static inline void
fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/*
 * The error style of common/, conf/ and the module: a function that can fail returns -errno
 * and says what failed in the caller's `err` buffer (`errlen` bytes), errno's text included:
 *   return fail_errno(-errno, "cannot save the login process's namespaces");
 */
#define fail_errno(r, what)                                                    \
	({                                                                     \
		int r_ = (r);                                                  \
		(void)xsnprintf(err, errlen, "%s: %s", (what), strerror(-r_)); \
		r_;                                                            \
	})

#define _cleanup_free_	 _cleanup_(freep)
#define _cleanup_close_	 _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand a pointer or fd out of a cleanup-managed variable. */
#define steal_ptr(p)                      \
	({                                \
		__typeof__(p) _tmp = (p); \
		(p) = NULL;               \
		_tmp;                     \
	})
#define steal_fd(fd)             \
	({                       \
		int _tmp = (fd); \
		(fd) = -1;       \
		_tmp;            \
	})

/*
 * Parse an unsigned decimal number that must fill the whole string and be at most max.
 * Returns 0, or -EINVAL (empty, sign, junk) or -ERANGE.
 */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);

/* snprintf that reports truncation: 0, or -ENAMETOOLONG when the result did not fit. */
int xsnprintf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);

/* The host's name up to the first dot, for "%h" in hostname templates ("localhost" if none). */
void host_short_name(char *buf, size_t size);

/* Copy a string for a log line: control bytes become '?', long strings end in "...". */
const char *log_safe(const char *s, char *buf, size_t size);

#endif
