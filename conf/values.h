/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Validators for single configuration values.  Pure functions: no I/O, no allocation.  Each
 * returns 0, or -EINVAL with a lower-case message in err.
 */
#ifndef NSISOLATE_VALUES_H
#define NSISOLATE_VALUES_H

#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

int conf_check_private_path(const char *path, char *err, size_t errlen);
/* "64M", "512K", "1G", "1048576" or "25%"; out receives tmpfs's "size=" value. */
int conf_parse_size(const char *s, char *out, size_t outlen, char *err, size_t errlen);
/* "100000", "10K", "1M" (binary suffixes), at least 1. */
int conf_parse_count(const char *s, uint64_t *ret, char *err, size_t errlen);
/* Octal, at most 1777: permission bits and the sticky bit, no setuid/setgid. */
int conf_parse_mode(const char *s, mode_t *ret, char *err, size_t errlen);
int conf_parse_private_type(const char *s, enum conf_private_type *ret, char *err, size_t errlen);
/* One namespace name; returns its CONF_NS_* flag. */
int conf_parse_ns(const char *s, unsigned *ret, char *err, size_t errlen);
int conf_parse_on_error(const char *s, enum conf_on_error *ret, char *err, size_t errlen);
int conf_parse_nested(const char *s, enum conf_nested *ret, char *err, size_t errlen);
int conf_parse_share(const char *s, enum conf_share *ret, char *err, size_t errlen);
int conf_check_hostname_template(const char *tmpl, char *err, size_t errlen);
/* RFC 1123: dot-separated labels of letters, digits and inner hyphens; at most 64 bytes. */
bool conf_hostname_valid(const char *name);
int conf_expand_hostname(const char *tmpl, const char *user, uid_t uid, const char *host, char *out,
			 size_t outlen, char *err, size_t errlen);
/* A user or group section title, or a name in an exempt list.  Users may be "#UID". */
int conf_check_name(const char *name, bool allow_uid, char *err, size_t errlen);
/*
 * A name in exempt_services: what can name a file in /etc/pam.d, at most CONF_MAX_SERVICE
 * bytes of letters, digits, '-', '_', '.', '@' and '+'.
 */
int conf_check_service(const char *name, char *err, size_t errlen);
/* "#1001" -> 1001; -EINVAL when the name is not of that form. */
int conf_parse_uid_title(const char *name, uid_t *ret);
/* systemd-style escaping of a canonical path into one file name: "/var/tmp" -> "var-tmp". */
int conf_escape_path(const char *path, char *out, size_t outlen);

#endif
