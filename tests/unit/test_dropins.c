/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for drop-ins (conf/dropin.c, the walk over several files in conf/rules.c, where
 * values were set in conf/origin.c, and the cache of a whole set in conf/cache.c): a main
 * file and the *.conf files of its drop-in directory are one configuration, each file is
 * checked like the main file, a top-level option or a section name lives in one file only,
 * and every problem names its file and line.  Files live in a mkdtemp directory; conf_load()
 * is told to expect getuid().  The cache cases need root (entries are believed only when
 * root's).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "../../conf/cache.h"
#include "../../conf/set.h"
#include "../../conf/store.h"
#include "conf_test.h"
#include "tmpdir.h"

/* ---- helpers ------------------------------------------------------------------------------- */

/* Parse name/text pairs (the main file first), ended by NULL. */
static void
parse_set(struct parsed *p, const char *const *v)
{
	struct conf_text t[8];
	size_t n = 0;

	for (; v[2 * n]; n++)
		t[n] = (struct conf_text){v[2 * n], v[2 * n + 1], strlen(v[2 * n + 1])};
	*p = (struct parsed){.r = 1};
	assert_int_equal(conf_diags_init(&p->d, v[0]), 0);
	p->r = conf_parse_texts(t, n, &p->c, &p->d);
}
#define PARSE_SET(p, ...) parse_set(p, (const char *const[]){__VA_ARGS__, NULL})

/* Is a problem reported in `file` at `line` whose message contains `msg`? */
static bool
has_diag_in(const struct conf_diags *d, const char *file, unsigned line, const char *msg)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(conf_diag_file(d, i), file) == 0 && d->v[i].line == line &&
		    strstr(d->v[i].msg, msg))
			return true;
	return false;
}

#define assert_diag_in(d, file, line, msg) check_diag_in(d, file, line, msg, __FILE__, __LINE__)
static void
check_diag_in(const struct conf_diags *d, const char *file, unsigned line, const char *msg,
	      const char *src, int at)
{
	char buf[1024];

	if (has_diag_in(d, file, line, msg))
		return;
	print_error("expected a problem at %s:%u containing \"%s\"; got:\n", file, line, msg);
	for (size_t i = 0; i < d->n; i++)
		if (conf_diag_format(d, i, buf, sizeof(buf)) == 0)
			print_error("    %s\n", buf);
	_fail(src, at);
}

struct loaded {
	int r;
	struct conf *c;
	struct conf_diags d;
};

static void
load(struct loaded *l, const char *path)
{
	*l = (struct loaded){.r = 1};
	assert_int_equal(conf_diags_init(&l->d, path), 0);
	l->r = conf_load(path, getuid(), &l->c, &l->d);
}

static void
loaded_free(struct loaded *l)
{
	conf_free(l->c);
	conf_diags_free(&l->d);
}

static void
put(struct tmpdir *t, const char *rel, const char *text)
{
	assert_int_equal(tmp_write(t, rel, text, strlen(text), 0644), 0);
}

/* Where `option` of alice's rule was set, as explain prints it. */
static const char *
origin_of(const struct conf *c, const char *option, char *buf, size_t size)
{
	struct conf_origin o;
	struct plan p;

	resolve_ok(c, "alice", 1000, &p, "students");
	assert_int_equal(conf_value_origin(c, &p, option, &o), 0);
	conf_origin_format(c, &o, buf, size);
	return buf;
}

/* ---- one configuration from several texts ------------------------------------------------ */

