/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Telling a systemd unit with PAMName= from a login program.
 *
 * sshd, login, su, sudo, cron and atd open the session in a process that forks the user's
 * processes later: after our setns(2) those children are born in the session's PID
 * namespace.  systemd is different.  For a unit with PAMName= (user@.service through the
 * PAM service "systemd-user", `machinectl shell`, `systemd-run -p PAMName=`) the process
 * that opens the session is the one that then execs the unit's program: a process never
 * changes its own PID namespace, so the program would run in the host's, in a mount
 * namespace whose /proc has no entry for it.  On systemd 252 the exec then fails
 * ("203/EXEC", systemd resolves the binary through /proc/self/fd); on systemd 257 it runs,
 * but the "(sd-pam)" process systemd forks after us lands inside, sees no parent and
 * closes the session within milliseconds.  Neither is isolation.
 *
 * So for such an opener the module never joins.  For the user manager (PAM service
 * "systemd-user") it builds the session and leaves it to nsisolate-usermgr, which the
 * package's drop-in for user@.service puts in front of `systemd --user`: that program,
 * already running as the user, enters the session and starts the manager as its child,
 * inside.  Any other unit is refused, with a log line that says what to use instead.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module.h"

/* The name systemd 255 and later give the program that sets up a unit's process. */
#define EXECUTOR_NAME "/systemd-executor"

/*
 * Is the calling process systemd setting up a unit's process?  Up to systemd 254 that is a
 * fork of PID 1 that has not exec'd yet: the same executable as PID 1.  From 255 on it is
 * systemd-executor, exec'd by PID 1.  Either way the parent is PID 1.  Nothing here can be
 * steered by a user: the executable of a root process and its parent are the kernel's.
 */
enum opener
opener_kind(const char *service)
{
	struct stat self, init;
	char exe[4096];
	ssize_t n;
	bool unit;

	if (getppid() != 1)
		return OPENER_LOGIN;
	if (stat("/proc/self/exe", &self) < 0 || stat("/proc/1/exe", &init) < 0)
		return OPENER_LOGIN;
	unit = self.st_dev == init.st_dev && self.st_ino == init.st_ino;
	if (!unit) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			n -= (ssize_t)strlen(EXECUTOR_NAME);
			unit = n >= 0 && strcmp(exe + n, EXECUTOR_NAME) == 0;
		}
	}
	if (!unit)
		return OPENER_LOGIN;
	return strcmp(service, "systemd-user") == 0 ? OPENER_USER_MANAGER : OPENER_UNIT;
}
