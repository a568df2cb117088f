/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/safepath.c: safe_open_dir() walks a path from "/" one component at a
 * time, following no symlink, and insists on directories owned by root whose parents nobody
 * else may write to (unless sticky).  The scratch tree is made under /var/tmp; it is root's
 * only when we are root, so most tests skip otherwise.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "../../common/safepath.h"
#include "tmpdir.h"

#define assert_walk_refused(path, errno_, msg) check_refused(path, errno_, msg, __FILE__, __LINE__)
static void
check_refused(const char *path, int want, const char *msg, const char *file, int at)
{
	char err[PATH_MAX + 128] = "";
	int fd_before = next_fd();
	int r = safe_open_dir(path, err, sizeof(err));

	if (r >= 0)
		close(r);
	if (r == want && strstr(err, msg) && next_fd() == fd_before)
		return;
	print_error("safe_open_dir('%s'): expected %d and \"%s\"; got %d and \"%s\" (fd %d, %d)\n",
		    path, want, msg, r, err, next_fd(), fd_before);
	_fail(file, at);
}

/* Opened, and the fd is the directory at `path`: same device and inode. */
#define assert_walk_ok(path) check_ok(path, __FILE__, __LINE__)
static void
check_ok(const char *path, const char *file, int at)
{
	char err[PATH_MAX + 128] = "";
	struct stat a, b;
	int fd = safe_open_dir(path, err, sizeof(err));

	if (fd < 0) {
		print_error("safe_open_dir('%s') failed with %d: %s\n", path, fd, err);
		_fail(file, at);
	}
	/* O_PATH and close-on-exec: it can only be used to name the directory. */
	if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino || !(fcntl(fd, F_GETFL) & O_PATH) ||
	    !(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
		close(fd);
		print_error("safe_open_dir('%s') returned the wrong kind of fd\n", path);
		_fail(file, at);
	}
	close(fd);
}

static void
require_root(void)
{
	if (geteuid() != 0)
		skip();
}

static void
test_plain(void **state)
{
	struct tmpdir *t = *state;

	assert_walk_ok("/");
	assert_walk_ok("/var");
	require_root();
	assert_walk_ok(t->path);
	assert_int_equal(tmp_mkdir(t, "a", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "a/b", 0700), 0);
	assert_walk_ok(tmp_path(t, "a/b"));
	/* Doubled slashes name the same directory. */
	assert_walk_ok(tmp_path(t, "a//b"));
}

static void
test_bad_paths(void **state)
{
	char long_path[PATH_MAX + 16];

	assert_walk_refused("var/tmp", -EINVAL, "'var/tmp' is not an absolute path");
	assert_walk_refused("", -EINVAL, "is not an absolute path");
	assert_walk_refused("/var/./tmp", -EINVAL, "'/var/./tmp' is not canonical");
	assert_walk_refused("/var/tmp/..", -EINVAL, "is not canonical");
	assert_walk_refused("/var/../etc", -EINVAL, "is not canonical");
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	/* Longer than PATH_MAX: refused before any walking (the message is about the path). */
	assert_walk_refused(long_path, -ENAMETOOLONG, "is longer than 4095 bytes");
}

static void
test_missing(void **state)
{
	struct tmpdir *t = *state;
	char msg[PATH_MAX];

	assert_walk_refused("/nonexistent-nsisolate-test/x", -ENOENT,
			    "cannot open '/nonexistent-nsisolate-test': No such file or directory");
	require_root();
	assert_int_equal(xsnprintf(msg, sizeof(msg), "cannot open '%s': No such file or directory",
				   tmp_path(t, "gone")),
			 0);
	assert_walk_refused(tmp_path(t, "gone"), -ENOENT, msg);
	assert_walk_refused(tmp_path(t, "gone/deeper"), -ENOENT, msg);
}

static void
test_file_component(void **state)
{
	struct tmpdir *t = *state;
	char msg[PATH_MAX];

	assert_walk_refused("/etc/passwd", -ENOTDIR, "cannot open '/etc/passwd': Not a directory");
	require_root();
	assert_int_equal(tmp_write(t, "f", "x", 1, 0644), 0);
	assert_int_equal(
		xsnprintf(msg, sizeof(msg), "cannot open '%s': Not a directory", tmp_path(t, "f")),
		0);
	assert_walk_refused(tmp_path(t, "f"), -ENOTDIR, msg);
	assert_walk_refused(tmp_path(t, "f/x"), -ENOTDIR, msg);
}

static void
test_symlink(void **state)
{
	struct tmpdir *t = *state;
	char msg[PATH_MAX];

	require_root();
	assert_int_equal(tmp_mkdir(t, "real", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "real/x", 0755), 0);
	assert_int_equal(symlink("real", tmp_path(t, "link")), 0);
	assert_int_equal(symlink("/", tmp_path(t, "root")), 0);
	assert_int_equal(
		xsnprintf(msg, sizeof(msg), "'%s' is a symbolic link", tmp_path(t, "link")), 0);
	/* As the last component and in the middle, to a safe target or not. */
	assert_walk_refused(tmp_path(t, "link"), -ENOTDIR, msg);
	assert_walk_refused(tmp_path(t, "link/x"), -ENOTDIR, msg);
	assert_walk_refused(tmp_path(t, "root/var"), -ENOTDIR, "/root' is a symbolic link");
	assert_walk_ok(tmp_path(t, "real/x"));
}

