/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PID 1's privileged setup: the mounts.  Every target is opened by safe_open_dir() (no symlink
 * followed, every component root's) and mounted on by fd with the new mount API, so what was
 * checked is what gets covered.  Every private mount is nosuid,nodev.  A fresh /proc, and no
 * other procfs of the host left in the session.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "../common/safepath.h"
#include "../conf/values.h"
#include "helper.h"

static unsigned
attrs(const struct plan_private *p)
{
	return MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (p->noexec ? MOUNT_ATTR_NOEXEC : 0);
}

/* One line of a mountinfo file (proc(5)); the strings point into the table's buffer. */
struct mnt {
	uint64_t id, parent;
	dev_t dev;
	char *root, *point, *fstype, *source;
};

struct mnt_table {
	char *buf;
	struct mnt *v;
	size_t n;
};

static void
mnt_table_free(struct mnt_table *t)
{
	free(t->buf);
	free(t->v);
}

/*
 * The kernel writes a space, tab, newline or backslash in a path or name as \ooo: a mount point
 * "/srv/a b" is "/srv/a\040b".  Decoded in place (never longer than the text).
 */
static char *
unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r; w++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w = *r++;
		}
	}
	*w = '\0';
	return s;
}

/* "id parent major:minor root point options [optional fields...] - fstype source options" */
static int
mnt_parse(char *line, struct mnt *m)
{
	char *f[6], *dash, *minor;
	uint64_t maj, min;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (!(f[i] = strsep(&line, " ")))
			return -EBADMSG;
	do
		dash = strsep(&line, " ");
	while (dash && strcmp(dash, "-") != 0);
	m->fstype = strsep(&line, " ");
	m->source = strsep(&line, " ");
	minor = strchr(f[2], ':');
	if (!dash || !m->source || !minor)
		return -EBADMSG;
	*minor++ = '\0';
	if (parse_uint(f[0], UINT64_MAX, &m->id) < 0 ||
	    parse_uint(f[1], UINT64_MAX, &m->parent) < 0 ||
	    parse_uint(f[2], UINT32_MAX, &maj) < 0 || parse_uint(minor, UINT32_MAX, &min) < 0)
		return -EBADMSG;
	m->dev = makedev(maj, min);
	m->root = unescape(f[3]);
	m->point = unescape(f[4]);
	unescape(m->fstype);
	unescape(m->source);
	return 0;
}

/*
 * The mountinfo of the mount namespace and root we are in when this is called (the kernel
 * takes both at open), through `proc`, a procfs that shows us.  Whole, however long.
 */
