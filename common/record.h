/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Session records: one small text file per live session in NSI_RUN_DIR/sessions/<id>, hard
 * linked as NSI_RUN_DIR/users/<uid>/<id>.  The directory is root-only, so nothing a user does
 * can create, change or fake one.  PID 1 of the session holds an exclusive flock(2) on the
 * file for as long as it lives: a record nobody holds locked is stale and may be removed.
 *
 * <id> is the inode number of the session's mount namespace (or of its first other
 * namespace without one): unique among live namespaces and comparable with the
 * links in /proc/PID/ns to tell whether a process is inside the session.
 */
#ifndef NSISOLATE_RECORD_H
#define NSISOLATE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ns.h"
#include "paths.h"

#define NSI_SESSIONS_DIR     NSI_RUN_DIR "/sessions"
#define NSI_USERS_DIR	     NSI_RUN_DIR "/users"
#define RECORD_MAX_SIZE	     8192
#define RECORD_MAX_USER_DIRS 16

struct session_record {
	uint64_t id;
	pid_t init_pid; /* in the login's pid namespace: a nested session's is not the host's */
	uid_t uid;
	int64_t start; /* seconds since the epoch */
	uint64_t
		ns[NS_COUNT]; /* inode of each namespace the session made (enum ns_index), else 0 */
	unsigned clone_ns;
	bool linger;
	char user[257];
	char service[65];
	char tty[65];
	char rhost[257];
	char rule[128];
	char hostname[65];
	unsigned n_user_dirs; /* targets whose tmpfs is shared by the user's sessions */
	char user_dirs[RECORD_MAX_USER_DIRS][256];
};

/* Text form: "key=value" lines; values have control bytes replaced by '?'. */
int record_format(const struct session_record *r, char *buf, size_t size);
int record_parse(const char *buf, size_t len, struct session_record *ret);

/* Open and parse one record below dirfd (O_NOFOLLOW); ret_fd keeps the file open. */
int record_read(int dirfd, const char *name, struct session_record *ret, int *ret_fd);

/* True while the session's PID 1 holds the record's lock. */
bool record_alive(int fd);

#endif
