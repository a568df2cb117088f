/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The doctor of `nsisolate check`: which PAM services run the module and where in their
 * stacks (pamstack.c reads the stacks, doctor.c judges them), and whether this host can build
 * sessions at all.  Read-only; every path is taken below a root ("/" on the host, a fixture
 * tree in the unit tests).
 */
#ifndef NSISOLATE_DOCTOR_H
#define NSISOLATE_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "../conf/conf.h"

/* ---- pamstack.c: a service's session stack as PAM runs it ---------------------------------- */

struct pam_entry {
	char *module;  /* as written: "pam_limits.so" or an absolute path */
	char *control; /* "required", "[success=1 default=ignore]" */
	char *args;    /* the rest of the line, without its comment; "" for none */
	char *file;    /* the file, as PAM names it ("/etc/pam.d/common-session") */
	unsigned line;
	bool dash; /* "-session": PAM skips the line when the module is not installed */
};

struct pam_stack {
	struct pam_entry *v;
	size_t n;
	char *error;	 /* the first include that could not be followed, with its place */
	char **included; /* every file an include named, by name, for pamstack_parts */
	size_t nincluded;
};

/*
 * The session stack of `service`: its file in ROOT/etc/pam.d, else ROOT/usr/lib/pam.d (as
 * Linux-PAM looks), with `@include`, `session include` and `session substack` followed.
 * -ENOENT if there is no such file; an include that cannot be followed is not an error but
 * s->error.
 */
int pamstack_read(const char *root, const char *service, struct pam_stack *ret);
void pamstack_free(struct pam_stack *s);

/* Every service file in ROOT/etc/pam.d and ROOT/usr/lib/pam.d, sorted, each name once. */
int pamstack_services(const char *root, char ***ret, size_t *ret_n);

/* The module's file name without its directory: "pam_limits.so". */
const char *pamstack_base(const char *module);

/* Whether a `-session` line's module is installed in one of the usual directories. */
bool pamstack_installed(const char *root, const char *module);

/* ---- doctor.c ------------------------------------------------------------------------------ */

struct doctor {
	const char *root;	 /* "" on the host: paths are taken as they are */
	bool selinux;		 /* SELinux is enabled: what runs after the module matters more */
	const struct conf *conf; /* exempt_services; NULL: none known */
	FILE *out;		 /* the report */
	FILE *warn;		 /* warnings, one a line, "warning: " first */
	unsigned warnings;
};

/* The PAM services: which run the module, and what is wrong with where. */
int doctor_pam(struct doctor *d);
/* This host: / can be made a slave mount, a container, a chroot. */
void doctor_host(struct doctor *d);

#endif
