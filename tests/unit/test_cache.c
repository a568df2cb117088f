/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/cache.c: a cached parse stands in for the file only while the file
 * holds the very text that was parsed, and the cache directory does not keep what an
 * interrupted writer left behind.
 *
 * Entries are believed only when root's, so most cases need root.  A file system whose clock
 * is coarse (before Linux 6.13, timestamps move once a tick) is simulated by this program's
 * own fstat(), which every object linked into it calls instead of libc's: for the one file
 * it is told about, it reports the times it saw first, as such a file system would for a
 * rewrite within the same tick.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "../../conf/cache.h"
#include "../../conf/store.h"
#include "conf_test.h"
#include "tmpdir.h"

static struct {
	bool on;
	dev_t dev;
	ino_t ino;
	struct timespec mtim, ctim;
} frozen;

int
fstat(int fd, struct stat *st)
{
	if (fstatat(fd, "", st, AT_EMPTY_PATH) < 0)
		return -1;
	if (frozen.on && st->st_dev == frozen.dev && st->st_ino == frozen.ino) {
		st->st_mtim = frozen.mtim;
		st->st_ctim = frozen.ctim;
	}
	return 0;
}

static void
freeze_times(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	frozen.dev = st.st_dev;
	frozen.ino = st.st_ino;
	frozen.mtim = st.st_mtim;
	frozen.ctim = st.st_ctim;
	frozen.on = true;
}

static int
cache_setup(void **state)
{
	frozen.on = false;
	return tmpdir_setup(state);
}

