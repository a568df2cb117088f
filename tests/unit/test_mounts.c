/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for helper/mounts.c's reading of mountinfo (octal escapes, optional fields,
 * malformed lines) and for is_our_tmpfs(), the check that a peer session's `user` directory
 * is the whole tmpfs nsisolate made: devtmpfs and other tmpfs report the same magic number.
 * The positive cases mount in a user and mount namespace of a child's own; where the kernel
 * refuses those (a chroot, or turned off), they skip.
 */
#include "../../helper/mounts.c"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/wait.h>

/* The helper's die() (helper/main.c) answers the module; nothing here may reach it. */
void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

static void
test_unescape(void **state)
{
	char a[] = "/srv/a\\040b\\011c\\134d\\012e", b[] = "\\8\\400\\04x\\", c[] = "";

	(void)state;
	assert_string_equal(unescape(a), "/srv/a b\tc\\d\ne");
	/* Not an escape the kernel writes: left as it is. */
	assert_string_equal(unescape(b), "\\8\\400\\04x\\");
	assert_string_equal(unescape(c), "");
}

static void
test_parse(void **state)
{
	char line[] = "36 35 98:3 /sub\\040dir /mnt\\040two rw,noatime master:1 shared:2 - tmpfs "
		      "nsi\\040x rw,size=4k";
	char none[] = "36 35 98:0 / /mnt rw - proc proc rw";
	char no_dash[] = "36 35 98:0 / /mnt rw shared:1 tmpfs x rw";
	char short_[] = "36 35 98:0 / /mnt";
	char bad_dev[] = "36 35 98 / /mnt rw - proc proc rw";
	char bad_id[] = "x 35 98:0 / /mnt rw - proc proc rw";
	struct mnt m;

	(void)state;
	assert_int_equal(mnt_parse(line, &m), 0);
	assert_int_equal(m.id, 36);
	assert_int_equal(m.parent, 35);
	assert_true(m.dev == makedev(98, 3));
	assert_string_equal(m.root, "/sub dir");
	assert_string_equal(m.point, "/mnt two");
	assert_string_equal(m.fstype, "tmpfs");
	assert_string_equal(m.source, "nsi x");
	assert_int_equal(mnt_parse(none, &m), 0);
	assert_string_equal(m.fstype, "proc");
	assert_int_equal(mnt_parse(no_dash, &m), -EBADMSG);
	assert_int_equal(mnt_parse(short_, &m), -EBADMSG);
	assert_int_equal(mnt_parse(bad_dev, &m), -EBADMSG);
	assert_int_equal(mnt_parse(bad_id, &m), -EBADMSG);
}

/* Our own mountinfo, read whole: "/" is in it, and every line parsed. */
static void
test_read_self(void **state)
{
	_cleanup_(mnt_table_free) struct mnt_table t = {0};
	_cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool root = false;

	(void)state;
	assert_true(proc >= 0);
	assert_int_equal(mnt_table_read(proc, &t), 0);
	assert_true(t.n > 0);
	for (size_t i = 0; i < t.n; i++)
		root = root || strcmp(t.v[i].point, "/") == 0;
	assert_true(root);
}

static bool
ours_through(int proc, const char *path)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return proc >= 0 && fd >= 0 && is_our_tmpfs(proc, fd);
}

static bool
our_tmpfs_at(const char *path)
{
	_cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);

	return ours_through(proc, path);
}

/* A new tmpfs with that source on `path`. */
static int
tmpfs_on(const char *source, const char *path)
{
	_cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1;

	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0 ||
	    move_mount(m, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -1;
	return 0;
}

/* The magic number alone would take each of these; none is a tmpfs of ours. */
static void
test_not_ours(void **state)
{
	struct statfs sfs;

	(void)state;
	if (statfs("/dev", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
		assert_false(our_tmpfs_at("/dev")); /* devtmpfs */
	if (statfs("/dev/shm", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
		assert_false(our_tmpfs_at("/dev/shm")); /* source "tmpfs", or "shm" */
	assert_false(our_tmpfs_at("/proc"));
	assert_false(our_tmpfs_at("/"));
}

static int _printf_(2, 3) write_file(const char *path, const char *fmt, ...)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fd < 0 || n < 0 || (size_t)n >= sizeof(buf) || write(fd, buf, (size_t)n) != n)
		return -1;
	return 0;
}

/*
 * As PID 1 checks a chrooted peer (a login program chrooted into a root bound onto itself):
 * chrooted there, with a procfs opened outside, whose mountinfo is then relative to the
 * chroot.  The chroot's /tmp, a tmpfs of ours, is ours; the chroot's root is not, nor
 * another tmpfs planted on that /tmp.
 */
static int
chrooted_cases(const char *dir)
{
	_cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char root[PATH_MAX], tmp[PATH_MAX];
	int tree;

	(void)xsnprintf(root, sizeof(root), "%s/root", dir);
	(void)xsnprintf(tmp, sizeof(tmp), "%s/root/tmp", dir);
	if (proc < 0 || mkdir(root, 0755) < 0 || mkdir(tmp, 01777) < 0)
		return 20;
	tree = open_tree(AT_FDCWD, root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0 || move_mount(tree, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return 21;
	close(tree);
	if (tmpfs_on("nsisolate", tmp) < 0)
		return 22;
	if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return 23;
	if (!ours_through(proc, "/tmp"))
		return 24;
	if (ours_through(proc, "/"))
		return 25;
	if (tmpfs_on("nsitest-fake", "/tmp") < 0)
		return 26;
	if (ours_through(proc, "/tmp"))
		return 27;
	return 0;
}

/*
 * In a child, in a user and mount namespace of its own: a tmpfs with source "nsisolate" is
 * ours at its root; a directory in it is not, nor a bind of that directory, nor a tmpfs of
 * another source.  Exit 77: no namespaces here.
 */
static int
child_cases(const char *dir)
{
	char sub[PATH_MAX], bind[PATH_MAX];
	int tree;

	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return 77;
	/* Mapped, or nothing can be created in the tmpfs (an unmapped owner). */
	if (write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", "0 %u 1", (unsigned)uid) < 0 ||
	    write_file("/proc/self/gid_map", "0 %u 1", (unsigned)gid) < 0)
		return 9;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 10;
	for (int ours = 0; ours < 2; ours++) {
		if (tmpfs_on(ours ? "nsisolate" : "tmpfs", dir) < 0)
			return 11;
		if (our_tmpfs_at(dir) != (ours == 1))
			return 12 + ours;
	}
	(void)xsnprintf(sub, sizeof(sub), "%s/sub", dir);
	(void)xsnprintf(bind, sizeof(bind), "%s/bind", dir);
	if (mkdir(sub, 0755) < 0 || mkdir(bind, 0755) < 0)
		return 14;
	if (our_tmpfs_at(sub))
		return 15;
	tree = open_tree(AT_FDCWD, sub, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0 || move_mount(tree, "", AT_FDCWD, bind, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return 16;
	if (our_tmpfs_at(bind))
		return 17;
	return chrooted_cases(dir);
}

static void
test_ours_and_binds(void **state)
{
	char dir[] = "/tmp/nsi-test-mounts-XXXXXX";
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_cases(dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	(void)rmdir(dir);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unescape),       cmocka_unit_test(test_parse),
		cmocka_unit_test(test_read_self),      cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_ours_and_binds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
