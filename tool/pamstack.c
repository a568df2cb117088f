/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A PAM service's session stack, read the way Linux-PAM reads it (pam_handlers.c): the
 * service's file in /etc/pam.d, else in /usr/lib/pam.d (Debian 12's systemd ships
 * systemd-user there); '#' starts a comment anywhere on a line; a '\' at the end of a line
 * continues it; `TYPE CONTROL MODULE [ARGS]` with a control in brackets possibly holding
 * spaces, a type in any case and a '-' before it for a module that may be missing;
 * `@include FILE` (Debian's) brings in every line of FILE, `session include FILE` and
 * `session substack FILE` its session lines.  Only session lines are kept: that is the
 * stack pam_open_session runs.  What the lines' controls would skip is not evaluated: a
 * module in the stack is taken to run.
 */
#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "doctor.h"

/* Deeper than any real stack; a loop of includes ends here. */
#define MAX_DEPTH   16
#define MAX_ENTRIES 4096

static const char *const pam_dirs[] = {"/etc/pam.d", "/usr/lib/pam.d"};

const char *
pamstack_base(const char *module)
{
	const char *slash = strrchr(module, '/');

	return slash ? slash + 1 : module;
}

void
pamstack_free(struct pam_stack *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].module);
		free(s->v[i].control);
		free(s->v[i].args);
		free(s->v[i].file);
	}
	free(s->v);
	free(s->error);
	for (size_t i = 0; i < s->nincluded; i++)
		free(s->included[i]);
	free(s->included);
	*s = (struct pam_stack){0};
}

/* Open NAME as PAM would; *ret_shown gets the path PAM would name it by. */
static FILE *
open_pam_file(const char *root, const char *name, char **ret_shown)
{
	char path[PATH_MAX];
	FILE *f;

	if (name[0] == '/') {
		if (xsnprintf(path, sizeof(path), "%s%s", root, name) < 0 ||
		    !(f = fopen(path, "re")))
			return NULL;
		if (!(*ret_shown = strdup(name))) {
			fclose(f);
			return NULL;
		}
		return f;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pam_dirs); i++) {
		if (xsnprintf(path, sizeof(path), "%s%s/%s", root, pam_dirs[i], name) < 0)
			return NULL;
		if ((f = fopen(path, "re"))) {
			if (asprintf(ret_shown, "%s/%s", pam_dirs[i], name) < 0) {
				fclose(f);
				return NULL;
			}
			return f;
		}
		if (errno != ENOENT)
			return NULL;
	}
	errno = ENOENT;
	return NULL;
}

static char *
skip_space(char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/* The next whitespace-separated token, NUL-terminated in place; NULL at the end. */
static char *
next_token(char **p)
{
	char *start = skip_space(*p), *end = start;

	if (!*start)
		return NULL;
	while (*end && !isspace((unsigned char)*end))
		end++;
	if (*end)
		*end++ = '\0';
	*p = end;
	return start;
}

/* A control: a word, or "[...]" up to its ']' (which a '\' escapes), spaces and all. */
static char *
next_control(char **p)
{
	char *start = skip_space(*p), *end;

	if (*start != '[')
		return next_token(p);
	for (end = start + 1; *end && *end != ']'; end++)
		if (*end == '\\' && end[1])
			end++;
	if (!*end)
		return NULL;
	end++;
	if (*end)
		*end++ = '\0';
	*p = end;
	return start;
}

static void _printf_(4, 5)
	set_error(struct pam_stack *s, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[PATH_MAX + 64];
	va_list ap;

	if (s->error)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&s->error, "%s at %s:%u", msg, file, line) < 0)
		s->error = NULL;
}

static int read_file(const char *root, const char *name, struct pam_stack *s, unsigned depth,
		     const char *from, unsigned from_line);

