/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The login process and its session: joining it (common/join.c, shared with `nsisolate
 * enter`), going back at close, and removing the record of a session whose PID 1 was killed.
 */
#include "../common/record.h"
#include "../common/util.h"
#include "module.h"

void
join_close_fds(struct state *st)
{
	closep(&st->pidfd);
	closep(&st->control_fd);
	closep(&st->root_fd);
	join_saved_close(&st->saved);
}

/* Nothing in the login process changes before this. */
int
join_session(struct state *st, char *err, size_t errlen)
{
	int r = join_enter(st->pidfd, st->init_pid, st->clone_ns, st->root_fd, &st->saved, err,
			   errlen);

	closep(&st->root_fd);
	return r;
}

/* On close, and when remembering the session failed right after the join. */
int
join_restore(struct state *st)
{
	return join_leave(&st->saved);
}

/*
 * PID 1 is gone but its record is not (it was SIGKILLed): remove the record ourselves.  With
 * only_if_stale, only when nobody holds the record's lock any more, and tell whether it was.
 * That lock, not the pidfd, is what says "gone" at close: PID 1 releases it the moment it
 * dies, but its pidfd turns readable only once every process of its PID namespace has been
 * reaped, and sshd's monitor reaps its user child (inside the session) only after
 * close_session returns (docs/kernel-facts.md, 'PID 1's exit waits for its namespace to be
 * reaped').  tests/e2e/ssh.sh: SIGKILL of PID 1 under sshd
 * left the record behind.
 */
bool
join_remove_record(const struct state *st, bool only_if_stale)
{
	_cleanup_close_ int s = record_open_sessions_dir(), u = record_open_user_dir(st->uid);
	char name[RECORD_NAME_SIZE];

	if (!only_if_stale) {
		record_remove(s, u, st->id);
		return true;
	}
	record_name(st->id, name);
	return record_remove_stale(s, u, name);
}
