/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How long the configuration library takes: parse (libconfuse + checks + flat table) and
 * resolve, for the shipped configuration and for one with 10,000 user and 1,000 group
 * sections; then, as root, what a login pays through the parse cache (conf/cache.c): a load
 * that finds its entry ("hit"), and one that parses and writes it ("miss").  Prints a table
 * of medians; not a test.
 *
 *   build/bench/confbench [ROUNDS]
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../conf/cache.h"

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static char *
big_config(size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);

	n += (size_t)snprintf(buf + n, cap - n,
			      "private \"/tmp\" { type = user size = \"25%%\" }\n");
	for (int i = 0; i < 10000; i++) {
		if (cap - n < 256)
			buf = realloc(buf, cap *= 2);
		n += (size_t)snprintf(buf + n, cap - n,
				      "user \"user%05d\" {\n\thostname = \"u%d\"\n}\n", i, i);
	}
	for (int i = 0; i < 1000; i++) {
		if (cap - n < 256)
			buf = realloc(buf, cap *= 2);
		n += (size_t)snprintf(buf + n, cap - n,
				      "group \"group%04d\" {\n\thostname = \"lab-%%u\"\n}\n", i);
	}
	*len = n;
	return buf;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = malloc(1 << 20);

	*len = f ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* A user in 20 groups, none of them in the config but the last (the worst case). */
static void
bench(const char *name, const char *buf, size_t len, int rounds)
{
	const char *groups[20];
	char gbuf[20][16];
	double *parse = calloc((size_t)rounds, sizeof(double));
	double *resolve = calloc((size_t)rounds, sizeof(double));
	struct identity id = {.name = "nobody-here", .uid = 4242, .gid = 4242, .ngroups = 20};

	for (int i = 0; i < 20; i++) {
		snprintf(gbuf[i], sizeof(gbuf[i]), i == 19 ? "group0999" : "other%02d", i);
		groups[i] = gbuf[i];
	}
	id.group_names = groups;
	for (int r = 0; r < rounds; r++) {
		struct conf_diags d;
		struct conf *c = NULL;
		struct plan p;
		char err[256];
		double t0, t1, t2;

		conf_diags_init(&d, name);
		t0 = now_ms();
		if (conf_parse_buffer(name, buf, len, &c, &d) < 0) {
			conf_diags_print(&d, stderr);
			exit(1);
		}
		t1 = now_ms();
		if (conf_resolve(c, &id, "host", &p, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
		t2 = now_ms();
		parse[r] = t1 - t0;
		resolve[r] = t2 - t1;
		conf_free(c);
		conf_diags_free(&d);
	}
	printf("%-34s %9zu %12.3f %12.4f\n", name, len, median(parse, rounds),
	       median(resolve, rounds));
	free(parse);
	free(resolve);
}

/* Empty the cache directory (not timed): the next load misses. */
static void
clear_cache(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;

	if (!d)
		exit(1);
	rewinddir(d); /* the dup shares the last pass's position */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)unlinkat(dirfd, de->d_name, 0);
	closedir(d);
}

static double
timed_load(const char *path, int dirfd)
{
	struct conf_diags d;
	struct conf *c = NULL;
	double t0, t1;

	conf_diags_init(&d, path);
	t0 = now_ms();
	if (conf_load_cached(path, 0, dirfd, &c, &d) < 0) {
		conf_diags_print(&d, stderr);
		exit(1);
	}
	t1 = now_ms();
	conf_free(c);
	conf_diags_free(&d);
	return t1 - t0;
}

/* Entries are believed only when root's: without root every load would miss. */
static void
bench_cached(const char *name, const char *buf, size_t len, int rounds)
{
	char dir[] = "/var/tmp/confbench-XXXXXX", path[64], cache[64];
	double *hit = calloc((size_t)rounds, sizeof(double));
	double *miss = calloc((size_t)rounds, sizeof(double));
	int fd, dirfd;

	if (!mkdtemp(dir) || snprintf(path, sizeof(path), "%s/c.conf", dir) < 0 ||
	    snprintf(cache, sizeof(cache), "%s/cache", dir) < 0 || mkdir(cache, 0700) < 0 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 ||
	    write(fd, buf, len) != (ssize_t)len || close(fd) < 0 ||
	    (dirfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		exit(1);
	for (int r = 0; r < rounds; r++) {
		clear_cache(dirfd);
		miss[r] = timed_load(path, dirfd);
		hit[r] = timed_load(path, dirfd);
	}
	printf("%-34s %9zu %12.3f %12.3f\n", name, len, median(miss, rounds), median(hit, rounds));
	clear_cache(dirfd);
	close(dirfd);
	(void)rmdir(cache);
	(void)unlink(path);
	(void)rmdir(dir);
	free(hit);
	free(miss);
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	size_t len;
	char *buf;

	printf("%-34s %9s %12s %12s\n", "configuration", "bytes", "parse ms", "resolve ms");
	buf = read_file("conf/nsisolate.conf", &len);
	bench("shipped conf/nsisolate.conf", buf, len, rounds * 10);
	free(buf);
	buf = big_config(&len);
	bench("10,000 users + 1,000 groups", buf, len, rounds);
	if (geteuid() != 0) {
		printf("\n(cached loads: run as root)\n");
		free(buf);
		return 0;
	}
	printf("\n%-34s %9s %12s %12s\n", "cached load (root)", "bytes", "miss ms", "hit ms");
	bench_cached("10,000 users + 1,000 groups", buf, len, rounds);
	free(buf);
	buf = read_file("conf/nsisolate.conf", &len);
	bench_cached("shipped conf/nsisolate.conf", buf, len, rounds * 10);
	free(buf);
	return 0;
}
