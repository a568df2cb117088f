/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/load.c: conf_load() opens the file only if it is safe to believe (a
 * regular file, not a symlink, owned by the expected user, writable by nobody else, in a
 * directory of the same kind, at most 4 MiB), and conf_check_targets() walks every private
 * target.  Files live in a mkdtemp directory; conf_load() is told to expect getuid().
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "conf_test.h"
#include "tmpdir.h"

static const char good[] = "# test\nnamespaces = {mount, ipc}\nuser \"alice\" { linger = true }\n";

struct loaded {
	int r;
	struct conf *c;
	struct conf_diags d;
};

static void
load(struct loaded *l, const char *path, uid_t owner)
{
	*l = (struct loaded){.r = 1};
	assert_int_equal(conf_diags_init(&l->d, path), 0);
	l->r = conf_load(path, owner, &l->c, &l->d);
}

static void
loaded_free(struct loaded *l)
{
	conf_free(l->c);
	conf_diags_free(&l->d);
}

/* Refused with `err` and exactly one message about the whole file containing `msg`. */
#define assert_load_refused(l, err, msg) check_refused(l, err, msg, __FILE__, __LINE__)
static void
check_refused(const struct loaded *l, int err, const char *msg, const char *file, int at)
{
	if (l->r == err && !l->c && l->d.n == 1 && l->d.v[0].line == 0 &&
	    strstr(l->d.v[0].msg, msg))
		return;
	print_error("expected %d and \"%s\"; got %d and:\n", err, msg, l->r);
	dump_diags(&l->d);
	_fail(file, at);
}

static void
test_load_ok(void **state)
{
	struct tmpdir *t = *state;
	static const mode_t modes[] = {0644, 0600, 0400, 0444, 0755};
	char name[16];
	struct loaded l;
	struct plan p;

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		assert_int_equal(xsnprintf(name, sizeof(name), "c%zu.conf", i), 0);
		assert_int_equal(tmp_write(t, name, good, sizeof(good) - 1, modes[i]), 0);
		load(&l, tmp_path(t, name), getuid());
		assert_int_equal(l.r, 0);
		assert_int_equal(l.d.n, 0);
		resolve_ok(l.c, "alice", 1000, &p);
		assert_int_equal(p.rule_kind, CONF_RULE_USER);
		assert_true(p.linger);
		assert_int_equal(p.namespaces, CONF_NS_MOUNT | CONF_NS_IPC);
		loaded_free(&l);
	}
}

static void
test_parse_error_in_file(void **state)
{
	struct tmpdir *t = *state;
	static const char text[] = "# c\r\n# d\r\nkill_timeout = soon # x\r\n";
	struct loaded l;
	char *out = NULL, want[256];
	size_t len = 0;
	FILE *f;

	assert_int_equal(tmp_write(t, "bad.conf", text, sizeof(text) - 1, 0644), 0);
	load(&l, tmp_path(t, "bad.conf"), getuid());
	assert_int_equal(l.r, -EINVAL);
	assert_null(l.c);
	assert_int_equal(l.d.n, 1);
	assert_int_equal(l.d.v[0].line, 3);
	/* Messages name the file that was opened. */
	f = open_memstream(&out, &len);
	assert_non_null(f);
	conf_diags_print(&l.d, f);
	fclose(f);
	assert_int_equal(
		xsnprintf(want, sizeof(want),
			  "%s:3: kill_timeout 'soon' is not a whole number of seconds from "
			  "0 to 3600\n",
			  tmp_path(t, "bad.conf")),
		0);
	assert_string_equal(out, want);
	free(out);
	loaded_free(&l);
}

static void
test_missing(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;

	load(&l, tmp_path(t, "nope.conf"), getuid());
	assert_load_refused(&l, -ENOENT, "cannot open: No such file or directory");
	loaded_free(&l);
	load(&l, tmp_path(t, "nodir/nope.conf"), getuid());
	assert_load_refused(&l, -ENOENT, "cannot open");
	loaded_free(&l);
}

