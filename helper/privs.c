/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PID 1 gives up being root, then checks that it has: every capability set emptied, the
 * bounding set and ambient set too, securebits locked so that uid 0 means nothing again,
 * no_new_privs, not dumpable, the uids that keep the session's user from signalling or tracing
 * it, and no gid 0 left.  The proof tries the privileged calls it should no longer be able to
 * make.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>

#include "helper.h"

/*
 * Give up everything that made us root, in an order that keeps the means to do so until
 * the end: the bounding set needs CAP_SETPCAP, which the final cap_set_proc() removes.
 */
void
privs_drop(uid_t uid, gid_t gid)
{
	_cleanup_(cap_free) cap_t none = NULL;
	int bits = cap_max_bits();

	for (int c = 0; c < bits; c++)
		if (cap_drop_bound((cap_value_t)c) < 0)
			die("cannot drop capability %d from the bounding set: %s", c,
			    strerror(errno));
	/*
	 * One prctl; libcap's cap_reset_ambient() first asks about every capability in turn,
	 * some forty system calls on every login for the same result.
	 */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("cannot clear the ambient capabilities: %s", strerror(errno));
	/* uid 0 must never again mean capabilities, even after setresuid(0, 0, 0). */
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
			  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
		  0, 0, 0) < 0)
		die("cannot set securebits: %s", strerror(errno));
	if (setgroups(0, NULL) < 0)
		die("cannot drop supplementary groups: %s", strerror(errno));
	/*
	 * All three gids the user's, while CAP_SETGID still lets us: code run inside PID 1 could
	 * otherwise use group root's files, and without the capability it can never take gid 0
	 * back.  Nothing needs it: kill(2) permission depends on uids alone (the real and saved
	 * uid 0 below still keep the user from signalling us), ptrace is refused on the uids
	 * and on non-dumpable, and the state directories PID 1 writes at the end are 0700 root,
	 * reached through fsuid 0.
	 */
	if (setresgid(gid, gid, gid) < 0)
		die("cannot change gid: %s", strerror(errno));
	/*
	 * Effective uid = the user's, so that we may signal the user's processes at logout
	 * without CAP_KILL; real and saved uid stay 0, so that the user can neither signal nor
	 * ptrace us (docs/kernel-facts.md, 'Signals and a PID namespace's init').
	 */
	if (setresuid(0, uid, 0) < 0)
		die("cannot change uid: %s", strerror(errno));
	none = cap_init();
	if (!none || cap_set_proc(none) < 0)
		die("cannot clear capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("cannot set no_new_privs/non-dumpable: %s", strerror(errno));
}

/*
 * Our five capability sets as the kernel reports them, in one read rather than a
 * PR_CAPBSET_READ per capability: all must be empty.  The file is our own (PID 1 of its own
 * /proc, or the host's /proc without a pid namespace); a line missing is a failure.
 */
static void
cap_sets_empty(void)
{
	static const char *const sets[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
	_cleanup_close_ int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	char buf[8192];
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		die("cannot read our capabilities: %s", strerror(errno));
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		char key[16], *p, *end;

		(void)xsnprintf(key, sizeof(key), "\n%s:\t", sets[i]);
		p = strstr(buf, key);
		if (!p)
			die("cannot read our capabilities (%s)", sets[i]);
		p += strlen(key);
		errno = 0;
		if (strtoull(p, &end, 16) != 0 || errno || end == p || *end != '\n')
			die("capabilities remain after the drop (%s)", sets[i]);
	}
}

/* Like OpenSSH's uidswap.c: do not trust the drop, try to use what was dropped. */
void
privs_prove_dropped(uid_t uid, gid_t gid)
{
	_cleanup_(cap_free) cap_t now = cap_get_proc(), none = cap_init();
	uid_t r, e, sv;
	gid_t rg, eg, sg;

	if (!now || !none || cap_compare(now, none) != 0)
		die("capabilities remain after the drop");
	/* The bounding and ambient sets too, as the kernel reports them. */
	cap_sets_empty();
	if (getresuid(&r, &e, &sv) < 0 || r != 0 || e != uid || sv != 0)
		die("unexpected uids after the drop");
	/* No gid 0 anywhere, and no supplementary group, and gid 0 cannot be had again. */
	if (getresgid(&rg, &eg, &sg) < 0 || rg != gid || eg != gid || sg != gid)
		die("unexpected gids after the drop");
	if (getgroups(0, NULL) != 0)
		die("supplementary groups remain after the drop");
	if (gid != 0 && (setresgid(0, 0, 0) == 0 || setgid(0) == 0))
		die("gid 0 can be taken back after the drop");
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		die("still dumpable or without no_new_privs");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0 || errno != EPERM)
		die("mount still works after dropping privileges");
	if (unshare(CLONE_NEWUTS) == 0)
		die("unshare still works after dropping privileges");
}
