/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/ns.c (the one table of namespaces) and common/record.c (session
 * records: their text, and reading them back).
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "../../common/record.h"
#include "tmpdir.h"

/* The orders other code relies on: the session id's (mount first), the join's (mount last). */
static void
test_ns_orders(void **state)
{
	static const enum ns_index id[] = {NS_MOUNT, NS_PID, NS_IPC, NS_UTS};
	static const enum ns_index join[] = {NS_IPC, NS_UTS, NS_PID, NS_MOUNT};

	assert_int_equal(NS_COUNT, ARRAY_SIZE(id));
	for (size_t n = 0; n < NS_COUNT; n++) {
		assert_int_equal(ns_nth(NS_ORDER_ID, n), id[n]);
		assert_int_equal(ns_nth(NS_ORDER_JOIN, n), join[n]);
	}
	assert_int_equal(ns_nth(NS_ORDER_ID, NS_COUNT), NS_COUNT);
}

static void
test_ns_names(void **state)
{
	char buf[64];

	assert_int_equal(ns_lookup("mount"), NS_MOUNT);
	assert_int_equal(ns_lookup("uts"), NS_UTS);
	assert_int_equal(ns_lookup("mnt"), -1);
	assert_int_equal(ns_lookup("net"), -1);
	assert_int_equal(ns_clone_flags(NS_ALL),
			 CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWUTS);
	assert_int_equal(ns_clone_flags(NS_BIT(NS_PID)), CLONE_NEWPID);
	assert_int_equal(ns_from_clone_flags(CLONE_NEWNS | CLONE_NEWUTS | CLONE_VM),
			 NS_BIT(NS_MOUNT) | NS_BIT(NS_UTS));
	ns_format(NS_ALL, ", ", buf, sizeof(buf));
	assert_string_equal(buf, "mount, ipc, pid, uts");
	ns_format(NS_ALL, ", ", buf, 11);
	assert_string_equal(buf, "mount, ipc");
	for (size_t i = 0; i < NS_COUNT; i++)
		assert_int_equal(ns_lookup(ns_types[i].name), (int)i);
}

static const struct session_record sample = {
	.id = 4026532301,
	.init_pid = 4242,
	.uid = 1001,
	.start = 1700000000,
	.ns = {[NS_MOUNT] = 4026532301, [NS_IPC] = 4026532303, [NS_PID] = 4026532304},
	.clone_ns = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID,
	.linger = true,
	.user = "alice",
	.service = "sshd",
	.tty = "ssh",
	.rhost = "127.0.0.1",
	.hostname = "box",
	.n_user_dirs = 2,
	.user_dirs = {"/tmp", "/var/tmp"},
};

/* The text is what every earlier version wrote too, byte for byte: old records parse. */
static const char sample_text[] = "id=4026532301\n"
				  "pid=4242\n"
				  "uid=1001\n"
				  "start=1700000000\n"
				  "clone_ns=671219712\n"
				  "linger=1\n"
				  "ns.mnt=4026532301\n"
				  "ns.pid=4026532304\n"
				  "ns.ipc=4026532303\n"
				  "ns.uts=0\n"
				  "user=alice\n"
				  "service=sshd\n"
				  "tty=ssh\n"
				  "rhost=127.0.0.1\n"
				  "rule=\n"
				  "hostname=box\n"
				  "user_dir=/tmp\n"
				  "user_dir=/var/tmp\n";

static void
test_round_trip(void **state)
{
	char buf[RECORD_MAX_SIZE];
	struct session_record back;
	int n = record_format(&sample, buf, sizeof(buf));

	assert_int_equal(sample.clone_ns, 671219712);
	assert_int_equal(n, strlen(sample_text));
	assert_memory_equal(buf, sample_text, (size_t)n);
	assert_int_equal(record_parse(buf, (size_t)n, &back), 0);
	assert_memory_equal(&back, &sample, sizeof(back));
	/* Too small a buffer is an error, never a record cut short. */
	assert_int_equal(record_format(&sample, buf, 100), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_orders),
		cmocka_unit_test(test_ns_names),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
