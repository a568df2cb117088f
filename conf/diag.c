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
	*d = (struct conf_diags){0};
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
	d->v[d->n++].line = line;
}

void
conf_diags_print(struct conf_diags *d, FILE *f)
{
	/* Insertion sort by line: stable, so one line's problems keep their order. */
	for (size_t i = 1; i < d->n; i++) {
		struct conf_diag x = d->v[i];
		size_t j = i;

		for (; j > 0 && d->v[j - 1].line > x.line; j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = x;
	}
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].line)
			fprintf(f, "%s:%u: %s\n", d->file, d->v[i].line, d->v[i].msg);
		else
			fprintf(f, "%s: %s\n", d->file, d->v[i].msg);
	}
	if (d->oom)
		fprintf(f, "%s: more problems were found than could be listed\n", d->file);
}
