/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <string.h>

#include "conf.h"

/* A hostile file must not make us collect millions of messages. */
#define MAX_DIAGS 200

int
conf_diags_init(struct conf_diags *d, const char *file)
{
	*d = (struct conf_diags){0};
	d->file = strdup(file ? file : "(config)");
	return d->file ? 0 : -ENOMEM;
}

void
conf_diags_free(struct conf_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	free(d->file);
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->files);
	*d = (struct conf_diags){0};
}

int
conf_diags_file(struct conf_diags *d, const char *name)
{
	char **v;

	if (strcmp(name, d->file) == 0) {
		d->cur = 0;
		return 0;
	}
	for (size_t i = 0; i < d->nfiles; i++)
		if (strcmp(name, d->files[i]) == 0) {
			d->cur = (unsigned)i + 1;
			return 0;
		}
	v = reallocarray(d->files, d->nfiles + 1, sizeof(*v));
	if (v)
		d->files = v;
	if (!v || !(d->files[d->nfiles] = strdup(name))) {
		/* What follows would be reported against the wrong file: count it as lost. */
		d->oom = true;
		return -ENOMEM;
	}
	d->cur = (unsigned)++d->nfiles;
	return 0;
}

const char *
conf_diag_file(const struct conf_diags *d, size_t i)
{
	unsigned f = d->v[i].file;

	return f == 0 || f > d->nfiles ? d->file : d->files[f - 1];
}

int
conf_diag_format(const struct conf_diags *d, size_t i, char *buf, size_t size)
{
	if (d->v[i].line)
		return xsnprintf(buf, size, "%s:%u: %s", conf_diag_file(d, i), d->v[i].line,
				 d->v[i].msg);
	return xsnprintf(buf, size, "%s: %s", conf_diag_file(d, i), d->v[i].msg);
}

void
conf_diag_add(struct conf_diags *d, unsigned line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (d->n >= MAX_DIAGS) {
		d->oom = true;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct conf_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			d->oom = true;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Messages quote file contents: keep control bytes out of terminals and syslog. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	d->v[d->n].msg = strdup(buf);
	if (!d->v[d->n].msg) {
		d->oom = true;
		return;
	}
	d->v[d->n].file = d->cur;
	d->v[d->n++].line = line;
}

void
conf_diags_print(struct conf_diags *d, FILE *f)
{
	/*
	 * Insertion sort by file (in the order they were read), then line: stable, so one
	 * line's problems keep their order.
	 */
	for (size_t i = 1; i < d->n; i++) {
		struct conf_diag x = d->v[i];
		size_t j = i;

		for (; j > 0 && (d->v[j - 1].file > x.file ||
				 (d->v[j - 1].file == x.file && d->v[j - 1].line > x.line));
		     j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = x;
	}
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].line)
			fprintf(f, "%s:%u: %s\n", conf_diag_file(d, i), d->v[i].line, d->v[i].msg);
		else
			fprintf(f, "%s: %s\n", conf_diag_file(d, i), d->v[i].msg);
	}
	if (d->oom)
		fprintf(f, "%s: more problems were found than could be listed\n", d->file);
}