static int
mnt_table_read(int proc, struct mnt_table *t)
{
	_cleanup_close_ int fd = openat(proc, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	size_t len = 0, size = 0, lines = 0;
	char *line, *rest;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (size - len < 4096) {
			char *b;

			if (size >= 64 << 20)
				return -EFBIG;
			size = size ? 2 * size : 65536;
			b = realloc(t->buf, size);
			if (!b)
				return -ENOMEM;
			t->buf = b;
		}
		n = read(fd, t->buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	t->buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		lines += t->buf[i] == '\n';
	t->v = calloc(lines + 1, sizeof(*t->v));
	if (!t->v)
		return -ENOMEM;
	for (rest = t->buf; (line = strsep(&rest, "\n"));)
		if (*line && mnt_parse(line, &t->v[t->n++]) < 0)
			return -EBADMSG;
	return 0;
}

static const struct mnt *
mnt_find(const struct mnt_table *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return &t->v[i];
	return NULL;
}

/* The id of the mount whose root `fd` is, or 0 if it is not the root of a mount. */
static uint64_t
mount_root_id(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID) || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return 0;
	return stx.stx_mnt_id;
}

/* A detached tmpfs ("nsisolate" in /proc/self/mountinfo) with the rule's options. */
static int
new_tmpfs(const struct plan_private *p)
{
	_cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	char mode[8], inodes[24];
	int m;

	if (fs < 0)
		die("fsopen tmpfs: %s", strerror(errno));
	(void)xsnprintf(mode, sizeof(mode), "%o", (unsigned)p->mode);
	(void)xsnprintf(inodes, sizeof(inodes), "%" PRIu64, p->nr_inodes);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "nsisolate", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
	    (p->size[0] && fsconfig(fs, FSCONFIG_SET_STRING, "size", p->size, 0) < 0) ||
	    (p->nr_inodes && fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die("tmpfs for '%s': %s", p->path, strerror(errno));
	m = fsmount(fs, FSMOUNT_CLOEXEC, attrs(p));
	if (m < 0)
		die("tmpfs for '%s': %s", p->path, strerror(errno));
	return m;
}

/*
 * The tmpfs a live session of the same user has at p->path: entered through that session's
 * mount namespace and cloned, so both see one file system, which the kernel frees when the
 * last session holding it ends.  No host mount, nothing to clean up.
 */
/*
 * setns(CLONE_NEWNS) puts us at the root of the namespace joined (setns(2)); PID 1's root
 * may be a chroot below it (a chrooted login program).  Into `root` as the root.
 */
static int
enter_root(int root)
{
	return fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0 ? -errno : 0;
}

/*
 * Only ever share what we made: `fd` must be the root of a whole tmpfs that nsisolate mounted
 * (source "nsisolate").  The tmpfs magic number is not enough: devtmpfs reports it too, and so
 * does any tmpfs of the host's, or a bind of a directory inside ours, that could be found at
 * the path.  The mount's id (statx) is looked up in the mountinfo of the namespace we are in:
 * the peer's.  Our fd holds the mount, so its id cannot be reused meanwhile.
 */
static bool
is_our_tmpfs(int proc, int fd)
{
	_cleanup_(mnt_table_free) struct mnt_table t = {0};
	uint64_t id = mount_root_id(fd);
	const struct mnt *m;

	if (id == 0 || mnt_table_read(proc, &t) < 0 || !(m = mnt_find(&t, id)))
		return false;
	return strcmp(m->fstype, "tmpfs") == 0 && strcmp(m->source, "nsisolate") == 0 &&
	       strcmp(m->root, "/") == 0;
}

/* Our mount namespace, root and a procfs that shows us: where PID 1 returns from a peer's. */
struct home {
	int ns, root, proc;
};

static int
peer_tmpfs(const struct session *s, size_t i, const struct home *home, const struct plan_private *p)
{
	_cleanup_close_ int src = -1;
	char err[PATH_MAX + 64];
	struct mount_attr attr = {.attr_set = attrs(p),
				  .attr_clr = p->noexec ? 0 : MOUNT_ATTR_NOEXEC};
	int tree = -1, r = 0;

	if (setns(s->peer_mnt_fd[i], CLONE_NEWNS) < 0)
		return -errno;
	/* The directory where the peer's PID 1 mounted it: below the peer's own root. */
	r = enter_root(s->peer_root_fd[i]);
	if (r == 0)
		src = safe_open_dir(p->path, err, sizeof(err));
	if (r < 0 || src < 0)
		r = r < 0 ? r : src;
	/* Root's all the way (safe_open_dir), and the whole tmpfs of a session. */
	else if (!is_our_tmpfs(home->proc, src))
		r = -EXDEV;
	else if ((tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)) <
		 0)
		r = -errno;
	/* Back home, or PID 1 would build the session in someone else's namespace. */
	if (setns(home->ns, CLONE_NEWNS) < 0 || enter_root(home->root) < 0)
		die("cannot return to the session's mount namespace: %s", strerror(errno));
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
persistent_dir(const struct plan_private *p, uid_t uid)
{
	_cleanup_close_ int state = -1, user = -1, leaf = -1, rd = -1;
	char name[NAME_MAX + 1], uidname[16], shown[PATH_MAX], err[PATH_MAX + 64];
	struct mount_attr attr = {.attr_set = attrs(p)};
	struct stat st;
	int tree;

	if (conf_escape_path(p->path, name, sizeof(name)) < 0)
		die("'%s' cannot be a persistent directory name", p->path);
	(void)xsnprintf(uidname, sizeof(uidname), "%u", (unsigned)uid);
	(void)xsnprintf(shown, sizeof(shown), "%s/%s", NSI_STATE_DIR, uidname);
	state = safe_state_dir(NSI_STATE_DIR, err, sizeof(err));
	if (state < 0)
		die("%s", err);
	user = safe_private_dir(state, NSI_STATE_DIR, uidname, err, sizeof(err));
	if (user < 0)
		die("%s", err);
	/* Never follow: the user owns what is inside, but not this directory itself. */
	leaf = safe_open_below(user, shown, name, err, sizeof(err));
	if (leaf == -ENOENT) { /* the user's first login with it */
		if (mkdirat(user, name, p->mode) < 0 && errno != EEXIST)
			die("cannot create '%s/%s': %s", shown, name, strerror(errno));
		leaf = safe_open_below(user, shown, name, err, sizeof(err));
	}
	if (leaf < 0)
		die("%s", err);
	rd = openat(leaf, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Only when it differs: a chmod is a journaled inode update, at every login. */
	if (rd < 0 || fstat(rd, &st) < 0 ||
	    ((st.st_mode & 07777) != p->mode && fchmod(rd, p->mode) < 0))
		die("cannot set the mode of '%s/%s': %s", shown, name, strerror(errno));
	tree = open_tree(leaf, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		die("cannot bind '%s/%s': %s", shown, name, strerror(errno));
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die("cannot make '%s/%s' nosuid,nodev: %s", shown, name, strerror(errno));
	return tree;
}

/* `tree` onto `path`, every component of which is root's and no symlink (safe_open_dir). */
static void
attach(int tree, const char *path)
{
	char err[PATH_MAX + 64];
	_cleanup_close_ int target = safe_open_dir(path, err, sizeof(err));

	if (target < 0)
		die("%s", err);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die("cannot mount on '%s': %s", path, strerror(errno));
}

/*
 * A fresh instance of a kernel file system (proc, mqueue) on a root-owned directory; an fd of
 * the mount in *ret_mnt if asked for.
 */
static void
kernel_fs(const char *type, const char *path, bool optional, int *ret_mnt)
{
	_cleanup_close_ int fs = -1, m = -1;
	struct stat st;

	if (optional && stat(path, &st) < 0)
		return;
	fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", "nsisolate", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die("%s: %s", type, strerror(errno));
	m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0)
		die("%s: %s", type, strerror(errno));
	attach(m, path);
	if (ret_mnt)
		*ret_mnt = steal_fd(m);
}

/*
 * Is `m` out of reach: is it, or a mount it lies in, covered by a mount on its very root?
 * Then everything in it is reached only through that root, which now leads elsewhere, and a
 * rename anywhere cannot change that: the covering mount moves with what it covers.
 */
static bool
covered(const struct mnt_table *t, const struct mnt *m)
{
	uint64_t from = 0; /* the mount we came up from is on the way, not over it */

	for (size_t depth = 0; m && depth < t->n; depth++) {
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].parent == m->id && t->v[i].id != m->id && t->v[i].id != from &&
			    strcmp(t->v[i].point, m->point) == 0)
				return true;
		from = m->id;
		m = mnt_find(t, m->parent);
	}
	return false;
}

/*
 * Detach `m` from the session's namespace, if its mount point still leads to it: opened
 * without following any symlink, the fd must be the root of that very mount (an id held by our
 * fd cannot be reused meanwhile).  -ESTALE if it is not there (moved, or hidden some other
 * way).  umount2() takes a path: our fd's, through our own fresh /proc.
 */
static int
detach_procfs(const struct mnt *m)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, AT_FDCWD, m->point, &how, sizeof(how));
	char self[64];

	if (fd < 0 || mount_root_id(fd) != m->id)
		return -ESTALE;
	(void)xsnprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	return umount2(self, MNT_DETACH) < 0 ? -errno : 0;
}

