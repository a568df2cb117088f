#!/bin/bash
# End-to-end: what fleet tooling uses (issue "Running it on a fleet"): `nsisolate list --json`
# and `list -u USER` over real sessions, and `nsisolate terminate SESSION|PID|-u USER`, which
# ends sessions the way logout does and waits until they are gone.  nsisolate(8), JSON OUTPUT
# and terminate; the module's log lines at open and close come with them (pam_nsisolate(8),
# LOG MESSAGES).
. "$(dirname "$0")/../lib/e2e.bash"

if ! command -v jq >/dev/null; then
	echo "1..0 # SKIP fleet: needs jq (sh scripts/deps test)"
	exit 0
fi
nsi_setup
nsi_user nsitestfa
nsi_user nsitestfb
nsi_conf <<CONF
kill_timeout = 1
user "nsitestfb" { linger = true }
CONF
nsi_service nsitest-fleet
SERVICE=nsitest-fleet

# The sessions of USER, as list --json gives them: their ids.
ids_of() { "$NSI" list --json -u "$1" | jq -r '.[].id'; }
count_of() { "$NSI" list --json -u "$1" | jq length; }
has_n() { [ "$(count_of "$1")" = "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

test_list_json() {
	local out id pid
	bg run_as nsitestfa sleep 1001
	bg run_as nsitestfa sleep 1002
	bg run_as nsitestfb sleep 1003
	wait_until 10 has_n nsitestfa 2
	wait_until 10 has_n nsitestfb 1
	out=$("$NSI" list --json)
	echo "$out"
	# Valid JSON, one object per session, every key there with its type.
	jq -e 'type == "array"' <<<"$out"
	[ "$(jq '[.[] | select(.user == "nsitestfa")] | length' <<<"$out")" = 2 ]
	jq -e --arg uid "$(id -u nsitestfa)" '[.[] | select(.user == "nsitestfa")] | all(
		(.id | type) == "number" and .uid == ($uid | tonumber) and
		.service == "nsitest-fleet" and (.init_pid | type) == "number" and
		.namespaces == ["mount", "ipc", "pid", "uts"] and .rule == "top" and
		.rule_at == null and .linger == false and .shared == false and .logins == null and
		(.start | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and
		(.start_epoch | type) == "number")' <<<"$out"
	jq -e '[.[] | select(.user == "nsitestfb")][0] | .linger == true and
		(.rule | startswith("user:nsitestfb")) and (.rule_at | test(":2$"))' <<<"$out"
	# The same sessions and PID 1s as the table.
	for id in $(ids_of nsitestfa); do
		pid=$(jq -r --argjson id "$id" '.[] | select(.id == $id) | .init_pid' <<<"$out")
		"$NSI" list | awk -v id="$id" -v p="$pid" '$1 == id && $5 == p { f = 1 } END { exit !f }'
		[ "$(cat "/proc/$pid/comm")" = nsisolate-helpe ]
	done
	# -u: that user's only, in the table too; a user with none: an empty list.
	[ "$(count_of nsitestfb)" = 1 ]
	"$NSI" list -u nsitestfa | awk 'NR > 1 && $2 != "nsitestfa" { exit 1 }'
	[ "$("$NSI" list -u nsitestfa | wc -l)" = 3 ]
	[ "$("$NSI" list --json -u root)" = "[]" ]
}

test_list_errors() {
	local rc=0
	"$NSI" list -u nsitestnosuchuser || rc=$?
	[ "$rc" = 1 ] || fail "unknown user: exit $rc"
	rc=0
	"$NSI" list --bogus || rc=$?
	[ "$rc" = 2 ] || fail "bad option: exit $rc"
}

# By id: the session and all its processes gone when terminate returns; the other stays.
test_terminate_session() {
	local keep drop pid login rc=0
	bg run_as nsitestfa sh -c 'sleep 1004 & exec sleep 1005'
	login=$!
	bg run_as nsitestfa sleep 1006
	wait_until 10 has_n nsitestfa 2
	drop=$("$NSI" list --json -u nsitestfa | jq -r '.[] | select(.start_epoch > 0) | .id' | head -n 1)
	pid=$("$NSI" list --json | jq -r --argjson id "$drop" '.[] | select(.id == $id) | .init_pid')
	"$NSI" terminate "$drop"
	# Gone when it returns: PID 1, its processes, its record.
	gone "$pid" || fail "PID 1 $pid is still there"
	[ ! -e "/run/nsisolate/sessions/$drop" ] || fail "the record is still there"
	[ "$(count_of nsitestfa)" = 1 ] || fail "terminate ended more than its session"
	keep=$(ids_of nsitestfa)
	[ "$keep" != "$drop" ]
	# Again: no such session.
	"$NSI" terminate "$drop" || rc=$?
	[ "$rc" = 1 ] || fail "a second terminate: exit $rc"
	"$NSI" terminate "$keep"
	wait_until 10 has_n nsitestfa 0
	wait_until 5 gone "$login"
}

# By a process inside: the session it is in.
test_terminate_pid() {
	local inner id
	bg run_as nsitestfa sleep 1007
	wait_until 10 has_n nsitestfa 1
	id=$(ids_of nsitestfa)
	inner=$(pgrep -u nsitestfa -f 'sleep 1007')
	"$NSI" terminate "$inner"
	gone "$inner" || fail "the process is still there"
	has_n nsitestfa 0
	[ ! -e "/run/nsisolate/sessions/$id" ]
}

# By user: every session of theirs (one lingering, which ignores SIGTERM: SIGKILL after -t).
test_terminate_user() {
	local t0 out
	bg run_as nsitestfb sh -c 'trap "" TERM; sleep 1008'
	bg run_as nsitestfb sleep 1009
	bg run_as nsitestfa sleep 1010
	wait_until 10 has_n nsitestfb 2
	wait_until 10 has_n nsitestfa 1
	t0=$SECONDS
	out=$("$NSI" terminate -t 2 -u nsitestfb)
	echo "$out"
	has_n nsitestfb 0
	[ -z "$(pgrep -u nsitestfb)" ] || fail "processes of nsitestfb left"
	[ $((SECONDS - t0)) -lt 15 ] || fail "took $((SECONDS - t0)) s"
	grep -q "SIGKILL" <<<"$out" || fail "the lingering session was not killed"
	# The other user's is untouched.
	has_n nsitestfa 1
	"$NSI" terminate -u nsitestfa
	has_n nsitestfa 0
}

# Not nsisolate's session: refused, nothing signalled; usage.
test_terminate_refused() {
	local rc
	rc=0; "$NSI" terminate 4294967295 || rc=$?
	[ "$rc" = 1 ] || fail "an unknown id: exit $rc"
	rc=0; "$NSI" terminate $$ || rc=$?
	[ "$rc" = 1 ] || fail "a process in no session: exit $rc"
	rc=0; "$NSI" terminate -u nsitestfa || rc=$?
	[ "$rc" = 1 ] || fail "a user without a session: exit $rc"
	rc=0; "$NSI" terminate || rc=$?
	[ "$rc" = 2 ] || fail "no argument: exit $rc"
	rc=0; "$NSI" terminate 1 -u nsitestfa || rc=$?
	[ "$rc" = 2 ] || fail "both: exit $rc"
	rc=0; "$NSI" terminate -t x 1 || rc=$?
	[ "$rc" = 2 ] || fail "a bad timeout: exit $rc"
	kill -0 $$
}

t "list --json: every key with its type, the same sessions and PID 1s as the table; list -u" \
	test_list_json
t "list: an unknown user exits 1, a bad option 2" test_list_errors
t "terminate SESSION: gone with its processes and record when it returns; others stay" \
	test_terminate_session
t "terminate PID: the session that process is in" test_terminate_pid
t "terminate -u USER: all of theirs, a lingering one with SIGKILL after -t; others stay" \
	test_terminate_user
t "terminate refuses what is no live session; usage errors exit 2" test_terminate_refused
nsi_done