static int
include(const char *root, char *name, struct pam_stack *s, unsigned depth, const char *file,
	unsigned line)
{
	char **v = reallocarray(s->included, s->nincluded + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->included = v;
	if (!(v[s->nincluded] = strdup(name)))
		return -ENOMEM;
	s->nincluded++;
	return read_file(root, name, s, depth + 1, file, line);
}

static int
add_entry(struct pam_stack *s, const struct pam_entry *e)
{
	struct pam_entry *v;

	if (s->n == MAX_ENTRIES)
		return -E2BIG;
	if (!(v = reallocarray(s->v, s->n + 1, sizeof(*v))))
		return -ENOMEM;
	s->v = v;
	s->v[s->n] = (struct pam_entry){
		.module = strdup(e->module),
		.control = strdup(e->control),
		.args = strdup(e->args),
		.file = strdup(e->file),
		.line = e->line,
		.dash = e->dash,
	};
	if (!s->v[s->n].module || !s->v[s->n].control || !s->v[s->n].args || !s->v[s->n].file) {
		s->n++;
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

/* One line of `file`: a session entry, an include followed, or nothing for us. */
static int
read_line(const char *root, char *p, struct pam_stack *s, unsigned depth, const char *file,
	  unsigned line)
{
	struct pam_entry e = {.file = (char *)file, .line = line};
	char *type, *end, *hash = strchr(p, '#');

	if (hash)
		*hash = '\0';
	if (!(type = next_token(&p)))
		return 0;
	if (strcmp(type, "@include") == 0) {
		char *name = next_token(&p);

		return name ? include(root, name, s, depth, file, line) : 0;
	}
	e.dash = type[0] == '-';
	if (strcasecmp(type + e.dash, "session") != 0)
		return 0;
	if (!(e.control = next_control(&p)) || !(e.module = next_token(&p))) {
		set_error(s, file, line, "a session line without a control or module");
		return 0;
	}
	if (strcmp(e.control, "include") == 0 || strcmp(e.control, "substack") == 0)
		return include(root, e.module, s, depth, file, line);
	e.args = skip_space(p);
	for (end = e.args + strlen(e.args); end > e.args && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	return add_entry(s, &e);
}

static int
read_file(const char *root, const char *name, struct pam_stack *s, unsigned depth, const char *from,
	  unsigned from_line)
{
	_cleanup_free_ char *shown = NULL, *buf = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t cap = 0, len = 0;
	unsigned no = 0, first = 0;
	ssize_t n;
	int r = 0;

	if (depth > MAX_DEPTH) {
		set_error(s, from, from_line, "includes nested deeper than %d (a loop?)",
			  MAX_DEPTH);
		return 0;
	}
	if (!(f = open_pam_file(root, name, &shown))) {
		if (depth == 0)
			return -errno;
		set_error(s, from, from_line, "cannot open '%s'", name);
		return 0;
	}
	while (r == 0 && (n = getline(&buf, &cap, f)) >= 0) {
		bool more;
		char *p;

		no++;
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		more = n > 0 && buf[n - 1] == '\\';
		if (more)
			buf[--n] = '\0';
		if (!first)
			first = no;
		/* A continued line is one line, named by where it starts. */
		if (!(p = realloc(line, len + (size_t)n + 2)))
			return -ENOMEM;
		line = p;
		memcpy(line + len, buf, (size_t)n);
		len += (size_t)n;
		line[len++] = ' ';
		line[len] = '\0';
		if (more)
			continue;
		r = read_line(root, line, s, depth, shown, first);
		len = 0;
		first = 0;
	}
	if (r == 0 && len > 0)
		r = read_line(root, line, s, depth, shown, first);
	return r;
}

int
pamstack_read(const char *root, const char *service, struct pam_stack *ret)
{
	int r;

	*ret = (struct pam_stack){0};
	if (!*service || strchr(service, '/'))
		return -EINVAL;
	r = read_file(root, service, ret, 0, NULL, 0);
	if (r < 0)
		pamstack_free(ret);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A file of the directory that PAM could take for a service: not hidden and without '.' or
 * '~', which backups and package managers' copies (".dpkg-old", ".rpmnew", "sshd~") have.
 */
static bool
service_name(const char *name)
{
	return name[0] != '.' && !strpbrk(name, ".~");
}

int
pamstack_services(const char *root, char ***ret, size_t *ret_n)
{
	char **v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(pam_dirs); i++) {
		char path[PATH_MAX];
		struct dirent *de;
		DIR *d;

		if (xsnprintf(path, sizeof(path), "%s%s", root, pam_dirs[i]) < 0)
			goto oom;
		if (!(d = opendir(path)))
			continue;
		while ((de = readdir(d))) {
			struct stat st;
			char **p;

			if (!service_name(de->d_name) ||
			    fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (!(p = reallocarray(v, n + 1, sizeof(*v))) ||
			    !(v = p, v[n] = strdup(de->d_name))) {
				closedir(d);
				goto oom;
			}
			n++;
		}
		closedir(d);
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	/* /etc/pam.d's file and /usr/lib/pam.d's of the same name are one service. */
	for (size_t i = 1; i < n;)
		if (strcmp(v[i - 1], v[i]) == 0) {
			free(v[i]);
			memmove(v + i, v + i + 1, (n - i - 1) * sizeof(*v));
			n--;
		} else {
			i++;
		}
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	while (n > 0)
		free(v[--n]);
	free(v);
	return -ENOMEM;
}

bool
pamstack_installed(const char *root, const char *module)
{
	static const char *const dirs[] = {"/lib", "/lib64", "/usr/lib", "/usr/lib64"};
	char pattern[PATH_MAX];
	bool found = false;

	if (module[0] == '/') {
		struct stat st;

		return xsnprintf(pattern, sizeof(pattern), "%s%s", root, module) == 0 &&
		       stat(pattern, &st) == 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !found; i++)
		/* DIR/security/ and the multiarch DIR/TRIPLET/security/. */
		for (int multi = 0; multi < 2 && !found; multi++) {
			glob_t g;

			if (xsnprintf(pattern, sizeof(pattern), "%s%s%s/security/%s", root, dirs[i],
				      multi ? "/*" : "", module) < 0)
				continue;
			if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0)
				found = g.gl_pathc > 0;
			globfree(&g);
		}
	return found;
}
