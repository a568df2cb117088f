/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session's network namespace (`net` in `namespaces`).  A new network namespace holds
 * one interface, `lo`, down and without an address; no other interface, no route.  Bringing
 * `lo` up is the whole setup: the kernel then gives it 127.0.0.1/8 and, unless IPv6 is
 * turned off, ::1/128 by itself (docs/kernel-facts.md, "A new network namespace").  Nothing
 * is ever moved into the namespace, so nothing outside it can be reached from inside and
 * nothing inside from outside.
 */
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "helper.h"

/* PID 1, still privileged (CAP_NET_ADMIN), inside the session's new network namespace. */
void
net_lo_up(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	/* Any socket reaches the interface ioctls; a datagram one needs nothing but itself. */
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("cannot open a socket to bring up 'lo': %s", strerror(errno));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("cannot read the flags of 'lo': %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("cannot bring up 'lo': %s", strerror(errno));
}
