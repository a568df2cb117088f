/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for conf/sha256.c (the FIPS 180-4 examples, block boundaries, pieces of any size)
 * and conf/digest.c: two logins get one digest exactly when they would build the same session
 * (share = user joins on it), whatever rule, on_error or nested says.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../conf/sha256.h"
#include "conf_test.h"

static void
hex_of(const uint8_t d[SHA256_SIZE], char out[65])
{
	for (int i = 0; i < SHA256_SIZE; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
check_sha(const void *data, size_t len, size_t piece, const char *want)
{
	struct sha256 s;
	uint8_t d[SHA256_SIZE];
	char hex[65];

	sha256_init(&s);
	for (size_t off = 0; off < len; off += piece)
		sha256_update(&s, (const char *)data + off, len - off < piece ? len - off : piece);
	sha256_final(&s, d);
	hex_of(d, hex);
	assert_string_equal(hex, want);
}

static void
test_sha256_vectors(void **state)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = malloc(1000000);

	check_sha("", 0, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3, 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 56 bytes: the length no longer fits in the first block. */
	for (size_t piece = 1; piece <= 64; piece++)
		check_sha(two_blocks, sizeof(two_blocks) - 1, piece,
			  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	check_sha(million, 1000000, 4096,
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	check_sha(million, 1000000, 1000000,
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/* Lengths around the block boundary: every one must differ from its neighbours. */
static void
test_sha256_boundaries(void **state)
{
	char seen[130][65], buf[130];
	uint8_t d[SHA256_SIZE];
	struct sha256 s;

	memset(buf, 'x', sizeof(buf));
	for (size_t len = 0; len < sizeof(buf); len++) {
		sha256_init(&s);
		sha256_update(&s, buf, len);
		sha256_final(&s, d);
		hex_of(d, seen[len]);
		for (size_t j = 0; j < len; j++)
			assert_string_not_equal(seen[j], seen[len]);
	}
	/* 55, 56 and 64 bytes of 'a', as other implementations give them. */
	memset(buf, 'a', sizeof(buf));
	check_sha(buf, 55, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check_sha(buf, 56, 7, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	check_sha(buf, 64, 63, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static const char base[] = "namespaces = {mount, ipc, pid, uts}\n"
			   "hostname = \"lab-%u\"\n"
			   "share = user\n"
			   "linger = true\n"
			   "kill_timeout = 3\n"
			   "private \"/tmp\" { type = user size = 10% }\n"
			   "private \"/dev/shm\" { type = session size = 64M noexec = true }\n";

/* The digest of `name`'s plan under `text`. */
static void
digest_of(const char *text, const char *name, const char *group, char hex[CONF_DIGEST_HEX])
{
	struct conf *c = expect_ok(text);
	struct plan p;

	if (group)
		resolve_ok(c, name, 1000, &p, group);
	else
		resolve_ok(c, name, 1000, &p);
	assert_int_equal(p.verdict, PLAN_ISOLATE);
	conf_plan_digest(&p, hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 64);
	conf_free(c);
}

static void
test_same_session_same_digest(void **state)
{
	char a[CONF_DIGEST_HEX], b[CONF_DIGEST_HEX];
	char *text = NULL;

	digest_of(base, "alice", NULL, a);
	/* Twice the same. */
	digest_of(base, "alice", NULL, b);
	assert_string_equal(a, b);
	/* What does not change the session: how a login is handled, and which rule said so. */
	assert_true(asprintf(&text, "%son_error = allow\nnested = isolate\n", base) > 0);
	digest_of(text, "alice", NULL, b);
	assert_string_equal(a, b);
	free(text);
	assert_true(asprintf(&text, "%sgroup \"g\" { isolate = true }\n", base) > 0);
	digest_of(text, "alice", "g", b);
	assert_string_equal(a, b);
	free(text);
	/* Spelled otherwise, meaning the same: 10% and "10%", 64M and 67108864. */
	digest_of("namespaces = {uts, pid, ipc, mount}\n"
		  "hostname = \"lab-%u\"\n"
		  "share = user\n"
		  "linger = true\n"
		  "kill_timeout = 3\n"
		  "private \"/tmp\" { type = user size = \"10%\" mode = 1777 }\n"
		  "private \"/dev/shm\" { size = 67108864 noexec = true }\n",
		  "alice", NULL, b);
	assert_string_equal(a, b);
}

/* Each change of what the session is changes the digest. */
static void
test_changes_change_digest(void **state)
{
	static const char *const changes[] = {
		"namespaces = {mount, ipc, pid}\n",
		"hostname = \"lab-%U\"\n",
		"hostname = \"\"\n",
		"share = login\n",
		"linger = false\n",
		"kill_timeout = 4\n",
		"private \"/tmp\" { type = session size = 10% }\n"
		"private \"/dev/shm\" { type = session size = 64M noexec = true }\n",
		"private \"/tmp\" { type = user size = 11% }\n"
		"private \"/dev/shm\" { type = session size = 64M noexec = true }\n",
		"private \"/tmp\" { type = user size = 10% nr_inodes = 1K }\n"
		"private \"/dev/shm\" { type = session size = 64M noexec = true }\n",
		"private \"/tmp\" { type = user size = 10% mode = 1770 }\n"
		"private \"/dev/shm\" { type = session size = 64M noexec = true }\n",
		"private \"/tmp\" { type = user size = 10% }\n"
		"private \"/dev/shm\" { type = session size = 64M }\n",
		"private \"/tmp\" { type = user size = 10% }\n",
		"private \"/dev/shm\" { type = session size = 64M noexec = true }\n"
		"private \"/tmp\" { type = user size = 10% }\n",
		"private \"/tmp\" { type = user size = 10% }\n"
		"private \"/var/tmp\" { type = session size = 64M noexec = true }\n",
	};
	char seen[ARRAY_SIZE(changes) + 1][CONF_DIGEST_HEX];

	digest_of(base, "alice", NULL, seen[0]);
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
		char *text = NULL;

		/* The section overrides the top level with the one change. */
		assert_true(asprintf(&text, "%suser \"alice\" {\n%s}\n", base, changes[i]) > 0);
		digest_of(text, "alice", NULL, seen[i + 1]);
		free(text);
		for (size_t j = 0; j <= i; j++)
			if (strcmp(seen[j], seen[i + 1]) == 0)
				fail_msg("change %zu (%s) gives the digest of %zu", i, changes[i],
					 j);
	}
}

/* The host name is the expanded one: two users' sessions differ by it, and only by it. */
static void
test_digest_per_user(void **state)
{
	char a[CONF_DIGEST_HEX], b[CONF_DIGEST_HEX];

	digest_of(base, "alice", NULL, a);
	digest_of(base, "bob", NULL, b);
	assert_string_not_equal(a, b);
	digest_of("share = user\n", "alice", NULL, a);
	digest_of("share = user\n", "bob", NULL, b);
	assert_string_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_boundaries),
		cmocka_unit_test(test_same_session_same_digest),
		cmocka_unit_test(test_changes_change_digest),
		cmocka_unit_test(test_digest_per_user),
	};

	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