static void
test_symlink(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;
	char target[PATH_MAX];

	/* Never followed, even to a perfectly good file next to it. */
	assert_int_equal(tmp_write(t, "real.conf", good, sizeof(good) - 1, 0644), 0);
	assert_int_equal(xsnprintf(target, sizeof(target), "%s", tmp_path(t, "real.conf")), 0);
	assert_int_equal(symlink(target, tmp_path(t, "link.conf")), 0);
	load(&l, tmp_path(t, "link.conf"), getuid());
	assert_load_refused(&l, -ELOOP, "is a symbolic link; refusing to follow it");
	loaded_free(&l);
	assert_int_equal(symlink("real.conf", tmp_path(t, "rel.conf")), 0);
	load(&l, tmp_path(t, "rel.conf"), getuid());
	assert_load_refused(&l, -ELOOP, "symbolic link");
	loaded_free(&l);
	assert_int_equal(symlink("/nonexistent", tmp_path(t, "dangling.conf")), 0);
	load(&l, tmp_path(t, "dangling.conf"), getuid());
	assert_load_refused(&l, -ELOOP, "symbolic link");
	loaded_free(&l);
}

static void
test_not_regular(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;
	int fd = next_fd();

	/* A FIFO must not hang the login: if open() waited for a writer, SIGALRM would end us. */
	assert_int_equal(mkfifo(tmp_path(t, "fifo.conf"), 0644), 0);
	alarm(10);
	load(&l, tmp_path(t, "fifo.conf"), getuid());
	alarm(0);
	assert_load_refused(&l, -EINVAL, "not a regular file");
	loaded_free(&l);

	assert_int_equal(tmp_mkdir(t, "dir.conf", 0755), 0);
	load(&l, tmp_path(t, "dir.conf"), getuid());
	assert_load_refused(&l, -EINVAL, "not a regular file");
	loaded_free(&l);

	load(&l, "/dev/null", 0);
	assert_load_refused(&l, -EINVAL, "not a regular file");
	loaded_free(&l);
	/* Every refusal closed what it opened. */
	assert_int_equal(next_fd(), fd);
}

static void
test_writable(void **state)
{
	static const struct {
		mode_t mode;
		const char *msg;
	} cases[] = {
		{0664, "writable by group or others (mode 0664)"},
		{0646, "writable by group or others (mode 0646)"},
		{0666, "writable by group or others (mode 0666)"},
		{0620, "writable by group or others (mode 0620)"},
		{01602, "writable by group or others (mode 1602)"},
	};
	struct tmpdir *t = *state;
	char name[16];
	struct loaded l;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(xsnprintf(name, sizeof(name), "w%zu.conf", i), 0);
		assert_int_equal(tmp_write(t, name, good, sizeof(good) - 1, cases[i].mode), 0);
		load(&l, tmp_path(t, name), getuid());
		assert_load_refused(&l, -EPERM, cases[i].msg);
		/* The message tells the administrator how to fix it. */
		assert_non_null(strstr(l.d.v[0].msg, "chmod go-w"));
		loaded_free(&l);
	}
}

static void
test_owner(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;
	char msg[64];

	assert_int_equal(tmp_write(t, "c.conf", good, sizeof(good) - 1, 0644), 0);
	load(&l, tmp_path(t, "c.conf"), getuid() + 1);
	assert_int_equal(xsnprintf(msg, sizeof(msg), "owned by uid %u, must be owned by the",
				   (unsigned)getuid()),
			 0);
	assert_load_refused(&l, -EPERM, msg);
	loaded_free(&l);

	if (geteuid() != 0)
		skip();
	/* A file given away to nobody is not root's to believe. */
	assert_int_equal(chown(tmp_path(t, "c.conf"), 65534, 65534), 0);
	load(&l, tmp_path(t, "c.conf"), 0);
	assert_load_refused(&l, -EPERM, "owned by uid 65534, must be owned by root");
	loaded_free(&l);
}

static void
test_size(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;
	char *buf = malloc(CONF_MAX_FILE_SIZE);
	int fd;

	/* Exactly 4 MiB is read whole; the parse sees nothing wrong. */
	assert_non_null(buf);
	memset(buf, '\n', CONF_MAX_FILE_SIZE);
	memcpy(buf, "linger = true", 13);
	assert_int_equal(tmp_write(t, "max.conf", buf, CONF_MAX_FILE_SIZE, 0644), 0);
	free(buf);
	load(&l, tmp_path(t, "max.conf"), getuid());
	assert_int_equal(l.r, 0);
	assert_int_equal(l.d.n, 0);
	loaded_free(&l);

	/* One byte more is refused before reading (a sparse file costs no disk). */
	assert_int_equal(tmp_write(t, "big.conf", "", 0, 0644), 0);
	fd = open(tmp_path(t, "big.conf"), O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CONF_MAX_FILE_SIZE + 1), 0);
	close(fd);
	load(&l, tmp_path(t, "big.conf"), getuid());
	assert_load_refused(&l, -EFBIG, "file is larger than 4194304 bytes");
	loaded_free(&l);
}

