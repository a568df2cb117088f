/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the PAM module and the helper say to each other.
 *
 * The module execs the helper with an empty environment, fds 0-2 on /dev/null and one
 * SOCK_SEQPACKET socket as fd 3, and these arguments:
 *
 *   nsisolate-helper open --conf PATH --user NAME --uid N --gid N --service NAME
 *                         [--tty TTY] [--rhost HOST] [--group NAME]...
 *
 * The helper answers with exactly one `struct nsi_reply` (before the session exists the
 * first stage, after it the session's PID 1 itself); with NSI_READY it carries, as
 * SCM_RIGHTS, a pidfd of the session's PID 1 and an O_PATH fd of PID 1's root directory.
 * fd 3 then stays open in PID 1: when every copy of the module's end is closed, PID 1 ends
 * the session.
 */
#ifndef NSISOLATE_PROTOCOL_H
#define NSISOLATE_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define NSI_CONTROL_FD	3
#define NSI_REPLY_MAGIC 0x6e736931u /* "nsi1" */
/* The module gives up on a helper that has not answered by then. */
#define NSI_REPLY_TIMEOUT_MS 20000
/* PID 1 gives up on its own setup (a hung mount, say) a little earlier. */
#define NSI_SETUP_TIMEOUT_S 15

enum nsi_verdict {
	NSI_READY = 1,	/* join the session: pidfd and root fd attached */
	NSI_IGNORE = 2, /* nothing to do for this user: PAM_IGNORE */
	NSI_FAIL = 3,	/* isolation was wanted and failed: see on_error */
};

/*
 * What the module does with NSI_FAIL.  The wire's own numbers, not the configuration's
 * (enum conf_on_error, which the module never sees): reordering that enum must not turn a
 * refusal into a login.  0 is neither, so an all-zero reply refuses, and so does any number
 * but NSI_ON_ERROR_ALLOW (nsi_on_error_allows).  1 is not used either: earlier builds sent
 * the configuration's numbers and read 1 as allow, and a login program that loaded such a
 * module before an upgrade may run the new helper.
 */
enum nsi_on_error {
	NSI_ON_ERROR_DENY = 2,
	NSI_ON_ERROR_ALLOW = 3,
};
_Static_assert(NSI_ON_ERROR_DENY > 1 && NSI_ON_ERROR_ALLOW > 1,
	       "neither 0 (an all-zero reply) nor 1 (allow, to earlier builds) may be sent");

/* The module's whole reading of on_error: allow only what says so, refuse anything else. */
static inline bool
nsi_on_error_allows(uint32_t on_error)
{
	return on_error == NSI_ON_ERROR_ALLOW;
}

/*
 * Where a rule named as struct nsi_reply's `rule` says it is: FILE:LINE, after the second
 * ':', with *ret_len the length of the "KIND:NAME" before it; NULL (and the whole length) for
 * "top", "exempt", or words of another version.
 */
static inline const char *
nsi_rule_at(const char *rule, size_t *ret_len)
{
	const char *first = strchr(rule, ':'), *second = first ? strchr(first + 1, ':') : NULL;

	*ret_len = second && second[1] ? (size_t)(second - rule) : strlen(rule);
	return second && second[1] ? second + 1 : NULL;
}

/* The caller already runs inside an isolated session (su or sudo in one, say). */
#define NSI_REPLY_IN_SESSION 0x1u
/*
 * With NSI_READY: the session is shared by the user's logins (share = user).  Closing this
 * login leaves it (the module closes its socket; PID 1 counts the logins), never ends it.
 */
#define NSI_REPLY_SHARED 0x2u

struct nsi_reply {
	uint32_t magic;
	uint32_t verdict;
	uint32_t on_error;   /* NSI_ON_ERROR_*: what to do with NSI_FAIL */
	uint32_t clone_ns;   /* CLONE_NEW* flags of the namespaces to join */
	int32_t init_pid;    /* PID 1 of the session, as the module sees it */
	uint32_t flags;	     /* NSI_REPLY_* */
	uint64_t session_id; /* name of the record in NSI_RUN_DIR/sessions */
	/*
	 * The rule that applied, for the log line (and the session record): "top", "exempt",
	 * or "user:NAME:FILE:LINE" / "group:NAME:FILE:LINE", the section and where it is (the
	 * main file or a drop-in).  A name has no ':' (no NSS name has); the module splits at
	 * the second one.  Text only, and read as text by earlier modules: no new version.
	 */
	char rule[128];
	char msg[512]; /* why it was ignored, or what failed */
};

#endif
