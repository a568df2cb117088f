/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configuration library: nsisolate.conf(5) read with libconfuse, validated, turned into a
 * compact table, and resolved for one user into a `struct plan`.
 *
 * Linked into the helper and the admin tool, never into the PAM module.
 */
#ifndef NSISOLATE_CONF_H
#define NSISOLATE_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../common/ns.h"
#include "../common/util.h"

/* Hard limits: beyond these a file is hostile or a mistake. */
#define CONF_MAX_FILE_SIZE    (4u << 20)
#define CONF_MAX_PRIVATE      16  /* private directories per rule */
#define CONF_MAX_NAME	      256 /* user and group names (LOGIN_NAME_MAX) */
#define CONF_MAX_HOSTNAME     64  /* HOST_NAME_MAX */
#define CONF_MAX_SERVICE      64  /* a PAM service name in exempt_services */
#define CONF_MAX_KILL_TIMEOUT 3600
#define CONF_MAX_DROPINS      128 /* files in the drop-in directory */

/* A set of namespaces: bit i is row i of the table in common/ns.c. */
enum conf_ns {
	CONF_NS_MOUNT = NS_BIT(NS_MOUNT),
	CONF_NS_IPC = NS_BIT(NS_IPC),
	CONF_NS_PID = NS_BIT(NS_PID),
	CONF_NS_UTS = NS_BIT(NS_UTS),
	CONF_NS_NET = NS_BIT(NS_NET),
	CONF_NS_ALL = NS_ALL,
	/* What a rule gets when nothing sets `namespaces`: a network of its own only on request. */
	CONF_NS_DEFAULT = CONF_NS_MOUNT | CONF_NS_IPC | CONF_NS_PID | CONF_NS_UTS,
};

enum conf_private_type { CONF_PRIV_SESSION, CONF_PRIV_USER, CONF_PRIV_PERSISTENT };
enum conf_on_error { CONF_ON_ERROR_DENY, CONF_ON_ERROR_ALLOW };
enum conf_nested { CONF_NESTED_SKIP, CONF_NESTED_ISOLATE };
/* login: a session per login; user: one session for all of a user's logins with one plan. */
enum conf_share { CONF_SHARE_LOGIN, CONF_SHARE_USER };
enum conf_rule_kind { CONF_RULE_TOP, CONF_RULE_USER, CONF_RULE_GROUP };

/* ---- diagnostics ------------------------------------------------------------------------ */

struct conf_diag {
	unsigned file; /* 0: the main file; n: files[n - 1], a drop-in */
	unsigned line; /* 0: about the file as a whole */
	char *msg;
};

struct conf_diags {
	char *file; /* the main file */
	char **files;
	size_t nfiles;
	unsigned cur; /* the file conf_diag_add reports against */
	struct conf_diag *v;
	size_t n, cap;
	bool oom; /* a message was lost: report failure even if n == 0 */
};

int conf_diags_init(struct conf_diags *d, const char *file);
void conf_diags_free(struct conf_diags *d);
/* Report what follows against file `name` (the main file or a drop-in), until the next call. */
int conf_diags_file(struct conf_diags *d, const char *name);
void conf_diag_add(struct conf_diags *d, unsigned line, const char *fmt, ...) _printf_(3, 4);
/* The file problem i is about, and the problem as "FILE:LINE: message" ("FILE: message"). */
const char *conf_diag_file(const struct conf_diags *d, size_t i);
int conf_diag_format(const struct conf_diags *d, size_t i, char *buf, size_t size);
/* Sorted by file, then line, one "FILE:LINE: message" (or "FILE: message") per line. */
void conf_diags_print(struct conf_diags *d, FILE *f);
static inline bool
conf_diags_failed(const struct conf_diags *d)
{
	return d->n > 0 || d->oom;
}

/* ---- the loaded configuration ----------------------------------------------------------- */

struct conf; /* opaque; see store.h */

/*
 * Parse a configuration held in memory.  `name` is the file name used in messages.  Returns
 * 0 and a configuration, or -EINVAL with every problem in diags, or another -errno.
 */
int conf_parse_buffer(const char *name, const char *buf, size_t len, struct conf **ret,
		      struct conf_diags *diags);

/* One file of a configuration held in memory. */
struct conf_text {
	const char *name; /* for messages and `nsisolate explain` */
	const char *buf;
	size_t len;
};

/*
 * Parse a main file (files[0]) and its drop-ins (the rest, in the order they apply) as one
 * configuration: nsisolate.conf(5), DROP-INS.  Returns as conf_parse_buffer() does.
 */
int conf_parse_texts(const struct conf_text *files, size_t n, struct conf **ret,
		     struct conf_diags *diags);

/*
 * Open, check and parse a configuration file and its drop-ins.  Each file must be a regular
 * file (not a symlink), owned by `owner` (root in production), not writable by group or
 * others, and all of them together at most CONF_MAX_FILE_SIZE bytes.
 */