static void
test_directory(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;

	/* Whoever may rename entries in the directory may swap the file. */
	assert_int_equal(tmp_mkdir(t, "open", 0777), 0);
	assert_int_equal(tmp_write(t, "open/c.conf", good, sizeof(good) - 1, 0644), 0);
	load(&l, tmp_path(t, "open/c.conf"), getuid());
	assert_load_refused(&l, -EPERM, "/open' is not owned by");
	assert_non_null(strstr(l.d.v[0].msg, "or is writable by group or others"));
	loaded_free(&l);

	assert_int_equal(tmp_mkdir(t, "group", 0770), 0);
	assert_int_equal(tmp_write(t, "group/c.conf", good, sizeof(good) - 1, 0644), 0);
	load(&l, tmp_path(t, "group/c.conf"), getuid());
	assert_load_refused(&l, -EPERM, "is writable by group or others");
	loaded_free(&l);

	/* The sticky bit forbids renaming others' files: that directory is fine. */
	assert_int_equal(tmp_mkdir(t, "sticky", 01777), 0);
	assert_int_equal(tmp_write(t, "sticky/c.conf", good, sizeof(good) - 1, 0644), 0);
	load(&l, tmp_path(t, "sticky/c.conf"), getuid());
	assert_int_equal(l.r, 0);
	assert_int_equal(l.d.n, 0);
	loaded_free(&l);

	if (geteuid() != 0)
		skip();
	assert_int_equal(tmp_mkdir(t, "theirs", 0755), 0);
	assert_int_equal(tmp_write(t, "theirs/c.conf", good, sizeof(good) - 1, 0644), 0);
	assert_int_equal(chown(tmp_path(t, "theirs"), 65534, 65534), 0);
	load(&l, tmp_path(t, "theirs/c.conf"), 0);
	assert_load_refused(&l, -EPERM, "/theirs' is not owned by root");
	loaded_free(&l);
}

static void
test_check_targets(void **state)
{
	struct tmpdir *t = *state;
	struct parsed p;
	struct conf_diags d;
	char text[1024];

	if (geteuid() != 0)
		skip(); /* the walk wants root-owned directories */
	assert_int_equal(tmp_mkdir(t, "ok", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "sticky", 01777), 0);
	assert_int_equal(tmp_mkdir(t, "sticky/ok", 0755), 0);
	assert_int_equal(tmp_mkdir(t, "theirs", 0755), 0);
	assert_int_equal(chown(tmp_path(t, "theirs"), 65534, 65534), 0);
	assert_int_equal(symlink("ok", tmp_path(t, "link")), 0);
	assert_int_equal(xsnprintf(text, sizeof(text),
				   "private \"%s/ok\" {}\n"
				   "private \"%s/sticky/ok\" {}\n"
				   "# c\n"
				   "private \"%s/missing\" {}\n"
				   "user \"u\" {\n"
				   "  private \"%s/theirs\" {}\n"
				   "  private \"%s/link\" {}\n"
				   "}\n",
				   t->path, t->path, t->path, t->path, t->path),
			 0);
	parse(&p, text);
	assert_int_equal(p.r, 0);
	assert_int_equal(conf_diags_init(&d, "targets.conf"), 0);
	assert_int_equal(conf_check_targets(p.c, &d), -EINVAL);
	assert_int_equal(d.n, 3);
	assert_true(has_diag(&d, 4, "/missing': No such file or directory"));
	assert_true(has_diag(&d, 6, "/theirs' is owned by uid 65534, not root"));
	assert_true(has_diag(&d, 7, "/link' is a symbolic link"));
	conf_diags_free(&d);
	parsed_free(&p);

	/* Everything in order: no message. */
	parse(&p, "private \"/tmp\" {}\nprivate \"/var/tmp\" {}\n");
	assert_int_equal(p.r, 0);
	assert_int_equal(conf_diags_init(&d, "targets.conf"), 0);
	assert_int_equal(conf_check_targets(p.c, &d), 0);
	assert_int_equal(d.n, 0);
	conf_diags_free(&d);
	parsed_free(&p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_ok),     T(test_parse_error_in_file),
		T(test_missing),     T(test_symlink),
		T(test_not_regular), T(test_writable),
		T(test_owner),	     T(test_size),
		T(test_directory),   T(test_check_targets),
	};

	return cmocka_run_group_tests_name("load", tests, NULL, NULL);
}
