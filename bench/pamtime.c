/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small PAM login program for benchmarks: opens and closes N sessions for USER through
 * SERVICE, with a forked child standing in for the user's shell, and prints the medians and
 * percentiles of pam_open_session, pam_close_session and the whole session, in ms.
 *
 *   pamtime -s SERVICE -u USER [-n N] [-d CONFDIR] [-q]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int
conv(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
	(void)n, (void)m, (void)r, (void)d;
	return PAM_CONV_ERR;
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-8s p50 %8.3f  p90 %8.3f  p99 %8.3f  ms\n", what, v[n / 2], v[n * 9 / 10],
	       v[n * 99 / 100]);
}

int
main(int argc, char **argv)
{
	const char *service = NULL, *user = NULL, *confdir = NULL;
	struct pam_conv c = {conv, NULL};
	double *o, *cl, *all;
	int n = 50, ch;

	while ((ch = getopt(argc, argv, "s:u:n:d:")) != -1) {
		switch (ch) {
		case 's':
			service = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'd':
			confdir = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!service || !user || n < 1) {
		fprintf(stderr, "usage: pamtime -s SERVICE -u USER [-n N] [-d CONFDIR]\n");
		return 2;
	}
	o = calloc((size_t)n, sizeof(double));
	cl = calloc((size_t)n, sizeof(double));
	all = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		pam_handle_t *pamh = NULL;
		double t0, t1, t2, t3;
		int r, status;
		pid_t pid;

		r = confdir ? pam_start_confdir(service, user, &c, confdir, &pamh)
			    : pam_start(service, user, &c, &pamh);
		if (r != PAM_SUCCESS)
			return 1;
		t0 = now_ms();
		r = pam_open_session(pamh, 0);
		t1 = now_ms();
		if (r != PAM_SUCCESS) {
			fprintf(stderr, "pam_open_session: %s\n", pam_strerror(pamh, r));
			return 1;
		}
		pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, &status, 0);
		t2 = now_ms();
		r = pam_close_session(pamh, 0);
		t3 = now_ms();
		pam_end(pamh, r);
		o[i] = t1 - t0;
		cl[i] = t3 - t2;
		all[i] = t3 - t0;
	}
	report("open", o, n);
	report("close", cl, n);
	report("session", all, n);
	return 0;
}