int conf_load(const char *path, uid_t owner, struct conf **ret, struct conf_diags *diags);

/* The drop-in directory of configuration file `path`: "x.conf" -> "x.d", "x" -> "x.d". */
int conf_dropin_dir(const char *path, char *buf, size_t size);

void conf_free(struct conf *c);

/* Check every private target on this machine: it exists and is safe to mount over. */
int conf_check_targets(const struct conf *c, struct conf_diags *diags);

/* ---- resolution ------------------------------------------------------------------------- */

/*
 * Who is logging in, and through which PAM service.  Gathered through NSS by the module
 * (which hands it to the helper as arguments: the helper never asks NSS) or by the admin tool.
 */
struct identity {
	const char *name;
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	const char *const *group_names; /* every group the user is in, primary included */
	const char *service;		/* PAM_SERVICE; NULL: not known (nsisolate explain) */
};

struct plan_private {
	const char *path; /* points into the configuration */
	enum conf_private_type type;
	char size[32];	    /* tmpfs "size=" value, "" for the kernel's default */
	uint64_t nr_inodes; /* 0: the kernel's default */
	mode_t mode;
	bool noexec;
	unsigned line;
};

enum plan_verdict {
	PLAN_ISOLATE,  /* build a session */
	PLAN_EXEMPT,   /* exempt_services / exempt_users / exempt_groups */
	PLAN_DISABLED, /* the matching rule says isolate = false */
};

/* What a login gets.  A field that changes what a session is belongs in conf_plan_digest(). */
struct plan {
	enum plan_verdict verdict;
	enum conf_rule_kind rule_kind;
	const char *rule_title; /* user or group section title; NULL at the top level */
	unsigned rule_line;
	const char *rule_file; /* of rule_line: the main file or a drop-in */
	uint32_t rule_index;   /* the rule's number in the configuration (conf_value_origin) */
	char why[CONF_MAX_NAME + 96]; /* for PLAN_EXEMPT: which list and which name */
	unsigned namespaces;
	char hostname[CONF_MAX_HOSTNAME + 1]; /* expanded; "" keeps the host's name */
	enum conf_on_error on_error;
	enum conf_nested nested;
	enum conf_share share;
	bool linger;
	unsigned kill_timeout;
	size_t n_private;
	struct plan_private private[CONF_MAX_PRIVATE];
};

/*
 * Resolve the plan for one login: exempt lists first (the service, then the user, then the
 * user's groups; a NULL service matches no exempt_services entry), then the first `user` section naming
 * the user (or "#UID"), else the first `group` section in file order naming one of the
 * user's groups, else the top level.  `host` is the host's short name for "%h".  Returns 0,
 * or -EINVAL with a message in err (for example a hostname that is not valid for this user).
 */
int conf_resolve(const struct conf *c, const struct identity *id, const char *host,
		 struct plan *ret, char *err, size_t errlen);

/*
 * digest.c: SHA-256 of what a plan's session is (namespaces, host name, share, linger,
 * kill_timeout, private directories with all their settings), as 64 hex digits.  Two logins
 * of one user share a session (share = user) only if their digests are equal: a field added
 * to struct plan that changes what a session is must be added there too.
 */
#define CONF_DIGEST_HEX 65
void conf_plan_digest(const struct plan *p, char hex[CONF_DIGEST_HEX]);

/* Whether `service` is in exempt_services. */
bool conf_service_exempt(const struct conf *c, const char *service);
/* How many names exempt_services holds, and the line that set it (0: never set). */
size_t conf_exempt_services(const struct conf *c, unsigned *ret_line);
/* Name `i` of exempt_services, in sorted order; NULL past the end. */
const char *conf_exempt_service(const struct conf *c, size_t i);

/* Where a value was set: file 0 is the main file, n its n-th drop-in; line 0: the default. */
struct conf_origin {
	uint32_t file;
	unsigned line;
};

/*
 * Where the plan's rule got `option` (a rule option, "private" for its private directories),
 * where the rule itself is ("rule"), or where an exempt list ("exempt_users", ...) was set.
 * -EINVAL for another name.
 */
int conf_value_origin(const struct conf *c, const struct plan *p, const char *option,
		      struct conf_origin *ret);
/* "line N" in the main file, "FILE:LINE" in a drop-in, "default" where no file sets it. */
void conf_origin_format(const struct conf *c, const struct conf_origin *o, char *buf, size_t size);
/* The files the configuration was read from: the main file, then its drop-ins. */
size_t conf_n_files(const struct conf *c);
const char *conf_file_name(const struct conf *c, size_t i);

/* Names for printing. */
const char *conf_private_type_name(enum conf_private_type t);
const char *conf_ns_name(enum conf_ns ns);
/* "mount,ipc,pid,uts" */
void conf_ns_format(unsigned namespaces, char *buf, size_t size);

#endif