static void
test_dropin_dir_name(void **state)
{
	char buf[64];

	assert_int_equal(conf_dropin_dir("/etc/security/nsisolate.conf", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/etc/security/nsisolate.d");
	/* Another file has a directory of its own: a test's never reads the host's. */
	assert_int_equal(conf_dropin_dir("/etc/security/nsitest.conf", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/etc/security/nsitest.d");
	assert_int_equal(conf_dropin_dir("/tmp/candidate", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/candidate.d");
	assert_int_equal(conf_dropin_dir("/x/.conf", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/.conf.d");
	assert_int_equal(conf_dropin_dir("/etc/security/nsisolate.conf", buf, 10), -ENAMETOOLONG);
}

static void
test_merge(void **state)
{
	struct parsed p;
	struct plan plan;
	char buf[128];

	PARSE_SET(&p, "main.conf",
		  "namespaces = {mount, ipc, pid, uts}\n"
		  "group \"students\" { hostname = \"lab-%u\" }\n",
		  "d/10-a.conf",
		  "# from a role\n"
		  "kill_timeout = 9\n"
		  "group \"staff\" { isolate = false }\n"
		  "group \"students\" { linger = true }\n",
		  "d/20-b.conf",
		  "exempt_users = {\"root\", \"bob\"}\n"
		  "user \"carol\" { private \"/tmp\" { type = user } }\n");
	/* The same group in two files: refused, naming both. */
	assert_int_equal(p.r, -EINVAL);
	assert_int_equal(p.d.n, 1);
	assert_diag_in(&p.d, "d/10-a.conf", 4,
		       "duplicate group section 'students' (first at main.conf:2)");
	parsed_free(&p);

	PARSE_SET(&p, "main.conf",
		  "namespaces = {mount, ipc, pid, uts}\n"
		  "group \"students\" { hostname = \"lab-%u\" }\n",
		  "d/10-a.conf",
		  "# from a role\n"
		  "kill_timeout = 9\n"
		  "group \"staff\" { isolate = false }\n",
		  "d/20-b.conf",
		  "exempt_users = {\"root\", \"bob\"}\n"
		  "user \"carol\" { private \"/tmp\" { type = user } }\n");
	assert_int_equal(p.r, 0);
	assert_int_equal(conf_n_files(p.c), 3);
	assert_string_equal(conf_file_name(p.c, 2), "d/20-b.conf");
	/* A drop-in's top level is everyone's: the main file's sections inherit it. */
	resolve_ok(p.c, "alice", 1000, &plan, "students");
	assert_int_equal(plan.kill_timeout, 9);
	assert_string_equal(plan.hostname, "lab-alice");
	assert_string_equal(plan.rule_file, "main.conf");
	assert_int_equal(plan.rule_line, 2);
	assert_string_equal(origin_of(p.c, "rule", buf, sizeof(buf)), "line 2");
	assert_string_equal(origin_of(p.c, "kill_timeout", buf, sizeof(buf)), "d/10-a.conf:2");
	assert_string_equal(origin_of(p.c, "hostname", buf, sizeof(buf)), "line 2");
	assert_string_equal(origin_of(p.c, "namespaces", buf, sizeof(buf)), "line 1");
	assert_string_equal(origin_of(p.c, "on_error", buf, sizeof(buf)), "default");
	/* The main file's group sections come first, then each drop-in's. */
	resolve_ok(p.c, "dave", 1001, &plan, "staff", "students");
	assert_string_equal(plan.rule_title, "students");
	resolve_ok(p.c, "erin", 1002, &plan, "staff");
	assert_int_equal(plan.verdict, PLAN_DISABLED);
	assert_string_equal(plan.rule_file, "d/10-a.conf");
	assert_int_equal(plan.rule_line, 3);
	/* Exempt lists and user sections from a drop-in. */
	resolve_ok(p.c, "bob", 1003, &plan);
	assert_int_equal(plan.verdict, PLAN_EXEMPT);
	assert_string_equal(plan.why, "user 'bob' is in exempt_users (d/20-b.conf:1)");
	resolve_ok(p.c, "carol", 1004, &plan);
	assert_int_equal(plan.n_private, 1);
	assert_int_equal(plan.private[0].type, CONF_PRIV_USER);
	assert_int_equal(plan.private[0].line, 2);
	{
		struct conf_origin o;

		assert_int_equal(conf_value_origin(p.c, &plan, "private", &o), 0);
		assert_int_equal(o.file, 2);
		assert_int_equal(conf_value_origin(p.c, &plan, "exempt_users", &o), 0);
		assert_int_equal(o.file, 2);
		assert_int_equal(o.line, 1);
		assert_int_equal(conf_value_origin(p.c, &plan, "bogus", &o), -EINVAL);
	}
	parsed_free(&p);
}

/* Each top-level option in one file: the second names the first. */
static void
test_top_level_once(void **state)
{
	static const char *const options[] = {
		"isolate = true\n",
		"namespaces = {mount}\n",
		"hostname = \"x\"\n",
		"on_error = allow\n",
		"nested = skip\n",
		"linger = true\n",
		"kill_timeout = 3\n",
		"private \"/tmp\" { }\n",
		"exempt_users = {\"root\"}\n",
		"exempt_groups = {\"wheel\"}\n",
		"exempt_services = {\"cron\"}\n",
	};
	char main[256], drop[256], want[256];
	struct parsed p;

	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const char *name = options[i];
		size_t len = strcspn(name, " ");

		/* namespaces with mount everywhere, so that only the repetition is wrong. */
		assert_int_equal(xsnprintf(main, sizeof(main), "# main\n%s", options[i]), 0);
		assert_int_equal(xsnprintf(drop, sizeof(drop), "\n\n\n%s", options[i]), 0);
		PARSE_SET(&p, "main.conf", main, "d/a.conf", "# nothing\n", "d/b.conf", drop);
		assert_int_equal(xsnprintf(want, sizeof(want),
					   "'%.*s' is already set at main.conf:2; set each "
					   "top-level option in one file only",
					   (int)len, name),
				 0);
		assert_int_equal(p.r, -EINVAL);
		assert_diag_in(&p.d, "d/b.conf", 4, want);
		assert_int_equal(p.d.n, 1);
		parsed_free(&p);
	}
}

static void
test_same_section_twice(void **state)
{
	struct parsed p;

	PARSE_SET(&p, "main.conf", "user \"alice\" { }\n", "d/a.conf",
		  "group \"g\" { }\nuser \"bob\" { }\n", "d/b.conf",
		  "\nuser \"alice\" { linger = true }\ngroup \"g\" { }\n");
	assert_int_equal(p.r, -EINVAL);
	assert_int_equal(p.d.n, 2);
	assert_diag_in(&p.d, "d/b.conf", 2,
		       "duplicate user section 'alice' (first at main.conf:1)");
	assert_diag_in(&p.d, "d/b.conf", 3, "duplicate group section 'g' (first at d/a.conf:1)");
	parsed_free(&p);
	/* Within one drop-in, as in the main file. */
	PARSE_SET(&p, "main.conf", "", "d/a.conf", "user \"x\" { }\n\nuser \"x\" { }\n");
	assert_diag_in(&p.d, "d/a.conf", 3, "duplicate user section 'x' (first at line 1)");
	parsed_free(&p);
}

/* Problems in several files, one run: each with its own file and line. */
static void
test_problems_name_their_file(void **state)
{
	struct parsed p;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	PARSE_SET(&p, "main.conf", "namespaces = {mount, pid}\nkill_timeout = soon\n", "d/a.conf",
		  "\ngroup \"g\" {\n  hostname = \"x\"\n  namespaces = {mount}\n}\n", "d/b.conf",
		  "user \"u\" {\n", "d/c.conf", "bogus = 1\n");
	assert_int_equal(p.r, -EINVAL);
	assert_diag_in(&p.d, "d/b.conf", 1, "'{' is never closed");
	assert_diag_in(&p.d, "d/c.conf", 1, "bogus");
	/* A syntax error anywhere: nothing is walked, so nothing else is reported. */
	assert_int_equal(p.d.n, 2);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	conf_diags_print(&p.d, f);
	fclose(f);
	assert_non_null(strstr(out, "d/b.conf:1: '{' is never closed\n"));
	assert_true(strstr(out, "d/b.conf:1:") < strstr(out, "d/c.conf:1:"));
	free(out);
	parsed_free(&p);

	PARSE_SET(&p, "main.conf", "namespaces = {mount, pid}\nkill_timeout = soon\n", "d/a.conf",
		  "\ngroup \"g\" {\n  hostname = \"x\"\n  namespaces = {mount}\n}\n");
	assert_int_equal(p.r, -EINVAL);
	assert_int_equal(p.d.n, 2);
	assert_diag_in(&p.d, "main.conf", 2, "kill_timeout 'soon'");
	assert_diag_in(&p.d, "d/a.conf", 2, "group 'g': 'hostname' needs the 'uts' namespace");
	parsed_free(&p);

	/* The top level's checks see every file: hostname here, namespaces there. */
	PARSE_SET(&p, "main.conf", "namespaces = {mount, ipc}\n", "d/a.conf", "hostname = \"h\"\n");
	assert_diag_in(&p.d, "main.conf", 1, "top level: 'hostname' needs the 'uts' namespace");
	parsed_free(&p);
	PARSE_SET(&p, "main.conf", "namespaces = {ipc}\n", "d/a.conf",
		  "\nprivate \"/tmp\" {}\nprivate \"/tmp\" {}\n");
	assert_diag_in(&p.d, "main.conf", 1, "top level: private directories need the 'mount'");
	assert_diag_in(&p.d, "d/a.conf", 3, "private '/tmp' is listed twice (first at line 2)");
	parsed_free(&p);
}

/* ---- the drop-in directory ---------------------------------------------------------------- */

static void
test_load_order(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;
	struct plan p;

	put(t, "c.conf", "namespaces = {mount, ipc, pid, uts}\n");
	assert_int_equal(tmp_mkdir(t, "c.d", 0755), 0);
	/* Byte order, not numeric: "10-" before "9-". */
	put(t, "c.d/9-late.conf", "group \"g\" { hostname = \"nine\" }\n");
	put(t, "c.d/10-early.conf", "group \"h\" { hostname = \"ten\" }\n");
	/* Not drop-ins: other suffixes, hidden files (editors, tools writing in place). */
	put(t, "c.d/README", "junk\n");
	put(t, "c.d/x.conf.dpkg-old", "junk\n");
	put(t, "c.d/.hidden.conf", "junk\n");
	put(t, "c.d/.conf", "junk\n");
	assert_int_equal(tmp_mkdir(t, "c.d/sub", 0755), 0);
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, 0);
	assert_int_equal(conf_n_files(l.c), 3);
	assert_non_null(strstr(conf_file_name(l.c, 1), "/c.d/10-early.conf"));
	assert_non_null(strstr(conf_file_name(l.c, 2), "/c.d/9-late.conf"));
	/* The first group section in that order wins. */
	resolve_ok(l.c, "alice", 1000, &p, "g", "h");
	assert_string_equal(p.hostname, "ten");
	loaded_free(&l);

	/* No drop-in directory at all: the main file alone. */
	put(t, "other.conf", "linger = true\n");
	load(&l, tmp_path(t, "other.conf"));
	assert_int_equal(l.r, 0);
	assert_int_equal(conf_n_files(l.c), 1);
	loaded_free(&l);
}

static void
test_dropin_checks(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;
	char dir[PATH_MAX], file[PATH_MAX];
	int fd = next_fd();

	put(t, "c.conf", "linger = true\n");
	assert_int_equal(tmp_mkdir(t, "c.d", 0755), 0);
	assert_int_equal(xsnprintf(dir, sizeof(dir), "%s", tmp_path(t, "c.d")), 0);
	put(t, "c.d/a.conf", "kill_timeout = 1\n");

	/* Each drop-in as the main file: not writable by others, not a symlink, regular. */
	assert_int_equal(tmp_write(t, "c.d/b.conf", "", 0, 0664), 0);
	assert_int_equal(symlink("a.conf", tmp_path(t, "c.d/c.conf")), 0);
	assert_int_equal(tmp_mkdir(t, "c.d/d.conf", 0755), 0);
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, -EPERM);
	assert_null(l.c);
	assert_int_equal(xsnprintf(file, sizeof(file), "%s/b.conf", dir), 0);
	assert_diag_in(&l.d, file, 0, "writable by group or others (mode 0664)");
	assert_int_equal(xsnprintf(file, sizeof(file), "%s/c.conf", dir), 0);
	assert_diag_in(&l.d, file, 0, "is a symbolic link; refusing to follow it");
	assert_int_equal(xsnprintf(file, sizeof(file), "%s/d.conf", dir), 0);
	assert_diag_in(&l.d, file, 0, "not a regular file");
	assert_int_equal(l.d.n, 3);
	loaded_free(&l);
	assert_int_equal(unlink(tmp_path(t, "c.d/b.conf")), 0);
	assert_int_equal(unlink(tmp_path(t, "c.d/c.conf")), 0);
	assert_int_equal(rmdir(tmp_path(t, "c.d/d.conf")), 0);

	/* The directory: writable by others, even sticky, is refused. */
	for (mode_t m = 0; m < 3; m++) {
		static const mode_t modes[] = {0775, 0757, 01777};

		assert_int_equal(chmod(dir, modes[m]), 0);
		load(&l, tmp_path(t, "c.conf"));
		assert_int_equal(l.r, -EPERM);
		assert_diag_in(&l.d, dir, 0, "writable by group or others");
		loaded_free(&l);
	}
	assert_int_equal(chmod(dir, 0755), 0);
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, 0);
	loaded_free(&l);
	assert_int_equal(next_fd(), fd);
}

static void
test_dropin_dir_kinds(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;

	put(t, "c.conf", "linger = true\n");
	/* A symlink to a perfectly good directory is not followed. */
	assert_int_equal(tmp_mkdir(t, "real", 0755), 0);
	assert_int_equal(symlink("real", tmp_path(t, "c.d")), 0);
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, -ELOOP);
	assert_diag_in(&l.d, tmp_path(t, "c.d"), 0, "is a symbolic link");
	loaded_free(&l);
	assert_int_equal(unlink(tmp_path(t, "c.d")), 0);
	put(t, "c.d", "a file\n");
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, -ENOTDIR);
	assert_diag_in(&l.d, tmp_path(t, "c.d"), 0, "is not a directory");
	loaded_free(&l);

	/* Problems with the main file and with drop-ins, in one run. */
	assert_int_equal(unlink(tmp_path(t, "c.d")), 0);
	assert_int_equal(tmp_mkdir(t, "c.d", 0755), 0);
	assert_int_equal(tmp_write(t, "c.d/x.conf", "", 0, 0666), 0);
	assert_int_equal(chmod(tmp_path(t, "c.conf"), 0666), 0);
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, -EPERM);
	assert_int_equal(l.d.n, 2);
	loaded_free(&l);

	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(tmp_path(t, "c.conf"), 0644), 0);
	assert_int_equal(chmod(tmp_path(t, "c.d/x.conf"), 0644), 0);
	assert_int_equal(chown(tmp_path(t, "c.d/x.conf"), 65534, 65534), 0);
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, -EPERM);
	assert_diag_in(&l.d, tmp_path(t, "c.d/x.conf"), 0, "owned by uid 65534");
	loaded_free(&l);
	assert_int_equal(chown(tmp_path(t, "c.d/x.conf"), 0, 0), 0);
	assert_int_equal(chown(tmp_path(t, "c.d"), 65534, 65534), 0);
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, -EPERM);
	assert_diag_in(&l.d, tmp_path(t, "c.d"), 0, "not owned by root");
	loaded_free(&l);
}

