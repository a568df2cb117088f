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
/* A shared session's plan digest (conf_plan_digest: 64 hex digits) and its count of logins. */
#define RECORD_PLAN_SIZE    65
#define RECORD_LOGINS_WIDTH 5 /* written with leading zeros: a rewrite never moves a byte */
#define RECORD_MAX_LOGINS   99999

struct session_record {
	uint64_t id;
	pid_t init_pid; /* in the login's pid namespace: a nested session's is not the host's */
	uid_t uid;
	int64_t start; /* seconds since the epoch */
	uint64_t
		ns[NS_COUNT]; /* inode of each namespace the session made (enum ns_index), else 0 */
	unsigned clone_ns;
	bool linger;
	/*
	 * share = user: the user's later logins whose plan has the digest `plan` join it, through
	 * the socket <id>.sock next to its link in users/<uid>/ (helper/share.c); `logins` is how
	 * many are in it now, kept up to date by PID 1.  Written only for such sessions.
	 */
	bool shared;
	char plan[RECORD_PLAN_SIZE];
	unsigned logins;
	char user[257];
	char service[65];
	char tty[65];
	char rhost[257];
	char rule[128];
	char hostname[65];
	unsigned n_user_dirs; /* targets whose tmpfs is shared by the user's sessions */
	char user_dirs[RECORD_MAX_USER_DIRS][256];
};

/* The inode of namespace i of process `pid` ("self" or a number): 0 or -errno. */
int record_ns_inode(const char *pid, enum ns_index i, uint64_t *ret);
/* The id of the session whose namespaces (CLONE_NEW* flags) process `pid` is PID 1 of. */
int record_id_of(const char *pid, unsigned clone_ns, uint64_t *ret);

/* Text form: "key=value" lines; values have control bytes replaced by '?'. */
int record_format(const struct session_record *r, char *buf, size_t size);
int record_parse(const char *buf, size_t len, struct session_record *ret);

/*
 * Open and parse one record below dirfd (O_NOFOLLOW): a regular file owned by `owner` (root
 * in production, as for conf_load()).  ret_fd keeps the file open.
 */
int record_read(int dirfd, const char *name, uid_t owner, struct session_record *ret, int *ret_fd);

/* True while the session's PID 1 holds the record's lock. */
bool record_alive(int fd);

/* Whether the process whose /proc/PID directory is open at procfd has the record at fd open. */
bool record_held_by(int procfd, int fd);

/*
 * The session's PID 1 by the record's pid, proven: process `pid` holds the record at fd open
 * (record_held_by), which only the session's PID 1 does, the directory being root's alone.
 * Returns an fd of its /proc directory, and with ret_pidfd a pidfd of it, both that very
 * process (the pidfd still names a live process once the directory is open, so the pid was
 * not given to another in between); -ESRCH if it is not that process.
 */
int record_open_holder(pid_t pid, int fd, int *ret_pidfd);

/* PID 1 of a shared session: its count of logins, rewritten in place.  0 or -errno. */
int record_set_logins(int fd, unsigned logins);

/*
 * The rest of a record's life, in its two directories: `sessions` (NSI_SESSIONS_DIR) and
 * `user` (NSI_USERS_DIR/<uid>), or -1 for one that is not open.  A name is only ever unlinked
 * while it is still the file meant (the same inode): never another session's record that
 * has taken the name since.  Privileges are the caller's (PID 1 takes fsuid 0 around these).
 */

/* Its name in both: the id in decimal. */
#define RECORD_NAME_SIZE 24
void record_name(uint64_t id, char name[RECORD_NAME_SIZE]);
/* A shared session's socket in the user's directory: "<id>.sock". */
#define RECORD_SOCKET_SUFFIX ".sock"
#define RECORD_SOCKET_SIZE   (RECORD_NAME_SIZE + sizeof(RECORD_SOCKET_SUFFIX))
void record_socket_name(uint64_t id, char name[RECORD_SOCKET_SIZE]);

/* The directories, opened O_RDONLY without following a symlink in last place: fd or -errno. */
int record_open_sessions_dir(void);
int record_open_user_dir(uid_t uid);

/*
 * The first stage's new record: unnamed (O_TMPFILE) in `sessions` until PID 1 publishes it,
 * and locked, which says "alive" for as long as this fd (PID 1, which inherits it) lives.
 * Returns the fd or -errno.
 */
int record_create(int sessions);
/* PID 1 writes what the record says: 0 or -errno. */
int record_write(int fd, const struct session_record *r);

/*
 * PID 1 names its record (open at fd, unnamed and locked): <id> in both directories.  A stale
 * record in the way (of a namespace whose number the kernel has given out again) is removed
 * first.  0, or -errno with no link left behind.
 */
int record_publish(int fd, int sessions, int user, uint64_t id);
/*
 * PID 1 removes its record: both links.  Returns the result for sessions/: 0, -ENOENT if the
 * name was gone already (or is another file), or -errno.
 */
int record_unpublish(int fd, int sessions, int user, uint64_t id);
/*
 * PID 1 at logout: only the link in the user's directory, where the user's next logins look
 * for a session whose tmpfs to share.  sessions/ keeps its link until PID 1 exits.
 */
int record_unpublish_user(int fd, int user, uint64_t id);

/*
 * Remove the record `name` if nobody holds its lock (its PID 1 died without removing it),
 * each link taken on its own: a live record is never touched.  True if a link was removed.
 */
bool record_remove_stale(int sessions, int user, const char *name);
/*
 * Remove both links whatever they are: for a session the caller has just killed, whose PID 1
 * may still hold the lock as it dies.
 */
void record_remove(int sessions, int user, uint64_t id);

#endif
