/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "ns.h"

/* The row's index is its bit in the configuration: only ever append. */
const struct ns_type ns_types[NS_COUNT] = {
	[NS_MOUNT] = {.name = "mount", .proc = "mnt", .clone = CLONE_NEWNS, .id = 0, .join = 255},
	[NS_IPC] = {.name = "ipc", .proc = "ipc", .clone = CLONE_NEWIPC, .id = 2, .join = 1},
	[NS_PID] = {.name = "pid", .proc = "pid", .clone = CLONE_NEWPID, .id = 1, .join = 3},
	[NS_UTS] = {.name = "uts", .proc = "uts", .clone = CLONE_NEWUTS, .id = 3, .join = 2},
	[NS_NET] = {.name = "net", .proc = "net", .clone = CLONE_NEWNET, .id = 4, .join = 4},
};

static unsigned
rank(enum ns_order order, size_t i)
{
	return order == NS_ORDER_JOIN ? ns_types[i].join : ns_types[i].id;
}

enum ns_index
ns_nth(enum ns_order order, size_t n)
{
	/* The one with exactly n before it; equal ranks go in table order. */
	for (size_t i = 0; i < NS_COUNT; i++) {
		size_t before = 0;

		for (size_t j = 0; j < NS_COUNT; j++)
			before += rank(order, j) < rank(order, i) ||
				  (rank(order, j) == rank(order, i) && j < i);
		if (before == n)
			return (enum ns_index)i;
	}
	return NS_COUNT;
}

int
ns_lookup(const char *name)
{
	for (size_t i = 0; i < NS_COUNT; i++)
		if (strcmp(name, ns_types[i].name) == 0)
			return (int)i;
	return -1;
}

unsigned
ns_clone_flags(unsigned set)
{
	unsigned f = 0;

	for (size_t i = 0; i < NS_COUNT; i++)
		if (set & NS_BIT(i))
			f |= ns_types[i].clone;
	return f;
}

unsigned
ns_from_clone_flags(unsigned clone)
{
	unsigned set = 0;

	for (size_t i = 0; i < NS_COUNT; i++)
		if (clone & ns_types[i].clone)
			set |= NS_BIT(i);
	return set;
}

void
ns_format(unsigned set, const char *sep, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < NS_COUNT; i++)
		if (set & NS_BIT(i)) {
			int w = snprintf(buf + n, size - n, "%s%s", n ? sep : "", ns_types[i].name);

			/* snprintf left half a name behind: cut the list after the last whole one. */
			if (w < 0 || (size_t)w >= size - n) {
				buf[n] = '\0';
				return;
			}
			n += (size_t)w;
		}
}