static void
test_limits(void **state)
{
	struct tmpdir *t = *state;
	struct loaded l;
	char name[64];
	char *buf;

	put(t, "c.conf", "");
	assert_int_equal(tmp_mkdir(t, "c.d", 0755), 0);
	for (int i = 0; i < CONF_MAX_DROPINS; i++) {
		assert_int_equal(xsnprintf(name, sizeof(name), "c.d/%03d.conf", i), 0);
		put(t, name, "");
	}
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, 0);
	assert_int_equal(conf_n_files(l.c), 1 + CONF_MAX_DROPINS);
	loaded_free(&l);
	put(t, "c.d/one-more.conf", "");
	load(&l, tmp_path(t, "c.conf"));
	assert_int_equal(l.r, -E2BIG);
	assert_diag_in(&l.d, tmp_path(t, "c.d"), 0, "more than 128 drop-ins");
	loaded_free(&l);

	/* 4 MiB for the whole configuration, however it is split. */
	put(t, "big.conf", "");
	assert_int_equal(tmp_mkdir(t, "big.d", 0755), 0);
	buf = malloc(CONF_MAX_FILE_SIZE / 2 + 1);
	assert_non_null(buf);
	memset(buf, '\n', CONF_MAX_FILE_SIZE / 2 + 1);
	assert_int_equal(tmp_write(t, "big.d/a.conf", buf, CONF_MAX_FILE_SIZE / 2, 0644), 0);
	assert_int_equal(tmp_write(t, "big.d/b.conf", buf, CONF_MAX_FILE_SIZE / 2, 0644), 0);
	load(&l, tmp_path(t, "big.conf"));
	assert_int_equal(l.r, 0);
	loaded_free(&l);
	assert_int_equal(tmp_write(t, "big.d/c.conf", "\n", 1, 0644), 0);
	load(&l, tmp_path(t, "big.conf"));
	assert_int_equal(l.r, -EFBIG);
	assert_diag_in(&l.d, tmp_path(t, "big.d/c.conf"), 0, "larger than 4194304 bytes together");
	loaded_free(&l);
	free(buf);
}