static int
open_cache_dir(struct tmpdir *t)
{
	int fd;

	assert_int_equal(tmp_mkdir(t, "cache", 0700), 0);
	fd = open(tmp_path(t, "cache"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* Load `rel` through the cache; *ret_hit says whether the entry was used. */
static struct conf *
load_cached(struct tmpdir *t, const char *rel, int dirfd, bool *ret_hit)
{
	struct conf_diags d;
	struct conf *c = NULL;
	const char *path = tmp_path(t, rel);

	assert_int_equal(conf_diags_init(&d, path), 0);
	if (conf_load_cached(path, getuid(), dirfd, &c, &d) != 0) {
		dump_diags(&d);
		fail_msg("conf_load_cached('%s') failed", path);
	}
	conf_diags_free(&d);
	assert_non_null(c);
	*ret_hit = c->map != NULL;
	return c;
}

/* Overwrite the file in place: same inode, same size. */
static void
rewrite(struct tmpdir *t, const char *rel, const char *text)
{
	int fd = open(tmp_path(t, rel), O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	close(fd);
}

static unsigned
kill_timeout_of(const struct conf *c)
{
	struct plan p;

	resolve_ok(c, "alice", 1000, &p);
	return p.kill_timeout;
}

static void
test_hit(void **state)
{
	struct tmpdir *t = *state;
	struct conf *c;
	bool hit;
	int dirfd;

	if (geteuid() != 0)
		skip();
	dirfd = open_cache_dir(t);
	assert_int_equal(tmp_write(t, "c.conf", "kill_timeout = 7\n", 17, 0644), 0);
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_false(hit);
	assert_int_equal(kill_timeout_of(c), 7);
	conf_free(c);
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_true(hit);
	assert_int_equal(kill_timeout_of(c), 7);
	conf_free(c);
	/* Changed in place, same size: parsed again. */
	rewrite(t, "c.conf", "kill_timeout = 8\n");
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_false(hit);
	assert_int_equal(kill_timeout_of(c), 8);
	conf_free(c);
	close(dirfd);
}

/*
 * The bug this guards against: a same-size rewrite in the same clock tick as the parse kept
 * device, inode, size, mtime and ctime, and the stale entry was used (with every login
 * getting the old policy) until the file changed again.
 */
static void
test_same_stat_new_text(void **state)
{
	struct tmpdir *t = *state;
	struct conf *c;
	bool hit;
	int dirfd;

	if (geteuid() != 0)
		skip();
	dirfd = open_cache_dir(t);
	assert_int_equal(tmp_write(t, "c.conf", "kill_timeout = 7\n", 17, 0644), 0);
	freeze_times(tmp_path(t, "c.conf"));
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_int_equal(kill_timeout_of(c), 7);
	conf_free(c);
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_true(hit);
	conf_free(c);

	rewrite(t, "c.conf", "kill_timeout = 8\n");
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_int_equal(kill_timeout_of(c), 8);
	conf_free(c);
	/* Back to the first text: whichever entry is there, the answer is the file's. */
	rewrite(t, "c.conf", "kill_timeout = 7\n");
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_int_equal(kill_timeout_of(c), 7);
	conf_free(c);
	close(dirfd);
}

/* exempt_services is part of the cached table: a mapped entry answers like a fresh parse. */
static void
test_exempt_services(void **state)
{
	static const char text[] = "exempt_services = {\"cron\", \"atd\"}\n";
	struct tmpdir *t = *state;
	struct identity id = {.name = "alice", .uid = 1000, .gid = 1000, .service = "atd"};
	char err[256];
	struct conf *c;
	struct plan p;
	unsigned line;
	bool hit;
	int dirfd;

	if (geteuid() != 0)
		skip();
	dirfd = open_cache_dir(t);
	assert_int_equal(tmp_write(t, "c.conf", text, strlen(text), 0644), 0);
	for (int i = 0; i < 2; i++) {
		c = load_cached(t, "c.conf", dirfd, &hit);
		assert_int_equal(hit, i == 1);
		assert_int_equal(conf_exempt_services(c, &line), 2);
		assert_int_equal(line, 1);
		assert_string_equal(conf_exempt_service(c, 0), "atd");
		assert_string_equal(conf_exempt_service(c, 1), "cron");
		assert_true(conf_service_exempt(c, "cron"));
		assert_false(conf_service_exempt(c, "sshd"));
		assert_int_equal(conf_resolve(c, &id, "box", &p, err, sizeof(err)), 0);
		assert_int_equal(p.verdict, PLAN_EXEMPT);
		assert_string_equal(p.why, "service 'atd' is in exempt_services (line 1)");
		conf_free(c);
	}
	close(dirfd);
}

/*
 * An entry written by an older helper, whose table has another layout (before
 * exempt_services, say), is never mapped: it is parsed again and replaced.
 */
static void
test_old_format_entry(void **state)
{
	static const char text[] = "exempt_services = {\"cron\"}\n";
	struct tmpdir *t = *state;
	char name[64], path[PATH_MAX];
	uint32_t old = CONF_VERSION - 1;
	struct conf *c;
	bool hit;
	int dirfd, fd;

	if (geteuid() != 0)
		skip();
	dirfd = open_cache_dir(t);
	assert_int_equal(tmp_write(t, "c.conf", text, strlen(text), 0644), 0);
	c = load_cached(t, "c.conf", dirfd, &hit);
	conf_free(c);
	/* The one entry there is, its version field (after the 8-byte magic) set back by one. */
	{
		DIR *d = fdopendir(dup(dirfd));
		struct dirent *de;

		assert_non_null(d);
		name[0] = '\0';
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				assert_int_equal(xsnprintf(name, sizeof(name), "%s", de->d_name),
						 0);
		closedir(d);
	}
	assert_true(name[0] != '\0');
	assert_int_equal(xsnprintf(path, sizeof(path), "%s/%s", tmp_path(t, "cache"), name), 0);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &old, sizeof(old), 8), (ssize_t)sizeof(old));
	close(fd);
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_false(hit);
	assert_true(conf_service_exempt(c, "cron"));
	conf_free(c);
	c = load_cached(t, "c.conf", dirfd, &hit);
	assert_true(hit);
	conf_free(c);
	close(dirfd);
}

static bool
exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
make_temp(int dirfd, const char *name, time_t age)
{
	struct timespec times[2];
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "NSI", 3), 3);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &times[0]), 0);
	times[0].tv_sec -= age;
	times[1] = times[0];
	assert_int_equal(futimens(fd, times), 0);
	close(fd);
}

/*
 * A writer killed between creating its temporary file and renaming it into place leaves
 * ".<entry>.<pid>" behind; writing any entry later removes such files once they are old
 * enough that no writer can still be at work on them, and leaves young ones alone.
 */
static void
test_prune_stale_temp(void **state)
{
	struct tmpdir *t = *state;
	int dirfd = open_cache_dir(t);
	char mine[64];
	struct conf *c;
	bool hit;

	assert_int_equal(xsnprintf(mine, sizeof(mine), ".00000000000000ab.conf.%d", (int)getpid()),
			 0);
	make_temp(dirfd, ".00000000000000aa.conf.4194304", 3600);
	make_temp(dirfd, ".00000000000000ac.conf.1", 24 * 3600);
	make_temp(dirfd, mine, 0);
	assert_int_equal(tmp_write(t, "c.conf", "kill_timeout = 7\n", 17, 0644), 0);
	c = load_cached(t, "c.conf", dirfd, &hit);
	conf_free(c);
	assert_false(exists_at(dirfd, ".00000000000000aa.conf.4194304"));
	assert_false(exists_at(dirfd, ".00000000000000ac.conf.1"));
	assert_true(exists_at(dirfd, mine));
	close(dirfd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, cache_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hit),
		T(test_same_stat_new_text),
		T(test_prune_stale_temp),
		T(test_exempt_services),
		T(test_old_format_entry),
	};

	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