static void
test_owner(void **state)
{
	struct tmpdir *t = *state;
	char msg[PATH_MAX];

	require_root();
	assert_int_equal(tmp_mkdir(t, "home", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "home/x", 0755), 0);
	assert_int_equal(chown(tmp_path(t, "home"), 65534, 65534), 0);
	assert_int_equal(xsnprintf(msg, sizeof(msg), "'%s' is owned by uid 65534, not root",
				   tmp_path(t, "home")),
			 0);
	assert_walk_refused(tmp_path(t, "home"), -EPERM, msg);
	/* Root's directory inside someone else's is no better: they can rename it away. */
	assert_walk_refused(tmp_path(t, "home/x"), -EPERM, msg);
	/* The owning group does not matter, nor does the owner of what is below. */
	assert_int_equal(chown(tmp_path(t, "home"), 0, 65534), 0);
	assert_walk_ok(tmp_path(t, "home/x"));
	assert_int_equal(chown(tmp_path(t, "home/x"), 1000, 0), 0);
	assert_walk_refused(tmp_path(t, "home/x"), -EPERM, "/home/x' is owned by uid 1000");
}

static void
test_writable_parent(void **state)
{
	struct tmpdir *t = *state;
	char msg[PATH_MAX];

	require_root();
	assert_int_equal(tmp_mkdir(t, "g", 0775), 0);
	assert_int_equal(tmp_mkdir(t, "g/c", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "o", 0757), 0);
	assert_int_equal(tmp_mkdir(t, "o/c", 0755), 0);
	assert_int_equal(xsnprintf(msg, sizeof(msg),
				   "'%s' is writable by group or others (mode 0775)",
				   tmp_path(t, "g")),
			 0);
	assert_walk_refused(tmp_path(t, "g/c"), -EPERM, msg);
	assert_walk_refused(tmp_path(t, "o/c"), -EPERM,
			    "/o' is writable by group or others (mode 0757)");
	/* The last component itself may be writable: it is what gets mounted over. */
	assert_walk_ok(tmp_path(t, "g"));
	assert_walk_ok(tmp_path(t, "o"));
}

static void
test_sticky_parent(void **state)
{
	struct tmpdir *t = *state;

	require_root();
	/* Like /tmp: world-writable but sticky, so nobody renames what they do not own. */
	assert_int_equal(tmp_mkdir(t, "tmp", 01777), 0);
	assert_int_equal(tmp_mkdir(t, "tmp/c", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "shared", 01770), 0);
	assert_int_equal(tmp_mkdir(t, "shared/c", 0755), 0);
	assert_walk_ok(tmp_path(t, "tmp/c"));
	assert_walk_ok(tmp_path(t, "shared/c"));
	/* The sticky bit does not excuse another owner. */
	assert_int_equal(chown(tmp_path(t, "tmp/c"), 65534, 0), 0);
	assert_walk_refused(tmp_path(t, "tmp/c"), -EPERM, "is owned by uid 65534, not root");
}

static void
test_open_below(void **state)
{
	struct tmpdir *t = *state;
	char err[PATH_MAX + 128];
	int dirfd, fd;

	require_root();
	assert_int_equal(tmp_mkdir(t, "d", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "d/ok", 0755), 0);
	assert_int_equal(symlink("ok", tmp_path(t, "d/ln")), 0);
	dirfd = safe_open_dir(tmp_path(t, "d"), err, sizeof(err));
	assert_true(dirfd >= 0);

	fd = safe_open_below(dirfd, tmp_path(t, "d"), "ok", err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	fd = safe_open_below(dirfd, tmp_path(t, "d"), "ln", err, sizeof(err));
	assert_int_equal(fd, -ENOTDIR);
	assert_non_null(strstr(err, "/d/ln' is a symbolic link"));
	fd = safe_open_below(dirfd, tmp_path(t, "d"), "none", err, sizeof(err));
	assert_int_equal(fd, -ENOENT);
	assert_non_null(strstr(err, "/d/none': No such file or directory"));

	/* The directory handed in is checked as a parent, whatever was true when it was opened. */
	assert_int_equal(chmod(tmp_path(t, "d"), 0777), 0);
	fd = safe_open_below(dirfd, tmp_path(t, "d"), "ok", err, sizeof(err));
	assert_int_equal(fd, -EPERM);
	assert_non_null(strstr(err, "/d' is writable by group or others (mode 0777)"));
	close(dirfd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plain),		 T(test_bad_paths),	T(test_missing),
		T(test_file_component),	 T(test_symlink),	T(test_owner),
		T(test_writable_parent), T(test_sticky_parent), T(test_open_below),
	};

	return cmocka_run_group_tests_name("safepath", tests, NULL, NULL);
}