/* nsisolate check -d FILE -n NAME: FILE as the drop-in NAME, in its place in the order. */
static void
test_set_put(void **state)
{
	struct tmpdir *t = *state;
	struct conf_diags d;
	struct conf_set s;
	struct conf *c = NULL;
	char dir[PATH_MAX];
	struct plan p;

	put(t, "c.conf", "");
	assert_int_equal(tmp_mkdir(t, "c.d", 0755), 0);
	put(t, "c.d/20-b.conf", "group \"g\" { hostname = \"b\" }\n");
	put(t, "c.d/30-c.conf", "kill_timeout = 3\n");
	put(t, "new", "kill_timeout = 4\n");
	assert_int_equal(conf_diags_init(&d, tmp_path(t, "c.conf")), 0);
	assert_int_equal(conf_set_open(&s, tmp_path(t, "c.conf"), NULL, getuid(), &d), 0);
	assert_int_equal(s.n, 3);
	/* In the place of the installed one of that name: kill_timeout set once. */
	assert_int_equal(conf_set_put(&s, "30-c.conf", tmp_path(t, "new"), getuid(), &d), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[2].base, "30-c.conf");
	assert_int_equal(conf_set_parse(&s, &c, &d), 0);
	resolve_ok(c, "alice", 1000, &p);
	assert_int_equal(p.kill_timeout, 4);
	conf_free(c);
	/* A new name goes where the directory's order puts it. */
	put(t, "first", "group \"h\" { hostname = \"a\" }\n");
	assert_int_equal(conf_set_put(&s, "10-a.conf", tmp_path(t, "first"), getuid(), &d), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.v[1].base, "10-a.conf");
	assert_string_equal(s.v[2].base, "20-b.conf");
	assert_int_equal(conf_set_parse(&s, &c, &d), 0);
	resolve_ok(c, "alice", 1000, &p, "g", "h");
	assert_string_equal(p.hostname, "a");
	conf_free(c);
	assert_int_equal(d.n, 0);
	conf_set_close(&s);
	/* An explicit directory instead of the derived one (check -c CANDIDATE -D DIR). */
	assert_int_equal(xsnprintf(dir, sizeof(dir), "%s", tmp_path(t, "c.d")), 0);
	assert_int_equal(conf_set_open(&s, tmp_path(t, "new"), dir, getuid(), &d), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(conf_set_parse(&s, &c, &d), -EINVAL);
	assert_true(d.n == 1 && strstr(d.v[0].msg, "'kill_timeout' is already set"));
	conf_set_close(&s);
	conf_diags_free(&d);
}

/* ---- the table and the cache ------------------------------------------------------------- */

static void
test_validate_files(void **state)
{
	struct parsed p;
	struct conf_header *h;
	struct conf_policy *pol;
	char *copy;

	PARSE_SET(&p, "main.conf", "user \"a\" { }\n", "d/x.conf",
		  "user \"b\" { linger = true }\n");
	assert_int_equal(p.r, 0);
	copy = malloc(p.c->size);
	assert_non_null(copy);
	h = (struct conf_header *)copy;
	pol = (struct conf_policy *)(copy + p.c->h->policies_off);
#define RESET() memcpy(copy, p.c->h, p.c->size)
	RESET();
	assert_int_equal(conf_validate_blob(copy, p.c->size), 0);
	assert_int_equal(h->n_files, 2);
	assert_int_equal(pol[2].file, 1);
	pol[2].file = 2;
	assert_int_equal(conf_validate_blob(copy, p.c->size), -EBADMSG);
	RESET();
	h->n_files = 0;
	assert_int_equal(conf_validate_blob(copy, p.c->size), -EBADMSG);
	RESET();
	h->files_off = (uint32_t)p.c->size;
	assert_int_equal(conf_validate_blob(copy, p.c->size), -EBADMSG);
	RESET();
	h->srcs_off += 4; /* misaligned */
	assert_int_equal(conf_validate_blob(copy, p.c->size), -EBADMSG);
	RESET();
	h->exempt_users_file = 2;
	assert_int_equal(conf_validate_blob(copy, p.c->size), -EBADMSG);
	RESET();
	((uint32_t *)(copy + h->files_off))[1] = h->strings_size;
	assert_int_equal(conf_validate_blob(copy, p.c->size), -EBADMSG);
#undef RESET
	free(copy);
	parsed_free(&p);
}

static struct conf *
load_cached(struct tmpdir *t, int dirfd, bool *ret_hit)
{
	struct conf_diags d;
	struct conf *c = NULL;
	const char *path = tmp_path(t, "c.conf");

	assert_int_equal(conf_diags_init(&d, path), 0);
	if (conf_load_cached(path, getuid(), dirfd, &c, &d) != 0) {
		dump_diags(&d);
		fail_msg("conf_load_cached('%s') failed", path);
	}
	conf_diags_free(&d);
	*ret_hit = c->map != NULL;
	return c;
}

static unsigned
kill_timeout_of(const struct conf *c)
{
	struct plan p;

	resolve_ok(c, "alice", 1000, &p, "g");
	return p.kill_timeout;
}

#define EXPECT_LOAD(hit_wanted, timeout)                        \
	do {                                                    \
		bool hit_;                                      \
		struct conf *c_ = load_cached(t, dirfd, &hit_); \
		assert_int_equal(hit_, hit_wanted);             \
		assert_int_equal(kill_timeout_of(c_), timeout); \
		conf_free(c_);                                  \
	} while (0)

/* The entry stands for the whole set: any change to a drop-in is a miss. */
static void
test_cache_set(void **state)
{
	struct tmpdir *t = *state;
	char from[PATH_MAX];
	int dirfd, fd;

	if (geteuid() != 0)
		skip();
	assert_int_equal(tmp_mkdir(t, "cache", 0700), 0);
	dirfd = open(tmp_path(t, "cache"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	put(t, "c.conf", "kill_timeout = 1\n");
	EXPECT_LOAD(false, 1);
	EXPECT_LOAD(true, 1);
	/* Added. */
	assert_int_equal(tmp_mkdir(t, "c.d", 0755), 0);
	put(t, "c.d/a.conf", "group \"g\" { kill_timeout = 5 }\n");
	EXPECT_LOAD(false, 5);
	EXPECT_LOAD(true, 5);
	/* Changed in place, same size. */
	fd = open(tmp_path(t, "c.d/a.conf"), O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "6", 1, 27), 1);
	close(fd);
	EXPECT_LOAD(false, 6);
	EXPECT_LOAD(true, 6);
	/* Renamed: another name is another set, even with the same text. */
	assert_int_equal(xsnprintf(from, sizeof(from), "%s", tmp_path(t, "c.d/a.conf")), 0);
	assert_int_equal(rename(from, tmp_path(t, "c.d/b.conf")), 0);
	EXPECT_LOAD(false, 6);
	EXPECT_LOAD(true, 6);
	/* A second one added, then removed. */
	put(t, "c.d/c.conf", "\n");
	EXPECT_LOAD(false, 6);
	assert_int_equal(unlink(tmp_path(t, "c.d/c.conf")), 0);
	EXPECT_LOAD(false, 6);
	/* Removed: the main file alone again. */
	assert_int_equal(unlink(tmp_path(t, "c.d/b.conf")), 0);
	EXPECT_LOAD(false, 1);
	EXPECT_LOAD(true, 1);
	/* The directory gone altogether. */
	assert_int_equal(rmdir(tmp_path(t, "c.d")), 0);
	EXPECT_LOAD(true, 1);
	close(dirfd);
}

/* A drop-in made unsafe after it was cached: refused, cache or not. */
static void
test_cache_checks_every_file(void **state)
{
	struct tmpdir *t = *state;
	struct conf_diags d;
	struct conf *c = NULL;
	bool hit;
	int dirfd;

	if (geteuid() != 0)
		skip();
	assert_int_equal(tmp_mkdir(t, "cache", 0700), 0);
	dirfd = open(tmp_path(t, "cache"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	put(t, "c.conf", "");
	assert_int_equal(tmp_mkdir(t, "c.d", 0755), 0);
	put(t, "c.d/a.conf", "group \"g\" { kill_timeout = 5 }\n");
	c = load_cached(t, dirfd, &hit);
	conf_free(c);
	c = load_cached(t, dirfd, &hit);
	assert_true(hit);
	conf_free(c);
	assert_int_equal(chmod(tmp_path(t, "c.d/a.conf"), 0666), 0);
	assert_int_equal(conf_diags_init(&d, tmp_path(t, "c.conf")), 0);
	c = NULL;
	assert_int_equal(conf_load_cached(tmp_path(t, "c.conf"), getuid(), dirfd, &c, &d), -EPERM);
	assert_null(c);
	assert_diag_in(&d, tmp_path(t, "c.d/a.conf"), 0, "writable by group or others");
	conf_diags_free(&d);
	close(dirfd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dropin_dir_name),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_top_level_once),
		cmocka_unit_test(test_same_section_twice),
		cmocka_unit_test(test_problems_name_their_file),
		T(test_load_order),
		T(test_dropin_checks),
		T(test_dropin_dir_kinds),
		T(test_limits),
		T(test_set_put),
		cmocka_unit_test(test_validate_files),
		T(test_cache_set),
		T(test_cache_checks_every_file),
	};

	return cmocka_run_group_tests_name("dropins", tests, NULL, NULL);
}
