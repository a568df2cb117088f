/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hostile LD_PRELOAD library of the environment attacks: every process that loads it
 * leaves a marker MARK_DIR/<command>.<pid> (MARK_DIR is compiled in, so that a cleared
 * environment cannot hide a load).  The suite then looks at which processes left one.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MARK_DIR
#error "build with -DMARK_DIR='\"...\"'"
#endif

__attribute__((constructor)) static void
mark(void)
{
	char comm[64] = "?", path[256];
	int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0)
		comm[strcspn(comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/%s.%d", MARK_DIR, comm, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}