/*
 * Every procfs of the host in the session's mount namespace but /proc (a chroot's /proc, the
 * one schroot made...) would show the host's processes: each is detached.  Not overmounted:
 * detaching takes its submounts along, works alike for a directory, a file or a bind of one
 * pid's directory, and leaves nothing of the host's procfs in the namespace to reveal or to
 * receive propagation; a chroot's /proc is then an empty directory, which nobody in the
 * session can chroot into anyway.  Not refused either: one schroot session on the host would
 * refuse every login.
 *
 * After our fresh /proc is on /proc: the host's /proc under it, and what lies in it, are then
 * covered (detaching the host's /proc would detach ours with it), and our /proc shows our
 * own mountinfo and fds.  Before the private directories: a procfs of the host's below one of
 * those (/tmp/x/proc) could never be reached again to detach it, yet a rename on the host
 * (/tmp/x to /home/u/x) would bring it back into view.  The mountinfo is relative to our root
 * (a chrooted login program's), like everything the session's users can reach.
 *
 * Until a pass finds nothing left: what was under a detached procfs is uncovered, and a user
 * renaming a directory above a procfs between our read and our open makes us read again.  What
 * can be neither reached nor proved covered refuses the session.
 */
static void
detach_host_procfs(int proc)
{
	char shown[128] = "";
	struct stat ours;

	if (fstat(proc, &ours) < 0)
		die("cannot stat our /proc: %s", strerror(errno));
	for (int pass = 0; pass < 16; pass++) {
		_cleanup_(mnt_table_free) struct mnt_table t = {0};
		bool again = false;
		int r = mnt_table_read(proc, &t);

		if (r < 0)
			die("cannot read our mountinfo: %s", strerror(-r));
		for (size_t i = 0; i < t.n; i++) {
			const struct mnt *m = &t.v[i];

			/* Only ours shows the session's processes; clones of it share its device. */
			if (strcmp(m->fstype, "proc") != 0 || m->dev == ours.st_dev ||
			    covered(&t, m))
				continue;
			r = detach_procfs(m);
			if (r < 0 && r != -ESTALE)
				die("cannot detach the procfs on '%s': %s",
				    log_safe(m->point, shown, sizeof(shown)), strerror(-r));
			if (r == -ESTALE)
				(void)log_safe(m->point, shown, sizeof(shown));
			again = true;
		}
		if (!again)
			return;
	}
	die("a procfs of the host on '%s' cannot be reached to detach it", shown);
}

