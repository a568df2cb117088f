/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The digest of a plan: what a session *is*, so that a later login of the same user with
 * `share = user` joins a session only if it would have built exactly that one (docs/DESIGN.md,
 * "Shared sessions").  Its namespaces, host name, sharing, lifetime (linger, kill_timeout)
 * and every private directory with its type, size, inode limit, mode and flags, in the
 * plan's order.  Not how a login is handled (on_error, nested) nor which rule said so: two
 * rules that build the same session share it.
 *
 * The text hashed is unambiguous: one "key value" line per field, strings as length:bytes,
 * numbers in decimal, namespaces as their CLONE_NEW* flags (the kernel's numbers, which never
 * change).  Its first line names its version; a change of the layout changes every digest,
 * so that a new helper never joins a session an older one built from another reading of the
 * same plan.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "sha256.h"

static void add(struct sha256 *s, const char *fmt, ...) _printf_(2, 3);

static void
add(struct sha256 *s, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Only numbers and short keys come here: a line never comes close to the buffer. */
	if (n > 0)
		sha256_update(s, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void
add_str(struct sha256 *s, const char *key, const char *v)
{
	size_t len = strlen(v);

	add(s, "%s %zu:", key, len);
	sha256_update(s, v, len);
	sha256_update(s, "\n", 1);
}

void
conf_plan_digest(const struct plan *p, char hex[CONF_DIGEST_HEX])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t d[SHA256_SIZE];
	struct sha256 s;

	_Static_assert(CONF_DIGEST_HEX == 2 * SHA256_SIZE + 1, "hex digits and a NUL");
	sha256_init(&s);
	add(&s, "nsisolate plan 1\n");
	add(&s, "clone_ns %u\n", ns_clone_flags(p->namespaces));
	add_str(&s, "hostname", p->hostname);
	add(&s, "share %d\nlinger %d\nkill_timeout %u\n", (int)p->share, p->linger ? 1 : 0,
	    p->kill_timeout);
	add(&s, "private %zu\n", p->n_private);
	for (size_t i = 0; i < p->n_private; i++) {
		const struct plan_private *pp = &p->private[i];

		add_str(&s, "path", pp->path);
		add_str(&s, "size", pp->size);
		add(&s, "type %d nr_inodes %" PRIu64 " mode %o noexec %d\n", (int)pp->type,
		    pp->nr_inodes, (unsigned)pp->mode, pp->noexec ? 1 : 0);
	}
	sha256_final(&s, d);
	for (size_t i = 0; i < SHA256_SIZE; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * SHA256_SIZE] = '\0';
}
