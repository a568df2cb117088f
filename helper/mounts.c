/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PID 1's privileged setup: the mounts.  Every target is opened by safe_open_dir() (no symlink
 * followed, every component root's) and mounted on by fd with the new mount API, so what was
 * checked is what gets covered.  Every private mount is nosuid,nodev.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "../common/safepath.h"
#include "../conf/values.h"
#include "helper.h"

#define fail(...)                                          \
	({                                                 \
		(void)xsnprintf(err, errlen, __VA_ARGS__); \
		-EINVAL;                                   \
	})

static unsigned
attrs(const struct plan_private *p)
{
	return MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (p->noexec ? MOUNT_ATTR_NOEXEC : 0);
}

/* A detached tmpfs ("nsisolate" in /proc/self/mountinfo) with the rule's options. */
static int
new_tmpfs(const struct plan_private *p, char *err, size_t errlen)
{
	_cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	char mode[8], inodes[24];
	int m;

	if (fs < 0)
		return fail("fsopen tmpfs: %s", strerror(errno));
	(void)xsnprintf(mode, sizeof(mode), "%o", (unsigned)p->mode);
	(void)xsnprintf(inodes, sizeof(inodes), "%" PRIu64, p->nr_inodes);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "nsisolate", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
	    (p->size[0] && fsconfig(fs, FSCONFIG_SET_STRING, "size", p->size, 0) < 0) ||
	    (p->nr_inodes && fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail("tmpfs for '%s': %s", p->path, strerror(errno));
	m = fsmount(fs, FSMOUNT_CLOEXEC, attrs(p));
	if (m < 0)
		return fail("tmpfs for '%s': %s", p->path, strerror(errno));
	return m;
}

/*
 * The tmpfs a live session of the same user has at p->path: entered through that session's
 * mount namespace and cloned, so both see one file system, which the kernel frees when the
 * last session holding it ends.  No host mount, nothing to clean up.
 */
/*
 * setns(CLONE_NEWNS) puts us at the root of the namespace joined (FACTS F32); PID 1's root
 * may be a chroot below it (a chrooted login program).  Into `root` as the root.
 */
static int
enter_root(int root)
{
	return fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0 ? -errno : 0;
}

static int
peer_tmpfs(const struct session *s, size_t i, int self_ns, int self_root,
	   const struct plan_private *p, char *err, size_t errlen)
{
	_cleanup_close_ int src = -1;
	struct mount_attr attr = {.attr_set = attrs(p),
				  .attr_clr = p->noexec ? 0 : MOUNT_ATTR_NOEXEC};
	struct statfs sfs;
	int tree = -1, r = 0;

	if (setns(s->peer_mnt_fd[i], CLONE_NEWNS) < 0)
		return -errno;
	/* The directory where the peer's PID 1 mounted it: below the peer's own root. */
	r = enter_root(s->peer_root_fd[i]);
	if (r == 0)
		src = safe_open_dir(p->path, err, errlen);
	if (r < 0 || src < 0)
		r = r < 0 ? r : src;
	/* Only ever share what we made: a tmpfs, root's (checked by safe_open_dir). */
	else if (fstatfs(src, &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		r = -EXDEV;
	else if ((tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)) <
		 0)
		r = -errno;
	/* Back home, or PID 1 would build the session in someone else's namespace. */
	if (setns(self_ns, CLONE_NEWNS) < 0 || enter_root(self_root) < 0) {
		(void)xsnprintf(err, errlen, "cannot return to the session's mount namespace: %s",
				strerror(errno));
		if (tree >= 0)
			close(tree);
		return -ENOTRECOVERABLE;
	}
	/*
	 * The clone keeps the peer's mount flags, and the peer may have come through another
	 * configuration (another service, without noexec): this session's own flags apply.
	 */
	if (r == 0 && mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		r = -errno;
		close(tree);
	}
	return r < 0 ? r : tree;
}

/* NSI_STATE_DIR/<uid>/<escaped path>, root's, with the rule's mode; bound onto the target. */
static int
persistent_dir(const struct plan_private *p, uid_t uid, char *err, size_t errlen)
{
	_cleanup_close_ int state = -1, user = -1, leaf = -1, rd = -1;
	char name[NAME_MAX + 1], uidname[16], shown[PATH_MAX];
	struct mount_attr attr = {.attr_set = attrs(p)};
	struct stat st;
	int tree;

	if (conf_escape_path(p->path, name, sizeof(name)) < 0)
		return fail("'%s' cannot be a persistent directory name", p->path);
	(void)xsnprintf(uidname, sizeof(uidname), "%u", (unsigned)uid);
	(void)xsnprintf(shown, sizeof(shown), "%s/%s", NSI_STATE_DIR, uidname);
	state = safe_state_dir(NSI_STATE_DIR, err, errlen);
	if (state < 0)
		return state;
	user = safe_private_dir(state, NSI_STATE_DIR, uidname, err, errlen);
	if (user < 0)
		return user;
	/* Never follow: the user owns what is inside, but not this directory itself. */
	leaf = safe_open_below(user, shown, name, err, errlen);
	if (leaf == -ENOENT) { /* the user's first login with it */
		if (mkdirat(user, name, p->mode) < 0 && errno != EEXIST)
			return fail("cannot create '%s/%s': %s", shown, name, strerror(errno));
		leaf = safe_open_below(user, shown, name, err, errlen);
	}
	if (leaf < 0)
		return leaf;
	rd = openat(leaf, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Only when it differs: a chmod is a journaled inode update, at every login. */
	if (rd < 0 || fstat(rd, &st) < 0 ||
	    ((st.st_mode & 07777) != p->mode && fchmod(rd, p->mode) < 0))
		return fail("cannot set the mode of '%s/%s': %s", shown, name, strerror(errno));
	tree = open_tree(leaf, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return fail("cannot bind '%s/%s': %s", shown, name, strerror(errno));
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		close(tree);
		return fail("cannot make '%s/%s' nosuid,nodev: %s", shown, name, strerror(errno));
	}
	return tree;
}

static int
attach(int tree, const char *path, char *err, size_t errlen)
{
	_cleanup_close_ int target = safe_open_dir(path, err, errlen);

	if (target < 0)
		return target;
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return fail("cannot mount on '%s': %s", path, strerror(errno));
	return 0;
}

/* A fresh instance of a kernel file system (proc, mqueue) on a root-owned directory. */
static int
kernel_fs(const char *type, const char *path, bool optional, char *err, size_t errlen)
{
	_cleanup_close_ int fs = -1, m = -1;
	struct stat st;

	if (optional && stat(path, &st) < 0)
		return 0;
	fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", "nsisolate", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail("%s: %s", type, strerror(errno));
	m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0)
		return fail("%s: %s", type, strerror(errno));
	return attach(m, path, err, errlen);
}

int
mounts_apply(struct session *s, char *err, size_t errlen)
{
	_cleanup_close_ int self_ns = -1, self_root = -1;
	int r;

	if (!(s->clone_ns & CLONE_NEWNS))
		return 0;
	/*
	 * Before any mount: nothing mounted here may propagate back into the host, where it
	 * would stay after the session (FACTS F27).  Slave, not private, so that what the
	 * host mounts later still shows up inside.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return fail("cannot make / a slave mount: %s%s", strerror(errno),
			    errno == EINVAL ? " (a login program chrooted into a directory that is "
					      "not a mount point? bind-mount it onto itself first)"
					    : "");
	self_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	self_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (self_ns < 0 || self_root < 0)
		return fail("cannot open our mount namespace or root: %s", strerror(errno));

	for (size_t i = 0; i < s->plan->n_private; i++) {
		const struct plan_private *p = &s->plan->private[i];
		int tree = -1;

		switch (p->type) {
		case CONF_PRIV_USER:
			if (s->peer_mnt_fd[i] >= 0)
				tree = peer_tmpfs(s, i, self_ns, self_root, p, err, errlen);
			if (tree == -ENOTRECOVERABLE)
				return tree; /* stranded in the peer's namespace */
			/* No live peer (or it just ended): this session starts the user's tmpfs. */
			if (tree < 0)
				tree = new_tmpfs(p, err, errlen);
			break;
		case CONF_PRIV_SESSION:
			tree = new_tmpfs(p, err, errlen);
			break;
		case CONF_PRIV_PERSISTENT:
			tree = persistent_dir(p, s->req->uid, err, errlen);
			break;
		}
		if (tree < 0)
			return tree;
		r = attach(tree, p->path, err, errlen);
		close(tree);
		if (r < 0)
			return r;
	}
	if (s->clone_ns & CLONE_NEWPID) {
		r = kernel_fs("proc", "/proc", false, err, errlen);
		if (r < 0)
			return r;
	}
	if (s->clone_ns & CLONE_NEWIPC) {
		r = kernel_fs("mqueue", "/dev/mqueue", true, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}