/*
 * systemd's private socket, /run/systemd/private, is where systemctl run by root goes first.
 * systemd and systemctl check each other's credentials there, and a peer outside our PID
 * namespace has no pid in it: "Failed to connect to bus: No data available", with no
 * fallback, so `sudo systemctl` would fail in every session.  Covered (by /dev/null, read
 * only), the socket refuses the connection, and systemctl goes through the system D-Bus,
 * which works from any PID namespace.  Only root's socket in root's directory is covered;
 * a host without systemd has neither.
 */
static void
mask_systemd_private(void)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	_cleanup_close_ int dir = -1, sock = -1, tree = -1;
	char err[PATH_MAX + 64];
	struct stat st;

	if (stat("/run/systemd/private", &st) < 0)
		return;
	dir = safe_open_dir("/run/systemd", err, sizeof(err));
	if (dir < 0)
		die("%s", err);
	sock = openat(dir, "private", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (sock < 0 || fstat(sock, &st) < 0)
		die("cannot open /run/systemd/private: %s", strerror(errno));
	if (!S_ISSOCK(st.st_mode) || st.st_uid != 0)
		return;
	tree = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(tree, "", sock, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die("cannot cover /run/systemd/private: %s", strerror(errno));
}

/* Dies on any failure: a session without every mount it was promised must not open. */
void
mounts_apply(struct session *s)
{
	_cleanup_close_ int self_ns = -1, self_root = -1, proc = -1;
	struct home home;

	if (!(s->clone_ns & CLONE_NEWNS))
		return;
	/*
	 * Before any mount: nothing mounted here may propagate back into the host, where it
	 * would stay after the session, over the host's /proc and /tmp (docs/kernel-facts.md,
	 * 'Mount propagation').  Slave, not private, so that what the
	 * host mounts later still shows up inside.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		die("cannot make / a slave mount: %s%s", strerror(errno),
		    errno == EINVAL ? " (a login program chrooted into a directory that is "
				      "not a mount point? bind-mount it onto itself first)"
				    : "");
	self_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	self_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (self_ns < 0 || self_root < 0)
		die("cannot open our mount namespace or root: %s", strerror(errno));
	if (s->clone_ns & CLONE_NEWPID) {
		kernel_fs("proc", "/proc", false, &proc);
		detach_host_procfs(proc);
		mask_systemd_private();
	} else {
		/* The login program's: it shows us too (is_our_tmpfs reads our mountinfo there). */
		proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (proc < 0)
			die("cannot open /proc: %s", strerror(errno));
	}
	home = (struct home){self_ns, self_root, proc};

	for (size_t i = 0; i < s->plan->n_private; i++) {
		const struct plan_private *p = &s->plan->private[i];
		_cleanup_close_ int tree = -1;

		switch (p->type) {
		case CONF_PRIV_USER:
			if (s->peer_mnt_fd[i] >= 0)
				tree = peer_tmpfs(s, i, &home, p);
			/* No live peer (or it just ended): this session starts the user's tmpfs. */
			if (tree < 0)
				tree = new_tmpfs(p);
			break;
		case CONF_PRIV_SESSION:
			tree = new_tmpfs(p);
			break;
		case CONF_PRIV_PERSISTENT:
			tree = persistent_dir(p, s->req->uid);
			break;
		}
		attach(tree, p->path);
	}
	if (s->clone_ns & CLONE_NEWIPC)
		kernel_fs("mqueue", "/dev/mqueue", true, NULL);
}
