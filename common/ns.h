/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The namespaces a session can have, described once (as util-linux nsenter's
 * namespace_files[] does): every other piece (the configuration, the helper's clone, the
 * session record, the module's join, the admin tool) reads this table.  A namespace is an
 * `enum ns_index`; its bit in a set of namespaces (the configuration's `namespaces`, CONF_NS_*
 * in conf/conf.h) is NS_BIT(index).  Adding one is a row here, plus whatever setup it needs.
 *
 * Small and pure, no I/O: the PAM module links it.
 */
#ifndef NSISOLATE_NS_H
#define NSISOLATE_NS_H

#include <stddef.h>

enum ns_index { NS_MOUNT, NS_IPC, NS_PID, NS_UTS, NS_NET, NS_COUNT };

#define NS_BIT(i) (1u << (i))
#define NS_ALL	  (NS_BIT(NS_COUNT) - 1)

struct ns_type {
	const char *name; /* in the configuration and in nsisolate's output: "mount" */
	const char *proc; /* in /proc/PID/ns/ and in the record's ns.* keys: "mnt" */
	unsigned clone;	  /* CLONE_NEWNS */
	/*
	 * A session is named after the first namespace it has in `id` order (mount first), and
	 * its record lists them in that order.
	 */
	unsigned char id;
	/*
	 * Without setns(pidfd) (kernels before 5.8) the module joins one namespace after the
	 * other in `join` order: mount last, since /proc/PID is out of reach after it.
	 */
	unsigned char join;
};

extern const struct ns_type ns_types[NS_COUNT];

enum ns_order { NS_ORDER_ID, NS_ORDER_JOIN };
/* The n-th namespace (0 <= n < NS_COUNT) in that order. */
enum ns_index ns_nth(enum ns_order order, size_t n);

/* The namespace called `name` in the configuration, or -1. */
int ns_lookup(const char *name);
/* A set of namespaces (NS_BIT) as CLONE_NEW* flags, and back. */
unsigned ns_clone_flags(unsigned set);
unsigned ns_from_clone_flags(unsigned clone);
/*
 * The names of a set, in table order, `sep` between them: "mount,ipc,pid,uts".  A buffer too
 * small holds the whole names that fit, never half of one.
 */
void ns_format(unsigned set, const char *sep, char *buf, size_t size);

#endif
